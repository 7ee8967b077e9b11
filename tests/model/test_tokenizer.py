"""The torch-free GGUF tokenizer against transformers' own GGUF tokenizer (which needs torch).

Real SmolLM2 file (byte-level BPE) and small GGUF files written here with the `gguf` package for the
other tokenizer kinds: SentencePiece BPE without merges (from scores), and byte-level BPE with a
llama3-style pre-tokenizer regex.
"""

import os

import gguf
import numpy as np
import pytest
from transformers import AutoTokenizer

from raftjax.model import tokenizer as gguf_tokenizer
from raftjax.model import weights

TEXTS = [
  '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, World!\\n");\n    return 0;\n}\n',
  'int main(){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}',
  '\tfor (int i = 0; i < n; ++i) {\n\t\tsum += a[i] * b[i];\n\t}\n',
  '/* comment */ // line comment\n#define MAX(a, b) ((a) > (b) ? (a) : (b))',
  'char *s = "tab\\there"; unsigned long long x = 0xFFFFFFFFFFFFFFFFull;',
  '```c\n#include <stdlib.h>\nint main(void) { return EXIT_SUCCESS; }\n```\nThis program exits.',
  'Write a complete C program that reads two integers and prints their sum.',
  'héllo wörld — naïve café, Ελληνικά, русский, 日本語のテキスト, 한국어',
  'emoji 🙂🚀 and symbols ∑∫√≠ ≤≥ ‰ € £ ¥',
  '    leading spaces',
  'trailing spaces    ',
  'many\n\n\n\nnewlines\r\nand CRLF\r\n',
  'a  b   c    d     e      f',
  '\t\t \t mixed \t whitespace \t\t',
  '',
  ' ',
  "it's we're they'll I'd you've she'S",
  '12345678901234567890 3.14159e-10 -42 +7',
  'printf("%5.2f|%-8s|%08x\\n", x, s, u);',
  '<|im_start|>user\nWrite C.<|im_end|>\n<|im_start|>assistant\n',
  '<|endoftext|><repo_name>raftjax<file_sep>main.c',
  'x<|im_end|>y <|im_start|> z',
  'zero\u200bwidth\u00a0nbsp\ufeffbom',
  '\x00\x01\x7f control bytes',
  'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ' * 3,
]
MESSAGES = [
  [{'role': 'user', 'content': 'Write a C program that prints 42.'}],
  [{'role': 'system', 'content': 'You write C.'}, {'role': 'user', 'content': 'Sum two ints.'}],
  [
    {'role': 'user', 'content': 'hi'},
    {'role': 'assistant', 'content': '```c\nint main(){}\n```'},
    {'role': 'user', 'content': 'Now with\ttabs\nand lines.'},
  ],
]


def _reference(path):
  return AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))


def _assert_same(ours, ref, texts):
  assert type(ours).__name__ == type(ref).__name__
  for name in ('bos_token', 'eos_token', 'unk_token', 'add_bos_token', 'add_eos_token'):
    assert getattr(ours, name) == getattr(ref, name), name
  assert len(ours) == len(ref)
  assert ours.all_special_tokens == ref.all_special_tokens
  assert ours.get_vocab() == ref.get_vocab()
  for text in texts:
    ids = ref(text).input_ids
    assert ours(text).input_ids == ids, text
    assert ours(text, add_special_tokens=False).input_ids == ref(text, add_special_tokens=False).input_ids, text
    assert ours.decode(ids) == ref.decode(ids), text
    assert ours.decode(ids, skip_special_tokens=True) == ref.decode(ids, skip_special_tokens=True), text


def test_smollm2_tokenizer_equals_transformers():
  path = weights.resolve(weights.SMOLLM2)
  ours, ref = weights.load_tokenizer(weights.SMOLLM2), _reference(path)
  assert len(TEXTS) >= 20
  _assert_same(ours, ref, TEXTS)
  assert ours.pad_token == ref.pad_token == '<|im_end|>'
  padded = ours(TEXTS[:4], padding=True)
  assert padded.input_ids == ref(TEXTS[:4], padding=True).input_ids
  assert padded.attention_mask == ref(TEXTS[:4], padding=True).attention_mask
  assert ours.chat_template == ref.chat_template
  for messages in MESSAGES:
    for gen in (True, False):
      text = ours.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
      assert text == ref.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
      assert ours(text, add_special_tokens=False).input_ids == ref(text, add_special_tokens=False).input_ids


