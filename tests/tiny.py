"""A tiny LLaMA that writes C: the test stand-in for a real SFT checkpoint.

A 2-layer model with SmolLM2's tokenizer is fine-tuned in torch (a few seconds) to answer a handful of
prompts with short C programs, some correct, some not, so that RAFT sees every reward level. It is saved
as an HF checkpoint directory, which is what users point `sft_checkpoint` at.
"""

import json
import os

import torch
import transformers

from raftjax.model import weights

TASKS = [
  dict(id='hello', prompt='Print hello.', tests=[dict(stdin='', stdout='hello\n')]),
  dict(id='seven', prompt='Print 7.', tests=[dict(stdin='', stdout='7\n')]),
  dict(id='echo', prompt='Echo a number.', tests=[dict(stdin='5\n', stdout='5\n'), dict(stdin='9', stdout='9')]),
  dict(id='twice', prompt='Double a number.', tests=[dict(stdin='4\n', stdout='8\n')]),
]
EVAL_TASKS = [dict(id='hello2', prompt='Print hello!', tests=[dict(stdin='', stdout='hello\n')])]

_PROGRAMS = {
  'hello': ['int puts(const char*);\nint main(void){puts("hello");return 0;}', 'int main(void){int x;return 0;}'],
  'seven': ['int printf(const char*,...);\nint main(void){printf("7\\n");return 0;}', 'int main(void){return 1;}'],
  'echo': [
    'int scanf(const char*,...);int printf(const char*,...);\n'
    'int main(void){int n;scanf("%d",&n);printf("%d\\n",n);return 0;}',
    'int main(void){return 0}',
  ],
  'twice': [
    'int scanf(const char*,...);int printf(const char*,...);\n'
    'int main(void){int n;scanf("%d",&n);printf("%d\\n",n);return 0;}',
    'int main(void){int n;return 0;}',
  ],
}


def make(directory: str) -> str:
  """Writes the tiny checkpoint (config, safetensors, tokenizer) and the task files into `directory`."""
  torch.manual_seed(0)
  tok = weights.load_tokenizer(weights.SMOLLM2)
  config = transformers.LlamaConfig(
    vocab_size=len(tok),
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=512,
    tie_word_embeddings=True,
    bos_token_id=tok.bos_token_id,
    eos_token_id=tok.eos_token_id,
  )
  model = transformers.LlamaForCausalLM(config)
  opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
  batch = []
  for task in TASKS + EVAL_TASKS:
    prompt = tok.apply_chat_template(
      [{'role': 'user', 'content': task['prompt']}], add_generation_prompt=True, tokenize=False
    )
    for program in _PROGRAMS.get(task['id'], _PROGRAMS['hello']):
      batch.append(prompt + '```c\n' + program + '\n```<|im_end|>')
  enc = tok(batch, return_tensors='pt', padding=True, add_special_tokens=False)
  labels = enc['input_ids'].masked_fill(enc['attention_mask'] == 0, -100)
  for _ in range(100):
    loss = model(**enc, labels=labels).loss
    opt.zero_grad()
    loss.backward()
    opt.step()
  model_dir = os.path.join(directory, 'model')
  model.save_pretrained(model_dir, safe_serialization=True)
  tok.save_pretrained(model_dir)
  for name, tasks in (('tasks.jsonl', TASKS), ('eval.jsonl', EVAL_TASKS)):
    with open(os.path.join(directory, name), 'w') as f:
      f.writelines(json.dumps(t) + '\n' for t in tasks)
  return model_dir
