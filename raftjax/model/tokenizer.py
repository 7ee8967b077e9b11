"""Tokenizers: the one a GGUF file describes, built without torch (`from_gguf`), and how a task's prompt
becomes the token ids the sampler is fed and the trainer trains behind (`format_prompt`).

A GGUF has no `tokenizer.json`: llama.cpp stores the vocabulary, merges, token types, special token ids
and chat template as metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`). transformers can read them
(`AutoTokenizer.from_pretrained(dir, gguf_file=...)`), but its GGUF reader imports torch, which no user
path of raftjax may need. Here the metadata is read with the `gguf` package and the same fast tokenizer
is assembled with the `tokenizers` library, then wrapped as a transformers `PreTrainedTokenizerFast`
(chat templates, padding and decoding as usual). `tests/test_gguf_tokenizer.py` checks ids, special
tokens, decoding and the chat template against transformers' own GGUF tokenizer.

`tokenizer.ggml.model` values:
  gpt2   byte-level BPE (SmolLM2, Llama 3, StarCoder, ...): tokens are spelled in GPT-2's byte alphabet,
         text is split by the regex `tokenizer.ggml.pre` names (GPT-2's own when it names none we know),
         then mapped to that alphabet byte by byte.
  llama  SentencePiece BPE with byte fallback (Llama 2, Mistral, CodeLlama): '▁' marks a space and is
         prepended to the text; merges come from the file or, when it has none, from the token scores.
Tokens typed CONTROL become special tokens (never split, dropped by `skip_special_tokens`), USER_DEFINED
ones added tokens (never split).
"""

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

# llama.cpp's token types (gguf.TokenType)
_CONTROL, _USER_DEFINED = 3, 4

# `tokenizer.ggml.pre` -> the regex the vocabulary's merges were learned on (llama.cpp's names). Names not
# listed get GPT-2's regex (the ByteLevel pre-tokenizer's own), which is what 'gpt2', 'smollm',
# 'starcoder' and 'refact' use.
_LLAMA3 = (
  r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
  r'| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+'
)
_QWEN2 = (
  r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
  r'| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+'
)
_SPLITS = {
  'llama3': _LLAMA3,
  'llama-bpe': _LLAMA3,
  'llama-v3': _LLAMA3,
  'smaug-bpe': _LLAMA3,
  'dbrx': _LLAMA3,
  'falcon3': _LLAMA3,
  'qwen2': _QWEN2,
  'deepseek-r1-qwen': _QWEN2,
}


def _field(reader, key: str):
  """A metadata value: str, number, bool, list of those, or None when absent."""
  field = reader.fields.get(key)
  if field is None:
    return None
  return field.contents()


def from_gguf(reader, path: str):
  """A transformers fast tokenizer equal to the one transformers builds from this GGUF's metadata."""
  from transformers import PreTrainedTokenizerFast

  kind = _field(reader, 'tokenizer.ggml.model')
  tokens = _field(reader, 'tokenizer.ggml.tokens')
  if kind not in ('gpt2', 'llama') or not tokens:
    raise ValueError(
      f'{path}: GGUF tokenizer {kind!r} is not supported; supported: gpt2 (byte-level BPE), '
      'llama (SentencePiece BPE). Point sft_checkpoint at an HF directory with tokenizer.json '
      'instead.'
    )
  types = _field(reader, 'tokenizer.ggml.token_type') or [1] * len(tokens)
  vocab = {token: i for i, token in enumerate(tokens)}
  merges = [tuple(m.split(' ', 1)) for m in _field(reader, 'tokenizer.ggml.merges') or []]
  special = {
    name: tokens[i] if (i := _field(reader, f'tokenizer.ggml.{key}')) is not None else None
    for name, key in (
      ('bos_token', 'bos_token_id'),
      ('eos_token', 'eos_token_id'),
      ('unk_token', 'unknown_token_id'),
      ('pad_token', 'padding_token_id'),
    )
  }
  if kind == 'gpt2':
    tokenizer = _byte_level_bpe(vocab, merges, _field(reader, 'tokenizer.ggml.pre'))
    control = [t for t, ty in zip(tokens, types) if ty == _CONTROL and set(t) <= _BYTE_ALPHABET]
    add_bos = bool(_field(reader, 'tokenizer.ggml.add_bos_token'))
  else:
    tokenizer = _sentencepiece_bpe(vocab, merges, tokens, _field(reader, 'tokenizer.ggml.scores'))
    control = [t for t, ty in zip(tokens, types) if ty == _CONTROL]
    add_bos = _field(reader, 'tokenizer.ggml.add_bos_token')
    add_bos = True if add_bos is None else bool(add_bos)  # llama.cpp's default for SentencePiece files
  tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in control])
  tokenizer.add_tokens(
    [AddedToken(t, normalized=False, special=False) for t, ty in zip(tokens, types) if ty == _USER_DEFINED]
  )
  return PreTrainedTokenizerFast(
    tokenizer_object=tokenizer,
    chat_template=_field(reader, 'tokenizer.chat_template'),
    add_bos_token=add_bos,
    add_eos_token=bool(_field(reader, 'tokenizer.ggml.add_eos_token')),
    clean_up_tokenization_spaces=False,
    **special,
  )


