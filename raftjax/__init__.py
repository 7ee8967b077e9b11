"""raftjax: RAFT (Reward-Ranked Fine-Tuning) in pure JAX for teaching code LLMs to write C."""

from raftjax.weights import load_pretrained

__all__ = ['load_pretrained']
