"""RAFT alone, as the seed runs it: no SFT stage, and the seed's curriculum (keep samples that compile, then
those that compile clean, then those that run: reward >= 0.3, 0.5, 0.7). This is the run measured before
the SFT stage existed (records/default_run, records/layout_check, the sweeps of records/).

Run:  python -m raftjax.main --config=configs/raft_seed.py
"""

from raftjax.sections import SEED_CURRICULUM

from configs import raft


def get_config():
  c = raft.get_config()
  c.sft.data = ''
  c.cycles = [dict(entry) for entry in SEED_CURRICULUM]
  return c
