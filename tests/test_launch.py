"""launch/tpu.sh and launch/slurm.sbatch without a cloud or a cluster: stub `gcloud` and `srun` executables
first on PATH record their argv (one JSON list a line) and answer as the real ones would (a TPU VM's state
kept in a file: describe prints it or fails with NOT_FOUND, create makes it READY, delete removes it). The
tests assert on the recorded calls; the one that starts the job also runs the recorded remote command here,
in a scratch HOME, to check that it detaches and hands python the arguments unchanged."""

import json
import os
import shlex
import signal
import subprocess
import sys
import tarfile
import time
import tomllib

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GCLOUD = r"""#!PYTHON
import json, os, shutil, sys
args = sys.argv[1:]
with open(os.environ['STUB_LOG'], 'a') as f:
  f.write(json.dumps(['gcloud'] + args) + '\n')
state_dir = os.environ['STUB_DIR']

def state(kind, value=None):
  path = os.path.join(state_dir, kind)
  if value is not None:
    with open(path, 'w') as f:
      f.write(value)
  return open(path).read().strip() if os.path.exists(path) else 'MISSING'

def describe(kind):
  if state(kind) == 'MISSING':
    sys.exit(print(f'ERROR: (gcloud.compute.tpus.{kind}.describe) NOT_FOUND: Resource was not found', file=sys.stderr)
             or 1)
  print(state(kind))

group, verb = args[:3], (args[3] if len(args) > 3 else '')
if group == ['compute', 'tpus', 'tpu-vm']:
  if verb == 'describe':
    describe('vm')
  elif verb in ('create', 'start'):
    state('vm', 'READY')
  elif verb == 'delete':
    state('vm', 'MISSING')
  elif verb == 'scp' and not any(a.startswith('--recurse') for a in args):
    shutil.copy(args[4], os.path.join(state_dir, 'upload.tgz'))
  elif verb == 'ssh':
    command = next(a.split('=', 1)[1] for a in args if a.startswith('--command='))
    if 'version_info' in command:
      print(os.environ.get('STUB_PYTHON', '3.11'))
elif group == ['compute', 'tpus', 'queued-resources']:
  if verb == 'describe':
    describe('qr')
  elif verb == 'create':
    state('qr', 'ACTIVE'), state('vm', 'READY')
  elif verb == 'delete':
    state('qr', 'MISSING'), state('vm', 'MISSING')
"""

SRUN = r"""#!PYTHON
import json, os, sys
with open(os.environ['STUB_LOG'], 'a') as f:
  f.write(json.dumps(['srun'] + sys.argv[1:]) + '\n')
"""

# python on a worker: records its argv and waits, as a long job would.
WORKER_PYTHON = r"""#!PYTHON
import json, os, sys, time
with open(os.path.join(os.environ['HOME'], 'argv.json'), 'w') as f:
  json.dump(sys.argv[1:], f)
time.sleep(60)
"""


def _stub(directory, name, text):
  path = directory / name
  path.write_text(text.replace('PYTHON', sys.executable, 1))
  path.chmod(0o755)


