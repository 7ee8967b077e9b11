"""The config: file values are defaults, `--config.a.b=value` wins, every value is checked (naming the key)
before anything is created or loaded, and one conversion gives each stage its typed config."""

import ast
import dataclasses
import glob
import importlib
import os
import re
import subprocess
import sys

import ml_collections
import pytest
from flax import nnx

from raftjax import cli, sections
from raftjax import config as config_lib
from raftjax.data import tasks as tasks_lib
from raftjax.model.llama import Linear, Llama, ModelConfig
from raftjax.sections import VerifierConfig

from configs import raft as raft_config
from configs import raft_7b
from helpers import REPO


def _main(*flags):
  return subprocess.run(
    [sys.executable, '-m', 'raftjax.main', '--config=configs/raft.py', *flags],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=120,
    env=dict(os.environ, JAX_PLATFORMS='cpu'),
  )


@pytest.mark.slow
def test_bad_overrides_on_the_real_command_line_are_one_line_each(tmp_path):
  """One real CLI run per kind of error: an unknown key, a value of the wrong type, a value out of range."""
  for flag, message in (
    (
      '--config.raft.bogus=1',
      "--config.raft.bogus: config.raft has no key 'bogus'; its keys: adaptive_rounds, demonstrations, early_stopping,",
    ),
    ('--config.raft.num_cycles=three', 'num_cycles'),
    ('--config.raft.reward_threshold=1.5', 'config.raft.reward_threshold = 1.5: expected a reward in [0, 1]'),
  ):
    out = _main(flag, f'--config.output_dir={tmp_path}')
    assert out.returncode != 0
    assert message in out.stderr, out.stderr
    assert 'Traceback' not in out.stderr or 'reward_threshold' in flag, out.stderr
    assert not os.listdir(tmp_path)  # failed before writing anything


def test_unknown_override_names_key_and_valid_keys():
  message = cli._unknown_override(['prog', '--config=configs/raft.py', '--config.training.lora_rnak=4'])
  assert "config.training has no key 'lora_rnak'" in message and 'lora_rank' in message
  message = cli._unknown_override(['prog', '--config.nosuch.x=1'])
  assert "config has no key 'nosuch'" in message and 'generation' in message


def test_default_config_is_valid_and_overrides_apply():
  c = raft_config.get_config()
  config_lib.check(c)
  assert config_lib.for_cycle(c, 1).raft.reward_threshold == 0.8 and config_lib.for_cycle(c, 1).raft.prefer_correct
  seed = importlib.import_module('configs.raft_seed').get_config()
  assert [config_lib.for_cycle(seed, n).raft.reward_threshold for n in (1, 2, 3)] == [0.3, 0.5, 0.7]
  assert not seed.sft.data and not config_lib.for_cycle(seed, 1).verifier.run_after_compile
  assert config_lib.for_cycle(seed, 3).verifier.run_after_compile
  assert config_lib.for_cycle(seed, 7).raft.reward_threshold == 0.7  # the last entry holds for later cycles
  assert config_lib.for_cycle(c, 0).raft.reward_threshold == c.raft.reward_threshold  # the file's own values
  assert config_lib.overrides_of(seed, 2) == {'raft.reward_threshold': 0.5}


def test_every_config_key_is_a_field_of_its_typed_config():
  """The one conversion: each section becomes its dataclass with every value, none dropped."""
  c = raft_config.get_config()
  for name in config_lib.SECTIONS:
    typed = dataclasses.asdict(config_lib.section(c, name))
    for key, value in c[name].items():
      assert typed[key] == (tuple(value) if isinstance(value, (list, tuple)) else value), (name, key)
  c.generation.unknown = 1
  with pytest.raises(ValueError, match=r'config\.generation\.unknown = 1: expected a key of config\.generation'):
    config_lib.check(c)


