"""Supervised fine-tuning data in the ecosystem's JSONL formats, read into one shape: a conversation whose
last message is the assistant's answer (the only text trained on).

Accepted lines (the TRL / Hugging Face conventions):
  {"prompt": "...", "completion": "..."}                            prompt-completion
  {"prompt": [{"role": "user", "content": "..."}], "completion": [{"role": "assistant", "content": "..."}]}
                                                                    conversational prompt-completion
  {"messages": [{"role": "system" | "user" | "assistant", "content": "..."}, ...]}
                                                                    conversational; trained on the last
                                                                    message, which must be the assistant's
Other keys are ignored. A malformed line is one error naming FILE:LINE and what was expected; nothing is
read past it. Host-side: no JAX, no tokenizer (`raftjax.sft.data` turns conversations into token ids).
"""

from raftjax.data import tasks as tasks_lib

ROLES = ('system', 'user', 'assistant')


class FormatError(ValueError):
  """A malformed SFT line; the message names FILE:LINE."""


def read(path: str) -> list[list[dict]]:
  """The conversations of an SFT JSONL file, each ending with the assistant's message."""
  try:
    with open(path, 'rb') as f:
      data = f.read()
  except OSError as e:
    raise FormatError(f'{path}: cannot read SFT data: {e.strerror or e}') from None
  text = tasks_lib.decode_utf8(data, path, FormatError)
  out = [
    conversation(obj, where)
    for where, _, obj in tasks_lib.jsonl_objects(tasks_lib.jsonl_lines(text), path, FormatError)
  ]
  if not out:
    raise FormatError(
      f'{path}: no examples (expected JSONL lines like {{"prompt": ..., "completion": ...}} or {{"messages": [...]}})'
    )
  return out


def conversation(obj, where: str) -> list[dict]:
  """One line as a conversation (list of {'role', 'content'}) ending with the assistant's message."""
  if not isinstance(obj, dict):
    raise FormatError(f'{where}: expected a JSON object, got {type(obj).__name__}')
  if 'messages' in obj:
    messages = _messages(obj['messages'], where, 'messages')
  elif 'prompt' in obj and 'completion' in obj:
    prompt = obj['prompt']
    messages = [{'role': 'user', 'content': prompt}] if isinstance(prompt, str) else _messages(prompt, where, 'prompt')
    completion = obj['completion']
    messages += (
      [{'role': 'assistant', 'content': completion}]
      if isinstance(completion, str)
      else _messages(completion, where, 'completion')
    )
  else:
    raise FormatError(f'{where}: expected "messages", or "prompt" and "completion"; got keys {sorted(obj)[:8]}')
  if messages[-1]['role'] != 'assistant' or not messages[-1]['content'].strip():
    raise FormatError(f'{where}: the last message must be a non-empty "assistant" message (what is trained on)')
  if len(messages) < 2:
    raise FormatError(f"{where}: expected at least one message before the assistant's answer")
  return messages


def _messages(value, where: str, key: str) -> list[dict]:
  if not isinstance(value, list) or not value:
    raise FormatError(f'{where}: "{key}" must be a string or a non-empty list of {{"role", "content"}} messages')
  out = []
  for i, m in enumerate(value):
    if not isinstance(m, dict) or m.get('role') not in ROLES or not isinstance(m.get('content'), str):
      raise FormatError(
        f'{where}: "{key}"[{i}] must be {{"role": one of {ROLES}, "content": a string}}, got {str(m)[:80]}'
      )
    out.append({'role': m['role'], 'content': m['content']})
  return out
