"""The module layout: no import cycles, and the host-side modules never load JAX."""

import ast
import os
import subprocess
import sys

from helpers import REPO

PACKAGE = os.path.join(REPO, 'raftjax')
# Host-side: they run in the verifier's pool, the report, the notebook and the CLIs that need no model.
JAX_FREE = ('audit', 'compare', 'config', 'families', 'metrics', 'report', 'rundir', 'sandbox', 'selection', 'tasks', 'verify')


def _imports() -> dict[str, set[str]]:
  """raftjax module -> the raftjax modules it imports anywhere in it (function-local imports included)."""
  graph = {}
  for name in os.listdir(PACKAGE):
    if not name.endswith('.py') or name == '__init__.py':
      continue
    with open(os.path.join(PACKAGE, name)) as f:
      tree = ast.parse(f.read())
    deps = set()
    for node in ast.walk(tree):
      if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith('raftjax'):
        deps.update([node.module.split('.')[1]] if node.module != 'raftjax' else [a.name for a in node.names])
      elif isinstance(node, ast.Import):
        deps.update(a.name.split('.')[1] for a in node.names if a.name.startswith('raftjax.'))
    graph[name[:-3]] = deps - {name[:-3]}
  return graph


def test_no_import_cycles():
  graph = _imports()
  assert {'raft', 'config', 'rundir', 'selection', 'evaluate'} <= set(graph)
  state = {}

  def visit(module, path):
    if state.get(module) == 'done':
      return
    assert state.get(module) != 'open', f'import cycle: {" -> ".join(path + [module])}'
    state[module] = 'open'
    for dep in sorted(graph.get(module, ())):
      visit(dep, path + [module])
    state[module] = 'done'

  for module in sorted(graph):
    visit(module, [])


def test_host_side_modules_import_without_jax():
  code = ('import sys\n'
          f'for m in {JAX_FREE!r}: __import__("raftjax." + m)\n'
          'loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("jax", "jaxlib", "flax", "optax", "orbax"))\n'
          'assert not loaded, loaded\n')
  out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=120)
  assert out.returncode == 0, out.stderr
  graph = _imports()
  jax_side = {m for m in graph if m not in JAX_FREE}
  for module in JAX_FREE:  # statically too: no path to a JAX module, even through a function-local import
    assert not graph[module] & jax_side, (module, graph[module] & jax_side)
