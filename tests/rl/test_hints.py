"""Hinted rollouts (raftjax.rl.hints): the hint is whole lines of the reference, annealed by its share, and
in a RAFT cycle the hinted samples are graded as whole programs and trained as the model's continuation."""

import json
import os

import pytest

from raftjax.model import weights
from raftjax.rl import hints, loop
from raftjax.train import trainer

import helpers

REFERENCE = '#include <stdio.h>\nint main(void) {\n  puts("hello");\n  return 0;\n}\n'
TWICE = (
  '#include <stdio.h>\nint main(void) {\n  int n;\n  if (scanf("%d", &n) != 1) return 1;\n'
  '  printf("%d\\n", 2 * n);\n  return 0;\n}\n'
)


def test_the_hint_is_whole_lines_of_the_reference_and_shrinks_with_its_share():
  assert hints.prefix(REFERENCE, 0.5) == '```c\n#include <stdio.h>\nint main(void) {\n'
  assert hints.prefix(REFERENCE, 0.25) == '```c\n#include <stdio.h>\n'
  assert hints.prefix(REFERENCE, 0.1) == '' and hints.prefix(REFERENCE, 0.0) == ''
  tasks = [{'id': 'a', 'reference': REFERENCE}, {'id': 'b'}, {'id': 'c', 'reference': 'int main(void){}\n'}]
  assert [t['id'] for t in hints.hinted_tasks(tasks, 0.5)] == ['a']
  assert hints.hinted_tasks(tasks, 0.0) == []


@pytest.mark.slow
def test_a_cycle_hints_the_unsolved_prompts_and_trains_on_the_continuation(tiny_dir, tmp_path, monkeypatch):
  """The tiny model never doubles a number (tests/tiny.py): 'twice' is unsolved and hinted."""
  tasks = [json.loads(line) for line in open(os.path.join(tiny_dir, 'tasks.jsonl'))]
  for task in tasks:
    if task['id'] == 'twice':
      task['reference'] = TWICE
  (tmp_path / 'tasks.jsonl').write_text(''.join(json.dumps(t) + '\n' for t in tasks))
  c = helpers.tiny_config(tiny_dir, str(tmp_path / 'run'))
  c.prompts = str(tmp_path / 'tasks.jsonl')
  c.raft.num_cycles = 1
  c.cycles = [{'raft.reward_threshold': 0.7, 'verifier.run_after_compile': True, 'raft.hint_share': 0.5}]
  seen = []
  real = trainer.train

  def recording_train(model, examples, *args, **kwargs):
    seen.extend(examples)
    return real(model, examples, *args, **kwargs)

  monkeypatch.setattr(trainer, 'train', recording_train)
  loop.run(c)
  rows = helpers.read_jsonl(tmp_path / 'run' / 'cycle_1' / 'samples.jsonl')
  stats = json.load(open(tmp_path / 'run' / 'cycle_1' / 'stats.json'))
  assert not any(r['stage'] == 'correct' for r in rows if r['prompt_id'] == 'twice' and 'hint' not in r)
  assert stats['prompts']['hinted'] == 1
  hinted = [r for r in rows if 'hint' in r]
  assert {r['prompt_id'] for r in hinted} == {'twice'} and len(hinted) == c.raft.samples_per_prompt
  assert sorted(r['sample_index'] for r in hinted) == [4, 5, 6, 7]  # after the window's 0..3
  for r in hinted:  # graded as the whole program; the tokens and log-probs are the continuation only
    assert r['hint'] == hints.prefix(TWICE, 0.5) and r['completion'].startswith(r['hint'])
    assert len(r['token_logprobs']) == len(r['tokens']) == r['num_tokens']
  tokenizer = weights.load_tokenizer(c.sft_checkpoint)
  kept = [r for r in helpers.read_jsonl(tmp_path / 'run' / 'cycle_1' / 'kept.jsonl') if 'hint' in r]
  for r in kept:  # trained with prompt + hint as context, the continuation as the target
    hint_ids = tokenizer.encode(r['hint'], add_special_tokens=False)
    assert any(e.completion == r['tokens'] and e.prompt[-len(hint_ids) :] == hint_ids for e in seen)