def test_accelerator_config_needs_a_model_and_is_valid_with_one():
  c = raft_7b.get_config()
  with pytest.raises(ValueError, match='sft_checkpoint'):
    config_lib.check(c)
  c.sft_checkpoint = '/models/Qwen2.5-Coder-7B-Instruct'
  config_lib.check(c)
  assert c.model.dtype == 'bfloat16' and c.mesh.shape == (-1, 1, 4)


@pytest.mark.parametrize('name', ['raft_1p5b', 'raft_7b_v5e32'])
def test_slice_configs_need_a_model_and_are_valid_with_one(name):
  c = importlib.import_module(f'configs.{name}').get_config()
  with pytest.raises(ValueError, match='sft_checkpoint'):
    config_lib.check(c)
  c.sft_checkpoint = '/models/Qwen2.5-Coder-Instruct'
  config_lib.check(c)
  assert c.model.dtype == 'bfloat16' and c.model.scan_layers


@pytest.mark.parametrize(
  'key,value,message',
  [
    ('raft.reward_threshold', 1.5, r'raft\.reward_threshold = 1\.5: expected a reward in \[0, 1\]'),
    ('raft.reward_threshold', -0.1, r'raft\.reward_threshold = -0\.1'),
    ('raft.keep_top_percent', 0.0, r'raft\.keep_top_percent = 0\.0: expected a fraction in \(0, 1\]'),
    ('raft.selection', 'best', r"raft\.selection = 'best': expected one of"),
    ('raft.num_cycles', 0, r'raft\.num_cycles = 0: expected an integer in \[1, 10000\]'),
    ('raft.num_cycles', -1, r'raft\.num_cycles = -1'),
    ('raft.patience', 0, r'raft\.patience = 0'),
    ('eval_fraction', 1.0, r'eval_fraction = 1\.0: expected a fraction in \[0, 1\)'),
    ('eval_fraction', 2.0, r'eval_fraction = 2\.0'),
    ('output_dir', '', r"config\.output_dir = '': expected a non-empty path"),
    ('seed', -1, r'config\.seed = -1: expected an integer in \[0, 2\*\*31\)'),
    ('generation.max_new_tokens', 0, r'generation\.max_new_tokens = 0: expected an integer in \[1, 2\*\*20\]'),
    ('generation.top_p', 0.0, r'generation\.top_p = 0\.0: expected a probability in \(0, 1\]'),
    ('generation.temperature', -1.0, r'generation\.temperature = -1\.0'),
    ('evaluation.temperature', float('nan'), r'evaluation\.temperature = nan: expected a finite number'),
    ('generation.batch_size', 0, r'generation\.batch_size = 0'),
    ('generation.slots', -1, r'generation\.slots = -1: expected 0 \(chunks of batch_size\)'),
    ('training.learning_rate', 0.0, r'training\.learning_rate = 0\.0: expected in \(0, 1\]'),
    ('training.learning_rate', float('inf'), r'training\.learning_rate = inf: expected a finite number'),
    ('training.lora_targets', ('q_proj', 'qkv'), r'training\.lora_targets = .*expected a non-empty subset'),
    ('training.lora_dropout', 1.0, r'training\.lora_dropout = 1\.0'),
    ('training.warmup_fraction', 2.0, r'training\.warmup_fraction = 2\.0'),
    ('training.gradient_accumulation_steps', 0, r'training\.gradient_accumulation_steps = 0'),
    ('evaluation.samples_per_prompt', 0, r'evaluation\.samples_per_prompt = 0'),
    ('model.dtype', 'float8', r"model\.dtype = 'float8': expected one of"),
    ('training.remat', 'some', r"training\.remat = 'some': expected one of \('none', 'full', 'dots'\)"),
    ('mesh.shape', (-1, -1, 1), r'mesh\.shape = \(-1, -1, 1\): expected 3 sizes'),
    ('mesh.shape', (2, 1), r'mesh\.shape = \(2, 1\)'),
    ('mesh.axes', ('data', 'data', 'tensor'), r'mesh\.axes = .*distinct'),
    ('sft_checkpoint', '', r'sft_checkpoint'),
    ('sft.corpus_checks', 'some', r"sft\.corpus_checks = 'some': expected one of all, needed"),
    ('verifier.type', 'clang', r'verifier\.type'),
    ('verifier.memory_mb', -5, r'verifier\.memory_mb = -5: expected an integer in \[16, 2\*\*30\]'),
    ('verifier.memory_mb', 0, r'verifier\.memory_mb = 0'),
    ('verifier.memory_mb', 2**44, r'verifier\.memory_mb = 17592186044416'),
    ('verifier.run_timeout_s', -1.0, r'verifier\.run_timeout_s'),
    ('verifier.run_timeout_s', float('inf'), r'verifier\.run_timeout_s = inf: expected a finite number'),
    ('verifier.num_workers', -1, r'verifier\.num_workers'),
    ('verifier.num_workers', 10**6, r'verifier\.num_workers = 1000000: expected 0 \(one per usable core\) to 1024'),
  ],
)
def test_config_values_are_checked(key, value, message):
  c = raft_config.get_config()
  c.cycles = []
  if '.' in key:
    section, name = key.split('.')
    c[section][name] = value
  else:
    c[key] = value
  with pytest.raises(ValueError, match=message):
    config_lib.check(c)


