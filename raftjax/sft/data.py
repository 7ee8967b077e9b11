"""The SFT stage's examples: conversations (the built-in corpus, or a JSONL file in the ecosystem's
formats: raftjax.data.formats) as token ids, the prompt chat-templated exactly as the sampler sees a task
and the answer ending with eos, so that what SFT trains is what RAFT then samples.
"""

import dataclasses
import random

from raftjax.config import draw_seed
from raftjax.data import formats
from raftjax.data.corpus.program import CHECKS
from raftjax.model.tokenizer import encode_completion, format_messages
from raftjax.sections import SftConfig
from raftjax.train.trainer import Example
from raftjax.verifier.extract import fenced

SEED = -8  # the SFT stage's draws: (config seed, SEED, what)


def corpus_conversations(num_examples: int, seed: int, checks: str = CHECKS[0]) -> list[list[dict]]:
  """`num_examples` tasks of the built-in corpus (all with 0) as conversations: the task's prompt, then its
  reference (written with `checks`, raftjax.data.corpus.program) as a fenced C block. The draw is spread
  over the families: a seeded shuffle of each family, then one task of each family in turn, so a small
  subset still covers every family."""
  from raftjax.data.corpus import build as corpus  # pylint: disable=import-outside-toplevel  # built when asked for

  by_family: dict[str, list[dict]] = {}
  for task in corpus.tasks(checks):
    by_family.setdefault(task['family'], []).append(task)
  rng = random.Random(seed)
  queues = [rng.sample(tasks, len(tasks)) for _, tasks in sorted(by_family.items())]
  picked = []
  while any(queues) and (not num_examples or len(picked) < num_examples):
    for queue in queues:
      if queue and (not num_examples or len(picked) < num_examples):
        picked.append(queue.pop())
  return [
    [{'role': 'user', 'content': t['prompt']}, {'role': 'assistant', 'content': fenced(t['reference'])}] for t in picked
  ]


def conversations(sft: SftConfig, seed: int) -> tuple[list[list[dict]], str]:
  """(the conversations `sft.data` names, a description for the log)."""
  if sft.data == 'corpus':
    out = corpus_conversations(sft.num_examples, seed, sft.corpus_checks)
    return out, f'{len(out)} tasks of the built-in corpus (raftjax.data.corpus, checks: {sft.corpus_checks})'
  out = formats.read(sft.data)
  total = len(out)
  if sft.num_examples and sft.num_examples < total:
    out = random.Random(seed).sample(out, sft.num_examples)
  return out, f'{len(out)} of the {total} examples of {sft.data}'


def stage_conversations(sft: SftConfig, seed: int) -> tuple[list[list[dict]], str]:
  """The SFT stage's conversations of a run with config seed `seed`, and their description."""
  return conversations(sft, draw_seed(seed, SEED))


def replay(sft: SftConfig, seed: int, count: int, draw: int) -> list[list[dict]]:
  """`count` of the SFT stage's conversations (as the stage draws them; the built-in corpus when the run has
  no stage), a seeded sample (`draw`) for one RAFT cycle's fine-tune (`raft.replay`)."""
  stage, _ = stage_conversations(dataclasses.replace(sft, data=sft.data or 'corpus'), seed)
  return random.Random(draw).sample(stage, min(count, len(stage)))


def examples(conversations_: list[list[dict]], tokenizer, system_prompt: str, prompt_format: str = '') -> list[Example]:
  """Each conversation as an Example: everything before the last message as the sampler formats a prompt
  (the run's chat template and system prompt, or `generation.prompt_format`), the last message's tokens
  plus eos as the completion."""
  return [
    Example(
      format_messages(tokenizer, c[:-1], system_prompt, prompt_format), encode_completion(tokenizer, c[-1]['content'])
    )
    for c in conversations_
  ]