def _write_gguf(path, kind, tokens, types, *, scores=None, merges=None, pre=None, add_bos=None, chat=None):
  w = gguf.GGUFWriter(path, 'llama')
  w.add_block_count(1)
  w.add_context_length(64)
  w.add_embedding_length(8)
  w.add_feed_forward_length(16)
  w.add_head_count(2)
  w.add_head_count_kv(1)
  w.add_layer_norm_rms_eps(1e-5)
  w.add_tokenizer_model(kind)
  if pre:
    w.add_tokenizer_pre(pre)
  w.add_token_list(tokens)
  w.add_token_types(types)
  if scores is not None:
    w.add_token_scores(scores)
  if merges:
    w.add_token_merges(merges)
  w.add_bos_token_id(1)
  w.add_eos_token_id(2)
  w.add_unk_token_id(0)
  if add_bos is not None:
    w.add_add_bos_token(add_bos)
  if chat:
    w.add_chat_template(chat)
  w.add_tensor('token_embd.weight', np.zeros((len(tokens), 8), np.float32))
  w.write_header_to_file()
  w.write_kv_data_to_file()
  w.write_tensors_to_file()
  w.close()
  return str(path)


def test_sentencepiece_gguf_without_merges_equals_transformers(tmp_path):
  words = [
    '▁',
    'i',
    'n',
    't',
    'm',
    'a',
    'r',
    'e',
    'u',
    'f',
    'o',
    'p',
    's',
    '▁i',
    'in',
    'nt',
    'int',
    '▁int',
    'ma',
    'mai',
    'main',
    '▁main',
    're',
    'ret',
    'retu',
    'return',
    '▁return',
    '(',
    ')',
    '{',
    '}',
    ';',
    '0',
    '▁re',
    'fo',
    'for',
    '▁for',
    'pr',
    'print',
    '▁print',
    'printf',
    '▁printf',
    '<|user|>',
  ]
  tokens = ['<unk>', '<s>', '</s>'] + [f'<0x{b:02X}>' for b in range(256)] + words
  types = [2, 3, 3] + [6] * 256 + [1] * (len(words) - 1) + [4]
  scores = [0.0] * 259 + [-float(i) for i in range(len(words))]
  path = _write_gguf(
    tmp_path / 'spm.gguf',
    'llama',
    tokens,
    types,
    scores=scores,
    chat='{% for m in messages %}<|user|>{{ m.content }}</s>{% endfor %}',
  )
  ours, ref = weights.load_tokenizer(path), _reference(path)
  assert ours.add_bos_token and ours('int').input_ids[0] == 1  # SentencePiece files add <s> by default
  _assert_same(ours, ref, TEXTS + ['int main(){for(;;)printf(0);return 0;}', '<|user|>int'])
  assert ours.apply_chat_template(MESSAGES[0], tokenize=False) == ref.apply_chat_template(MESSAGES[0], tokenize=False)


@pytest.mark.slow
def test_byte_level_gguf_with_llama3_split_equals_transformers(tmp_path):
  smol = gguf.GGUFReader(weights.resolve(weights.SMOLLM2))
  field = lambda k: smol.fields[k].contents()
  path = _write_gguf(
    tmp_path / 'bpe.gguf',
    'gpt2',
    field('tokenizer.ggml.tokens'),
    field('tokenizer.ggml.token_type'),
    merges=field('tokenizer.ggml.merges'),
    pre='llama-bpe',
  )
  ours, ref = weights.load_tokenizer(path), _reference(path)
  _assert_same(ours, ref, TEXTS)
  # The regex is llama3's, not GPT-2's: a letter run takes one leading punctuation mark along.
  pieces = lambda tok: [p for p, _ in tok.backend_tokenizer.pre_tokenizer.pre_tokenize_str('f(abc)')]
  assert pieces(ours) == ['f', '(abc', ')']
  assert pieces(weights.load_tokenizer(weights.SMOLLM2)) == ['f', '(', 'abc', ')']


def test_unsupported_gguf_tokenizer_names_file_and_kinds(tmp_path):
  path = _write_gguf(tmp_path / 'rwkv.gguf', 'rwkv', ['a', 'b', 'c'], [1, 1, 1])
  with pytest.raises(ValueError, match=r"rwkv\.gguf: GGUF tokenizer 'rwkv' is not supported; supported: gpt2"):
    gguf_tokenizer.from_gguf(gguf.GGUFReader(path), path)