def _gpt2_byte_alphabet() -> dict[int, str]:
  """GPT-2's map of the 256 bytes to printable characters (printable Latin-1 maps to itself)."""
  keep = [*range(ord('!'), ord('~') + 1), *range(ord('¡'), ord('¬') + 1), *range(ord('®'), ord('ÿ') + 1)]
  shifted = [b for b in range(256) if b not in keep]
  return {**{b: chr(b) for b in keep}, **{b: chr(256 + i) for i, b in enumerate(shifted)}}


_BYTE_ALPHABET = frozenset(_gpt2_byte_alphabet().values())


def _byte_level_bpe(vocab: dict[str, int], merges: list[tuple], pre: str | None) -> Tokenizer:
  # A token spelled outside the byte alphabet (some converters store raw UTF-8) is respelled byte by byte.
  spell = _gpt2_byte_alphabet()
  vocab = {t if set(t) <= _BYTE_ALPHABET else ''.join(spell[b] for b in t.encode()): i for t, i in vocab.items()}
  tokenizer = Tokenizer(
    models.BPE(
      vocab=vocab, merges=merges, dropout=None, continuing_subword_prefix='', end_of_word_suffix='', fuse_unk=False
    )
  )
  if pre in _SPLITS:
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
      [
        pre_tokenizers.Split(Regex(_SPLITS[pre]), behavior='isolated'),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
      ]
    )
  else:
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
  tokenizer.decoder = decoders.ByteLevel()
  return tokenizer


def _sentencepiece_bpe(
  vocab: dict[str, int], merges: list[tuple], tokens: list[str], scores: list[float] | None
) -> Tokenizer:
  if not merges:  # older files: the merges are implied by which pieces exist and their scores
    from transformers.tokenization_utils_base import generate_merges

    merges = generate_merges(vocab, dict(zip(tokens, scores or [-i for i in range(len(tokens))])))
  tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, dropout=None, fuse_unk=True, byte_fallback=True))
  tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement='▁', prepend_scheme='first', split=False)
  tokenizer.decoder = decoders.Sequence(
    [decoders.Replace('▁', ' '), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(content=' ', left=1)]
  )
  return tokenizer


def format_prompt(tokenizer, prompt: str, system_prompt: str = '', prompt_format: str = '') -> list[int]:
  """Token ids of the prompt as the model is asked: chat-templated, ending with the assistant turn's header,
  or, with `prompt_format` (`generation.prompt_format`, for base models without a chat template), that
  text with `{prompt}` replaced by the task's prompt, tokenised with the model's special tokens (BOS).

  These are exactly the ids the sampler is fed, and the prefix the trainer puts before a sample's tokens.
  An empty `system_prompt` leaves the template's default (SmolLM2's template inserts its own).
  """
  return format_messages(tokenizer, [{'role': 'user', 'content': prompt}], system_prompt, prompt_format)


def encode_completion(tokenizer, text: str) -> list[int]:
  """`text` as the tokens of a completion that ends by eos, as the model would have sampled it (a reference
  program shown to it: SFT data, `raft.demonstrations`)."""
  return list(tokenizer.encode(text, add_special_tokens=False)) + [tokenizer.eos_token_id]


def format_messages(tokenizer, messages: list[dict], system_prompt: str = '', prompt_format: str = '') -> list[int]:
  """`format_prompt` for a conversation (SFT data in chat form): the messages before the assistant's turn,
  chat-templated, ending with its header. `system_prompt` is added unless the conversation has its own.
  With `prompt_format` only the last user message is used (a base model has no turns)."""
  if prompt_format:
    prompt = next(m['content'] for m in reversed(messages) if m['role'] == 'user')
    return list(tokenizer(prompt_format.replace('{prompt}', prompt), add_special_tokens=True)['input_ids'])
  if system_prompt and not (messages and messages[0]['role'] == 'system'):
    messages = [{'role': 'system', 'content': system_prompt}, *messages]
  text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
  # The template already wrote any bos/special tokens as text: tokenising must not add them again.
  return list(tokenizer(text, add_special_tokens=False)['input_ids'])
