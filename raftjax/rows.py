"""The rows a run writes and reads: one owner for their fields.

A sample row is one line of a cycle's samples.jsonl (and of `tools.evaluate --samples`): which task and
which sample, what the sampler generated (`Sample`) and what the verifier said of it (`Verdict`). A kept
row (kept.jsonl, what a cycle trains on) is a sample row with its `advantage`; a demonstration or a hinted
sample says so in `stage` / `hint`. Every writer builds rows with `sample_row`, every reader takes
`SampleRow`. Host-side: no JAX.
"""

import dataclasses
from typing import NotRequired, TypedDict


@dataclasses.dataclass(frozen=True)
class Sample:
  """One completion, as the sampler returns it.

  tokens: what the model generated, as fed back to it: includes the eos token when it ended by eos; when a
    stop string ended it, the tokens up to the one that completed the stop string. Training on a sample
    trains on `prompt + tokens`.
  logprob: sum over `tokens` of the model's own log-softmax at temperature 1 (the policy's log-likelihood,
    independent of temperature/top-p/top-k, which is what RL objectives and importance ratios need).
  token_logprobs: those log-probabilities one per token: the sampling policy's log pi_old(y_t | y_<t) that
    raftjax.train.objectives divides by (see there why temperature 1).
  entropy: sum over `tokens` of the entropy of the model's next-token distribution at temperature 1, at
    each context the sample passed through (the policy's token entropy along its own samples).
  completion: the text of `tokens` without special tokens, cut before the first stop string; with a hint,
    the hint's text first (what the verifier grades).
  hint: the start of the task's reference program the sampler was given after the prompt (`raft.hint_share`,
    raftjax.rl.hints): context, not sampled; `tokens` and their log-probs are the model's continuation only.
  """

  tokens: list[int]
  num_tokens: int
  finish_reason: str  # 'eos' | 'stop' | 'length'
  logprob: float
  token_logprobs: list[float]
  entropy: float
  completion: str
  hint: str = ''


class Verdict(TypedDict):
  """What the verifier says of one completion (raftjax.verifier.reward owns the stages and rewards)."""

  reward: float  # the ladder: 0.0, 0.3, 0.5, 0.7, 0.7 + 0.2 * passed share, 1.0
  stage: str  # reward.STAGES; 'reference' for a demonstration row
  compiler_output: str  # gcc's diagnostics, head and tail kept when long
  exit_code: int | None  # of the run that decided the stage (None: not run)
  signal: int | None
  tests: list[bool]  # one per test that ran: did stdout match
  compile_s: float
  run_s: float
  detail: str  # why, in words ('exit status 1', '2/3 tests passed', ...)
  answered: NotRequired[int]  # with answer credit: tests whose output ends with the answer


class SampleRow(Verdict):
  """One line of samples.jsonl: the task, the sample's index among the task's samples, `Sample`'s fields
  and the `Verdict`."""

  prompt_id: str
  sample_index: int  # 0 .. samples_per_prompt - 1 (adaptive rounds continue the count; -1: a demonstration)
  tokens: list[int]
  num_tokens: int
  finish_reason: str
  logprob: float
  token_logprobs: list[float]
  entropy: float
  completion: str
  hint: NotRequired[str]  # the hint the sample continued (`Sample.hint`)
  advantage: NotRequired[float]  # kept.jsonl: the weight of the sample in the loss (1 for sft)


def sample_row(prompt_id: str, sample_index: int, sample: Sample, verdict: Verdict) -> SampleRow:
  """The row of one verified sample; `hint` only where there was one."""
  fields = dataclasses.asdict(sample)
  if not fields['hint']:
    del fields['hint']
  return SampleRow(prompt_id=prompt_id, sample_index=sample_index, **fields, **verdict)
