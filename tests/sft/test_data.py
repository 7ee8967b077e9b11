"""The SFT stage's examples (raftjax.sft.data): a small draw of the corpus still covers every family, the
draw is the seed's, and an example is the prompt as the sampler sees it plus the answer and eos."""

import dataclasses

from raftjax.data.corpus import build as corpus
from raftjax.model import weights
from raftjax.model.tokenizer import format_prompt
from raftjax.sections import SftConfig
from raftjax.sft import data


def test_a_small_draw_covers_every_family_and_is_the_seeds():
  families = {t['family'] for t in corpus.tasks()}
  draw = data.corpus_conversations(len(families), seed=0)
  by_prompt = {t['prompt']: t for t in corpus.tasks()}
  assert {by_prompt[c[0]['content']]['family'] for c in draw} == families  # one of each
  assert data.corpus_conversations(len(families), seed=0) == draw != data.corpus_conversations(len(families), seed=1)
  assert len(data.corpus_conversations(0, seed=0)) == len(corpus.tasks())
  first = draw[0]
  assert first[1]['content'] == f'```c\n{by_prompt[first[0]["content"]]["reference"]}```'


def test_sft_corpus_checks_picks_how_the_references_are_written():
  config = SftConfig(num_examples=40, corpus_checks='needed')
  plain, description = data.stage_conversations(config, seed=3)
  checked, _ = data.stage_conversations(dataclasses.replace(config, corpus_checks='all'), seed=3)
  assert 'checks: needed' in description and len(plain) == 40
  assert [c[0] for c in plain] == [c[0] for c in checked]  # the same draw of prompts
  references = {t['prompt']: t['reference'] for t in corpus.tasks('needed')}
  assert [c[1]['content'] for c in plain] == [f'```c\n{references[c[0]["content"]]}```' for c in plain]
  assert sum(c[1]['content'] != d[1]['content'] for c, d in zip(plain, checked)) > 30


def test_an_example_is_the_samplers_prompt_then_the_answer_and_eos():
  tok = weights.load_tokenizer(weights.SMOLLM2)
  conversation = data.corpus_conversations(1, seed=0)[0]
  [example] = data.examples([conversation], tok, 'Be brief.')
  assert example.prompt == format_prompt(tok, conversation[0]['content'], 'Be brief.')
  assert example.completion[-1] == tok.eos_token_id
  assert tok.decode(example.completion[:-1]) == conversation[1]['content']
  [raw] = data.examples([conversation], tok, 'ignored', prompt_format='Task: {prompt}\n')
  assert tok.decode(raw.prompt) == f'Task: {conversation[0]["content"]}\n'