@pytest.fixture
def cloud(tmp_path):
  """Runs launch/tpu.sh (copied into a small fake checkout) against the stubs: `run(args, vm=STATE,
  qr=STATE, **env)` -> (completed process, recorded calls)."""
  bin_dir, state_dir = tmp_path / 'bin', tmp_path / 'state'
  bin_dir.mkdir()
  state_dir.mkdir()
  _stub(bin_dir, 'gcloud', GCLOUD)
  _stub(bin_dir, 'srun', SRUN)
  checkout = tmp_path / 'checkout'
  for name, text in {
    'launch/tpu.sh': open(os.path.join(REPO, 'launch', 'tpu.sh')).read(),
    'raftjax/__init__.py': '',
    'configs/raft.py': '',
    'runs/old/stats.json': '{}',
    '.git/HEAD': 'ref',
    'model/model.safetensors': 'weights',
    'model/config.json': '{}',
  }.items():
    (checkout / name).parent.mkdir(parents=True, exist_ok=True)
    (checkout / name).write_text(text)
  log = tmp_path / 'calls.jsonl'

  def run(args=(), vm='READY', qr=None, **env):
    for kind, value in (('vm', vm), ('qr', qr)):
      if value not in (None, 'MISSING'):
        (state_dir / kind).write_text(value)
      elif (state_dir / kind).exists():
        (state_dir / kind).unlink()
    if log.exists():
      log.unlink()
    full = dict(
      os.environ,
      PATH=f'{bin_dir}:{os.environ["PATH"]}',
      STUB_LOG=str(log),
      STUB_DIR=str(state_dir),
      NAME='raft',
      ZONE='us-west4-a',
      POLL_S='0',
      **env,
    )
    for key in (
      'ACTION',
      'TYPE',
      'VERSION',
      'OUTPUT',
      'MODEL',
      'QUEUED',
      'SPOT',
      'PROJECT',
      'PYTHON',
      'SETUP',
      'FETCH',
      'FOLLOW',
      'WORKER',
      'TAIL',
      'STUB_PYTHON',
    ):
      if key not in env:
        full.pop(key, None)
    out = subprocess.run(
      ['bash', str(checkout / 'launch' / 'tpu.sh'), *args],
      env=full,
      capture_output=True,
      text=True,
      timeout=60,
      cwd=tmp_path,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return out, calls

  run.state_dir = state_dir
  return run


def _verbs(calls):
  """('tpu-vm' | 'queued-resources', verb) of each gcloud compute tpus call, in order."""
  return [(c[3], c[4]) for c in calls if c[:3] == ['gcloud', 'compute', 'tpus']]


def _ssh_commands(calls):
  return [
    next(a.split('=', 1)[1] for a in c if a.startswith('--command=')) for c in calls if c[3:5] == ['tpu-vm', 'ssh']
  ]


def _start(calls):
  return next(c for c in _ssh_commands(calls) if 'raftjax.main' in c)


def test_creates_a_missing_vm_and_starts_detached(cloud):
  start = time.monotonic()
  out, calls = cloud(['--config=configs/raft.py', '--config.raft.num_cycles=5'], vm='MISSING', TYPE='v5litepod-8')
  assert out.returncode == 0, out.stderr
  assert time.monotonic() - start < 20  # returns at once: the job runs on the workers, not in this ssh
  verbs = _verbs(calls)
  assert verbs[:2] == [('tpu-vm', 'describe'), ('tpu-vm', 'create')]
  create = next(c for c in calls if c[3:5] == ['tpu-vm', 'create'])
  assert 'raft' in create and '--accelerator-type=v5litepod-8' in create and '--zone=us-west4-a' in create
  assert '--version=v2-alpha-tpuv5-lite' in create
  assert all('--worker=all' in c for c in calls if c[3:5] == ['tpu-vm', 'ssh'] and 'version_info' not in str(c))
  setup = next(c for c in _ssh_commands(calls) if 'pip install' in c)
  assert "pip install -q -e '.[tpu]'" in setup and 'gcc --version' in setup
  job = _start(calls)
  assert 'setsid nohup bash -c' in job and '>>~/raftjax-run.log 2>&1 </dev/null &' in job
  assert '--config=configs/raft.py' in job and '--config.raft.num_cycles=5' in job
  assert '--config.output_dir=runs/raft' in job  # default: the VM's own disk, with a warning
  assert job.index('--config=configs/raft.py') < job.index('--config.output_dir')  # config_flags: --config= first
  assert "on the VM's own disk" in out.stderr
  assert 'ACTION=logs' in out.stdout and 'ACTION=fetch' in out.stdout


def test_the_job_detaches_and_gets_the_arguments_unchanged(cloud, tmp_path):
  """The recorded start command, run here as a worker's shell would: it returns while python runs, python
  gets exactly the flags (spaces and quotes kept), the pid file names its process group, and ACTION=stop's
  command ends it."""
  args = [
    '--config=configs/raft.py',
    "--config.generation.system_prompt=You write C. Don't explain.",
    '--config.output_dir=/data/my run',
  ]
  out, calls = cloud(args, MODEL='gs://bkt/models/Qwen-7B')
  assert out.returncode == 0, out.stderr
  home = tmp_path / 'home'
  (home / 'raftjax').mkdir(parents=True)
  (home / 'raftjax-venv' / 'bin').mkdir(parents=True)
  _stub(home / 'raftjax-venv' / 'bin', 'python', WORKER_PYTHON)
  (home / 'raftjax-venv' / 'bin' / 'activate').write_text(f'export PATH={home}/raftjax-venv/bin:$PATH\n')
  env = dict(os.environ, HOME=str(home))
  start = time.monotonic()
  subprocess.run(['bash', '-c', _start(calls)], env=env, check=True, timeout=30, capture_output=True)
  assert time.monotonic() - start < 10
  pid = None
  try:
    for _ in range(100):
      if (home / 'argv.json').exists() and (home / 'raftjax-run.pid').exists():
        break
      time.sleep(0.1)
    argv = json.loads((home / 'argv.json').read_text())
    assert argv == ['-m', 'raftjax.main', *args, f'--config.sft_checkpoint={home}/raftjax-models/Qwen-7B']
    pid = int((home / 'raftjax-run.pid').read_text())
    assert os.getpgid(pid) == pid  # a session of its own: no SIGHUP from the ssh that started it
    _, calls = cloud(ACTION='stop')
    subprocess.run(['bash', '-c', _ssh_commands(calls)[0]], env=env, check=True, timeout=30, capture_output=True)
    for _ in range(50):
      try:
        os.kill(pid, 0)
      except ProcessLookupError:
        pid = None
        break
      time.sleep(0.1)
    assert pid is None, 'ACTION=stop left the job running'
    assert 'raftjax: started' in (home / 'raftjax-run.log').read_text()
  finally:
    if pid is not None:
      os.killpg(pid, signal.SIGKILL)


@pytest.mark.parametrize('state', ['PREEMPTED', 'TERMINATED'])
def test_a_preempted_vm_is_deleted_and_recreated(cloud, state):
  out, calls = cloud(['--config=configs/raft.py'], vm=state, TYPE='v5litepod-8')
  assert out.returncode == 0, out.stderr
  assert _verbs(calls)[:4] == [
    ('tpu-vm', 'describe'),
    ('tpu-vm', 'delete'),
    ('tpu-vm', 'create'),
    ('tpu-vm', 'describe'),
  ]
  assert '--quiet' in next(c for c in calls if c[3:5] == ['tpu-vm', 'delete'])
  assert f'raft is {state}: deleting and re-creating it' in out.stderr


def test_a_ready_vm_is_used_as_it_is(cloud):
  out, calls = cloud(['--config=configs/raft.py'])
  assert out.returncode == 0, out.stderr
  assert not {v for _, v in _verbs(calls)} & {'create', 'delete'}


def test_a_missing_vm_without_type_is_one_line(cloud):
  out, calls = cloud(['--config=configs/raft.py'], vm='MISSING')
  assert out.returncode == 1 and out.stderr.strip().count('\n') == 0, out.stderr
  assert 'set TYPE' in out.stderr and not any(c[3:5] == ['tpu-vm', 'create'] for c in calls)


def test_queued_resources(cloud):
  out, calls = cloud(['--config=configs/raft.py'], vm='MISSING', QUEUED='1', TYPE='v5litepod-8', SPOT='1')
  assert out.returncode == 0, out.stderr
  create = next(c for c in calls if c[3:5] == ['queued-resources', 'create'])
  assert '--node-id=raft' in create and '--accelerator-type=v5litepod-8' in create and '--spot' in create
  assert '--runtime-version=v2-alpha-tpuv5-lite' in create
  # A suspended (preempted spot) request is deleted with its VM and queued again.
  out, calls = cloud(['--config=configs/raft.py'], vm='PREEMPTED', qr='SUSPENDED', QUEUED='1', TYPE='v5litepod-8')
  assert out.returncode == 0, out.stderr
  verbs = _verbs(calls)
  assert verbs.index(('queued-resources', 'delete')) < verbs.index(('queued-resources', 'create'))
  assert '--force' in next(c for c in calls if c[3:5] == ['queued-resources', 'delete'])
  assert 'raftjax.main' in _start(calls)


def test_bucket_output_is_mounted_and_becomes_output_dir(cloud):
  out, calls = cloud(['--config=configs/raft.py'], OUTPUT='gs://my-bkt/runs/raft-v5e')
  assert out.returncode == 0, out.stderr
  setup = next(c for c in _ssh_commands(calls) if 'pip install' in c)
  assert 'command -v gcsfuse' in setup and 'apt-get' in setup and 'install gcsfuse' in setup
  assert 'gcsfuse --implicit-dirs' in setup and 'my-bkt /mnt/gcs/my-bkt' in setup
  assert 'mountpoint -q /mnt/gcs/my-bkt' in setup and 'mkdir -p /mnt/gcs/my-bkt/runs/raft-v5e' in setup
  job = _start(calls)
  assert '--config.output_dir=/mnt/gcs/my-bkt/runs/raft-v5e' in job and job.count('--config.output_dir') == 1
  assert "VM's own disk" not in out.stderr
  out, calls = cloud(['--config=configs/raft.py'], ACTION='fetch', OUTPUT='gs://my-bkt/runs/raft-v5e', FETCH='here')
  assert out.returncode == 0, out.stderr
  assert ['gcloud', 'storage', 'rsync', '-r', 'gs://my-bkt/runs/raft-v5e', 'here'] == calls[0][:6]


@pytest.mark.parametrize('form', [['--config.output_dir=/data/mine'], ['--config.output_dir', '/data/mine']])
def test_the_users_output_dir_wins(cloud, form):
  out, calls = cloud(['--config=configs/raft.py', *form], OUTPUT='gs://my-bkt/run')
  assert out.returncode == 0, out.stderr
  job = _start(calls)
  assert job.count('--config.output_dir') == 1 and '/data/mine' in job and '/mnt/gcs/my-bkt/run' not in job
  assert 'it wins over OUTPUT' in out.stderr
  # Fetching follows it: from worker 0's disk, an absolute path as it is.
  out, calls = cloud(['--config=configs/raft.py', *form], ACTION='fetch', OUTPUT='gs://my-bkt/run', FETCH='here')
  scp = next(c for c in calls if c[3:5] == ['tpu-vm', 'scp'])
  assert 'raft:/data/mine/*' in scp and '--recurse' in scp and '--worker=0' in scp


def test_model_is_staged_from_storage(cloud):
  out, calls = cloud(['--config=configs/raft.py'], MODEL='gs://bkt/models/Qwen-7B/')
  assert out.returncode == 0, out.stderr
  setup = next(c for c in _ssh_commands(calls) if 'pip install' in c)
  assert 'gcloud storage cp -r gs://bkt/models/Qwen-7B ~/raftjax-models/' in setup
  assert '--config.sft_checkpoint=$HOME/raftjax-models/Qwen-7B' in _start(calls)
  out, calls = cloud(['--config=configs/raft.py', '--config.sft_checkpoint=/data/own'], MODEL='gs://bkt/models/Q')
  job = _start(calls)
  assert job.count('--config.sft_checkpoint') == 1 and '--config.sft_checkpoint=/data/own' in job
  out, _ = cloud(['--config=configs/raft.py'], MODEL='/local/dir')
  assert out.returncode == 1 and 'expected gs://BUCKET/DIR' in out.stderr


def test_checkout_travels_without_outputs_history_or_weights(cloud):
  out, _ = cloud(['--config=configs/raft.py'])
  assert out.returncode == 0, out.stderr
  with tarfile.open(cloud.state_dir / 'upload.tgz') as tar:
    names = {n.removeprefix('./') for n in tar.getnames()}
  assert {'launch/tpu.sh', 'raftjax/__init__.py', 'configs/raft.py', 'model/config.json'} <= names
  assert not {n for n in names if n.startswith(('runs', '.git')) or n.endswith('.safetensors')}


@pytest.mark.parametrize('version', ['3.10', '2.7'])
def test_an_image_with_old_python_fails_in_one_line(cloud, version):
  out, calls = cloud(['--config=configs/raft.py'], STUB_PYTHON=version)
  assert out.returncode == 1
  assert out.stderr.strip().count('\n') == 0 and f'Python {version}' in out.stderr and '>= 3.11' in out.stderr
  assert not any(c[3:5] == ['tpu-vm', 'scp'] for c in calls) and not any(
    'raftjax.main' in c for c in _ssh_commands(calls)
  )


def test_status_logs_stop_and_fetch(cloud):
  out, calls = cloud(ACTION='status')
  assert out.returncode == 0 and 'raft: READY' in out.stdout
  assert 'kill -0' in _ssh_commands(calls)[0]
  out, calls = cloud(ACTION='logs', FOLLOW='1', WORKER='2')
  logs = next(c for c in calls if c[3:5] == ['tpu-vm', 'ssh'])
  assert '--worker=2' in logs and 'tail -n 100 -F ~/raftjax-run.log' in _ssh_commands(calls)[0]
  out, calls = cloud(ACTION='stop')
  assert 'kill -TERM -- -$(cat ~/raftjax-run.pid)' in _ssh_commands(calls)[0]
  out, calls = cloud(ACTION='fetch', FETCH='here')
  scp = next(c for c in calls if c[3:5] == ['tpu-vm', 'scp'])
  assert 'raft:raftjax/runs/raft/*' in scp  # relative output_dir: under the checkout on the worker
  out, calls = cloud(ACTION='status', vm='MISSING')
  assert out.returncode == 0 and 'raft: MISSING' in out.stdout
  out, _ = cloud(ACTION='nonsense')
  assert out.returncode == 1 and 'expected run, status' in out.stderr


# ------------------------------------------------------------------------------------------------ SLURM


def _sbatch(tmp_path, args, **env):
  bin_dir = tmp_path / 'bin'
  bin_dir.mkdir(exist_ok=True)
  _stub(bin_dir, 'srun', SRUN)
  log = tmp_path / 'srun.jsonl'
  full = {k: v for k, v in os.environ.items() if not k.startswith('SLURM')}
  full.update(PATH=f'{bin_dir}:{os.environ["PATH"]}', STUB_LOG=str(log), **env)
  out = subprocess.run(
    ['bash', os.path.join(REPO, 'launch', 'slurm.sbatch'), *args], env=full, capture_output=True, text=True, timeout=30
  )
  assert out.returncode == 0, out.stderr
  return out, [json.loads(line) for line in log.read_text().splitlines()]


def test_slurm_runs_raftjax_on_every_node(tmp_path):
  args = [
    '--config=configs/raft_7b.py',
    '--config.mesh.shape=(16,1,1)',
    '--config.training.batch_size=16',
    '--config.verifier.min_isolation=ns',
  ]
  out, calls = _sbatch(tmp_path, args, SLURM_JOB_NUM_NODES='2', SLURM_NTASKS_PER_NODE='8', SLURM_CPUS_PER_TASK='12')
  [srun] = calls
  i = srun.index('python')
  assert srun[i:] == ['python', '-m', 'raftjax.main', *args]
  assert {'--nodes=2', '--ntasks-per-node=8', '--cpus-per-task=12', '--kill-on-bad-exit=1'} <= set(srun[1:i])
  assert '2 node(s) x 8 task(s) = 16 processes' in out.stdout and 'min_isolation' not in out.stdout
  out, calls = _sbatch(tmp_path, ['--config=configs/raft.py'])  # outside an allocation: the defaults
  assert {'--nodes=1', '--ntasks-per-node=8'} <= set(calls[-1]) and '--config.verifier.min_isolation=ns' in out.stdout
  out, calls = _sbatch(tmp_path, [], SLURM_JOB_NUM_NODES='3', SLURM_NTASKS_PER_NODE='4(x3)')
  assert {'--nodes=3', '--ntasks-per-node=4'} <= set(calls[-1])


def test_slurm_header_says_how(tmp_path):
  text = open(os.path.join(REPO, 'launch', 'slurm.sbatch')).read()
  directives = [line.split()[1] for line in text.splitlines() if line.startswith('#SBATCH')]
  assert '--nodes=1' in directives and '--ntasks-per-node=8' in directives and '--gpus-per-task=1' in directives
  assert "pip install -e '.[cuda]'" in text and '--config.verifier.min_isolation=ns' in text
  example = text[text.index('sbatch --nodes=2 launch/slurm.sbatch --config=configs/raft_7b.py \\') :]
  example = ' '.join(line.lstrip('# ').rstrip('\\') for line in example.splitlines()[:4])
  words = shlex.split(example)
  assert {'--config.mesh.shape=(16,1,1)', '--config.training.batch_size=16'} <= set(words)
  extras = tomllib.load(open(os.path.join(REPO, 'pyproject.toml'), 'rb'))['project']['optional-dependencies']
  assert extras['cuda'] == ["jax[cuda12]>=0.10,<0.13; sys_platform == 'linux'"]