@pytest.mark.parametrize('key, value, expected', [('raft.demonstrations', True, 'False'), ('raft.replay', 8, '0')])
def test_references_need_the_sft_objective_in_the_cycle_that_uses_them(key, value, expected):
  """Demonstrations and replayed SFT examples have no sampling policy's log-probs to weigh."""
  c = raft_config.get_config()
  c.training.objective = 'raft_pp'
  c.cycles = [{}, {key: value}]
  with pytest.raises(
    ValueError, match=rf"{re.escape(key)} = {value}: expected {expected} with training\.objective 'raft_pp'"
  ):
    config_lib.check(c)
  c.training.objective = 'sft'
  config_lib.check(c)  # a cycle key like the curriculum's


def test_scan_layers_is_a_bool():
  """A config file that defines the key itself (the command line and ConfigDict already check types)."""
  c = raft_config.get_config()
  c.model = ml_collections.ConfigDict(dict(c.model.to_dict(), scan_layers=1))
  with pytest.raises(ValueError, match=r'model\.scan_layers = 1: expected True or False'):
    config_lib.check(c)


def test_task_set_keys_take_names_or_paths():
  c = raft_config.get_config()
  c.evaluation = ml_collections.ConfigDict(dict(c.evaluation.to_dict(), transfer_prompts=3))
  with pytest.raises(ValueError, match=r'evaluation\.transfer_prompts = 3: expected a string'):
    config_lib.check(c)
  c = raft_config.get_config()
  c.evaluation.transfer_prompts = 'beginner'
  config_lib.check(c)
  assert [t['id'] for t in tasks_lib.transfer_tasks(c)][:2] == ['cube_int', 'half_rounded_down']
  c.evaluation.transfer_prompts = '/no/such/tasks.jsonl'
  with pytest.raises(ValueError, match='/no/such/tasks.jsonl: cannot read task file'):
    tasks_lib.transfer_tasks(c)
  c = ml_collections.ConfigDict(dict(raft_config.get_config().to_dict(), extra_train_prompts=['easy']))
  with pytest.raises(ValueError, match=r"extra_train_prompts = \('easy',\): expected a string"):
    config_lib.check(c)


def test_cycle_overrides_are_checked():
  c = raft_config.get_config()
  c.cycles = [{'raft.reward_threshold': 2.0}]
  with pytest.raises(ValueError, match=r'raft\.reward_threshold = 2\.0: expected a reward .* \(in cycle 1'):
    config_lib.check(c)
  c.cycles = [{'raft.treshold': 0.5}]
  with pytest.raises(ValueError, match=r"cycles\[0\] = 'raft\.treshold': expected keys among"):
    config_lib.check(c)
  c.cycles = [{'verifier.memory_mb': 0}]
  with pytest.raises(ValueError, match=r'verifier\.memory_mb.*in cycle 1'):
    config_lib.check(c)


