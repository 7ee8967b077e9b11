"""notebooks/raft_run.ipynb runs top to bottom on a real tiny run and draws its plots."""

import os

import nbclient
import nbformat
import pytest

from helpers import REPO

pytestmark = pytest.mark.slow  # whole runs or several processes: the full suite, not the fast tier


NOTEBOOK = os.path.join(REPO, 'notebooks', 'raft_run.ipynb')


@pytest.fixture(scope='module')
def run_dir(tiny_run):
  return tiny_run


def test_notebook_runs_on_a_tiny_run(run_dir, monkeypatch):
  nb = nbformat.read(NOTEBOOK, as_version=4)
  assert not any(cell.get('outputs') for cell in nb.cells), 'the notebook is committed without outputs'
  # The kernel inherits this process's environment: the run to show, and this checkout's raftjax (whatever
  # an installed one points at).
  monkeypatch.setenv('RAFTJAX_RUN_DIR', run_dir)
  monkeypatch.setenv('PYTHONPATH', os.pathsep.join([REPO] + os.environ.get('PYTHONPATH', '').split(os.pathsep)))
  nbclient.NotebookClient(
    nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': os.path.dirname(NOTEBOOK)}}
  ).execute()
  outputs = [o for cell in nb.cells if cell.cell_type == 'code' for o in cell.outputs]
  assert not [o for o in outputs if o.output_type == 'error']
  assert sum('image/png' in o.get('data', {}) for o in outputs) >= 2  # the curves and the loss
  text = ''.join(o.get('data', {}).get('text/markdown', '') for o in outputs)
  assert 'Best cycle' in text and '| base |' in text and 'did not compile' in text and '```c' in text
