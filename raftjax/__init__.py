"""raftjax: RAFT (Reward-Ranked Fine-Tuning) in pure JAX for teaching code LLMs to write C."""


def load_pretrained(name_or_path: str, mesh=None, **overrides):
  """`(model, tokenizer)` of a checkpoint; see `raftjax.model.weights.load_pretrained`.

  Imported lazily so that processes that only verify programs (the verifier's pool) never import JAX.
  """
  from raftjax.model import weights

  return weights.load_pretrained(name_or_path, mesh, **overrides)


__all__ = ['load_pretrained']
