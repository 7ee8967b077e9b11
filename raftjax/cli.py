"""The one command-line style of every raftjax command: absl flags, a `--config` file flag
(ml_collections' config_flags: the file's values are the defaults, `--config.a.b=value` wins), and one-line
errors instead of the tracebacks config_flags prints for a missing file or an unknown key.

  if __name__ == '__main__':
    cli.config_flag()                   # --config, default configs/raft.py
    flags.DEFINE_string(...)            # the command's own flags
    cli.run(main)
"""

import importlib.util
import logging
import os
import sys

import ml_collections
from absl import app, flags
from ml_collections import config_flags

from raftjax import config as config_lib

# The default run's config file of this checkout, by absolute path: a command works from any directory.
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(CHECKOUT, 'configs', 'raft.py')


def config_flag(help_text: str = 'raftjax config file (get_config()); default: configs/raft.py'):
  """Defines `--config`; its value is `flags.FLAGS.config`, a ConfigDict. config_flags reads the command
  line's `--config.a.b=...` overrides already here, so an override naming no key fails here: one line."""
  if CHECKOUT not in sys.path:  # config files build on each other (`from configs import raft`), from any cwd
    sys.path.append(CHECKOUT)
  try:
    return config_flags.DEFINE_config_file('config', DEFAULT_CONFIG, help_text)
  except (AttributeError, KeyError):
    raise SystemExit(f'FATAL Flags parsing error: {_unknown_override(sys.argv)}') from None
  except Exception as e:  # pylint: disable=broad-except  # the config file is missing or raised
    raise SystemExit(
      f'FATAL Flags parsing error: --config={_config_path(sys.argv)}: cannot load it: '
      f'{type(e).__name__}: {_first_line(e)}'
    ) from None


def check(config) -> None:
  """`raftjax.config.check` for a command: a bad value is one line on stderr and exit status 2, before
  any work."""
  try:
    config_lib.check(config)
  except ValueError as e:
    fail(str(e))


def log_info() -> None:
  """A command's log: INFO lines with the time on stderr; the libraries beneath speak only of problems."""
  logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s', datefmt='%H:%M:%S')
  for name in ('absl', 'jax', 'orbax'):
    logging.getLogger(name).setLevel(logging.WARNING)


def fail(message: str, status: int = 2):
  """Ends the command with `error: message` on one line (status 2: bad input, before any work)."""
  print(f'error: {message}', file=sys.stderr)
  sys.exit(status)


def run(main, hide_torch: bool = True) -> None:
  """absl's `app.run` with `parse_flags`, and a usage error (a flag missing, a stray argument) as one line
  with exit status 2 instead of the module's whole docstring.

  torch is hidden (`hide_torch`; only the benchmarks, which race it, keep it): transformers and
  tensorboardX import it wherever it is installed, and then a command would behave, cost and fail
  differently than in the install the README makes, which has no torch.
  """
  if hide_torch and 'torch' not in sys.modules:
    sys.modules['torch'] = None  # importlib finds no torch: every library takes its torch-free path
  os.environ.setdefault('TRANSFORMERS_NO_ADVISORY_WARNINGS', '1')  # not "PyTorch was not found" on stderr

  def guarded(argv):
    try:
      return main(argv)
    except app.UsageError as e:
      fail(str(e))

  app.run(guarded, flags_parser=parse_flags)


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parser with one-line errors for what config_flags reports as chained tracebacks: an
  override of a key the config file does not have, a config file that is missing or does not load."""
  try:
    rest = flags.FLAGS(argv)
    if 'config' in flags.FLAGS and flags.FLAGS['config'].value is not None:
      flags.FLAGS['config'].value.keys()  # config_flags defers a load failure to the first use: now
    return rest
  except OSError as e:  # the config file is missing or unreadable
    path = _config_path(argv)
    why = 'no such file' if not os.path.exists(path) else str(e).strip().splitlines()[-1].strip()
    raise SystemExit(f'FATAL Flags parsing error: --config={path}: cannot load it: {why}') from None
  except flags.Error as e:
    raise SystemExit(f'FATAL Flags parsing error: {_first_line(e)}') from None
  except (AttributeError, KeyError):
    raise SystemExit(f'FATAL Flags parsing error: {_unknown_override(argv)}') from None
  except Exception as e:  # pylint: disable=broad-except  # the config file itself raised
    raise SystemExit(f'FATAL Flags parsing error: {_config_path(argv)}: {type(e).__name__}: {_first_line(e)}') from None


def _first_line(e: BaseException) -> str:
  text = str(e).strip()
  return text.splitlines()[0] if text else type(e).__name__


def _config_path(argv: list[str]) -> str:
  return next((a.split('=', 1)[1] for a in argv if a.startswith('--config=')), DEFAULT_CONFIG)


def _unknown_override(argv: list[str]) -> str:
  """Names the first `--config.a.b=...` whose key the config file lacks, and the keys it has there."""
  path = _config_path(argv)
  spec = importlib.util.spec_from_file_location('_raftjax_config', os.path.abspath(path))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config()
  for arg in argv:
    if not arg.startswith('--config.'):
      continue
    node, keys = config, arg[len('--config.') :].split('=', 1)[0].split('.')
    for depth, key in enumerate(keys):
      if not isinstance(node, ml_collections.ConfigDict) or key not in node:
        where = '.'.join(['config', *keys[:depth]])
        valid = sorted(node.keys()) if isinstance(node, ml_collections.ConfigDict) else []
        return f'{arg.split("=", 1)[0]}: {where} has no key {key!r}; its keys: {", ".join(valid)}'
      node = node[key]
  return f'an override of {path} names a key it does not have'
