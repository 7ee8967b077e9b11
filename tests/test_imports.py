"""The package's shape: no import cycles, host-side modules never load JAX, the core imports no tool, and
no module is longer than a sitting's read."""

import ast
import os
import subprocess
import sys

from helpers import REPO

PACKAGE = os.path.join(REPO, 'raftjax')
# Host-side: they run in the verifier's pool, the report, the notebook and the CLIs that need no model.
JAX_FREE = (
  'raftjax.config',
  'raftjax.sections',
  'raftjax.checked',
  'raftjax.cli',
  'raftjax.rundir',
  'raftjax.rows',
  'raftjax.metrics',
  'raftjax.data.tasks',
  'raftjax.data.families',
  'raftjax.data.corpus.',
  'raftjax.data.formats',
  'raftjax.verifier.reward',
  'raftjax.verifier.extract',
  'raftjax.verifier.sandbox',
  'raftjax.verifier.root',
  'raftjax.verifier.workdirs',
  'raftjax.verifier.program',
  'raftjax.verifier.pool',
  'raftjax.rl.selection',
  'raftjax.rl.hints',
  'raftjax.tools.report',
  'raftjax.tools.plots',
  'raftjax.tools.audit',
  'raftjax.tools.compare',
  'raftjax.tools.verify',
  'raftjax.tools.corpus',
  'raftjax.tools.codecontests',
  'raftjax.bench.verifier',
)
# The core: what a run is made of. Tools and benchmarks may import it, never the other way round.
TOOLS = ('raftjax.tools', 'raftjax.bench')
MAX_LINES = 400


def _host_side(module: str) -> bool:
  """Whether `module` is in JAX_FREE (an entry ending with '.' names a whole subpackage)."""
  return any(module == m or (m.endswith('.') and module.startswith(m)) for m in JAX_FREE)


def _modules() -> dict[str, str]:
  """Dotted module name -> file, for every module of the package."""
  out = {}
  for root, _, files in os.walk(PACKAGE):
    for name in files:
      if name.endswith('.py'):
        rel = os.path.relpath(os.path.join(root, name), REPO)[:-3].replace(os.sep, '.')
        out[rel.removesuffix('.__init__')] = os.path.join(root, name)
  return out


def _imports() -> dict[str, set[str]]:
  """Module -> the raftjax modules it imports anywhere in it (function-local imports included)."""
  modules = _modules()
  graph = {}
  for module, path in modules.items():
    with open(path) as f:
      tree = ast.parse(f.read())
    deps = set()
    for node in ast.walk(tree):
      if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith('raftjax'):
        for alias in node.names:  # `from raftjax.x import y`: y is a module or a name in x
          full = f'{node.module}.{alias.name}'
          deps.add(full if full in modules else node.module)
      elif isinstance(node, ast.Import):
        deps.update(a.name for a in node.names if a.name.startswith('raftjax'))
    graph[module] = {d for d in deps if d in modules} - {module}
  return graph


def _reach(graph, start: str) -> set[str]:
  seen, todo = set(), [start]
  while todo:
    for dep in graph.get(todo.pop(), ()):
      if dep not in seen:
        seen.add(dep)
        todo.append(dep)
  return seen


def test_no_import_cycles():
  graph = _imports()
  assert {'raftjax.rl.loop', 'raftjax.config', 'raftjax.rundir', 'raftjax.rl.selection'} <= set(graph)
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
  graph = _imports()
  host = [m for m in graph if _host_side(m)]
  code = (
    'import sys\n'
    f'for m in {host!r}: __import__(m)\n'
    'loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("jax", "jaxlib", "flax", "optax", "orbax"))\n'
    'assert not loaded, loaded\n'
  )
  out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=120)
  assert out.returncode == 0, out.stderr
  files = _modules()
  jax_side = {m for m in graph if not _host_side(m) and not files[m].endswith('__init__.py')}
  for module in host:  # statically too: no path to a JAX module, even through a function-local import
    assert not _reach(graph, module) & jax_side, (module, _reach(graph, module) & jax_side)


def test_the_core_imports_no_tool():
  graph = _imports()
  for module in graph:
    if not module.startswith(TOOLS):
      tools = {m for m in _reach(graph, module) if m.startswith(TOOLS)}
      assert not tools, (module, tools)


def test_no_module_is_longer_than_a_sitting():
  long = {m: n for m, path in _modules().items() if (n := sum(1 for _ in open(path))) > MAX_LINES}
  assert not long, long