def test_defaults_have_one_owner():
  """The dataclasses of raftjax.config own every default: configs/raft.py is exactly them, every field has
  one, and no config file restates a value of the config it starts from (a second owner of that value)."""
  assert raft_config.get_config().to_dict() == config_lib.defaults().to_dict()
  for cls in (sections.RunConfig, *config_lib.SECTIONS.values()):
    assert all(f.default is not dataclasses.MISSING for f in dataclasses.fields(cls)), cls
    cls()  # the defaults pass their own checks
  restated = []
  for path in sorted(glob.glob(os.path.join(REPO, 'configs', '*.py'))):
    tree = ast.parse(open(path).read())
    parents = [
      a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == 'configs' for a in n.names
    ]
    defaults = importlib.import_module(f'configs.{parents[0]}').get_config() if parents else config_lib.defaults()
    for node in ast.walk(tree):
      if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute):
        keys, target = [], node.targets[0]
        while isinstance(target, ast.Attribute):
          keys.insert(0, target.attr)
          target = target.value
        try:
          value = ast.literal_eval(node.value)
        except ValueError:
          continue
        default = defaults
        for key in keys:
          default = default.get(key, dataclasses.MISSING) if hasattr(default, 'get') else dataclasses.MISSING
        if default is not dataclasses.MISSING and value == (tuple(default) if isinstance(default, list) else default):
          restated.append(f'{os.path.basename(path)}:{node.lineno}: {".".join(keys)} = {value!r}')
  assert not restated, restated


@pytest.mark.slow
def test_main_refuses_bad_values_in_one_line_before_any_work(tmp_path):
  for flag, message in (
    ('--config.verifier.memory_mb=-5', 'config.verifier.memory_mb = -5'),
    ('--config.raft.num_cycles=-1', 'config.raft.num_cycles = -1'),
    ('--config.eval_fraction=2', 'config.eval_fraction = 2'),
    ('--config.output_dir=', "config.output_dir = ''"),
    ('--config.verifier.run_timeout_s=inf', 'config.verifier.run_timeout_s = inf'),
  ):
    out = _main(flag, *([] if 'output_dir' in flag else [f'--config.output_dir={tmp_path}/run']))
    assert out.returncode != 0 and message in out.stderr, (flag, out.stderr)
    assert 'Traceback' not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not os.path.exists(tmp_path / 'run')


def test_a_missing_or_broken_config_file_is_one_line(tmp_path):
  broken = tmp_path / 'broken.py'
  broken.write_text('def get_config():\n  return 1 / 0\n')
  for path, message in ((tmp_path / 'missing.py', 'missing.py'), (broken, 'ZeroDivisionError')):
    out = subprocess.run(
      [sys.executable, '-m', 'raftjax.main', f'--config={path}'],
      cwd=REPO,
      capture_output=True,
      text=True,
      timeout=120,
      env=dict(os.environ, JAX_PLATFORMS='cpu'),
    )
    assert out.returncode != 0 and message in out.stderr, out.stderr
    assert 'Traceback' not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_lora_targets_are_the_models_projections():
  model = nnx.eval_shape(
    lambda: Llama(
      ModelConfig(
        vocab_size=16, hidden_size=8, intermediate_size=16, num_layers=1, num_heads=2, num_kv_heads=1, head_dim=4
      ),
      nnx.Rngs(0),
    )
  )
  names = {path[-1] for path, m in nnx.iter_modules(model) if isinstance(m, Linear) and path[-1] != 'lm_head'}
  assert names == set(sections.LORA_TARGETS)
  assert set(config_lib.CYCLE_KEYS) >= {f'verifier.{f.name}' for f in dataclasses.fields(VerifierConfig)}
