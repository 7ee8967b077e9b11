"""SFT data in the ecosystem's JSONL formats (raftjax.data.formats): every accepted shape becomes one
conversation ending with the assistant's answer, and every malformed line is one error naming FILE:LINE."""

import json

import pytest

from raftjax.data import formats


def _file(tmp_path, lines) -> str:
  path = tmp_path / 'sft.jsonl'
  path.write_text(''.join((line if isinstance(line, str) else json.dumps(line)) + '\n' for line in lines))
  return str(path)


def test_the_three_formats_read_as_conversations(tmp_path):
  path = _file(
    tmp_path,
    [
      {'prompt': 'Print 1.', 'completion': '```c\nint main(void){return 0;}```'},
      {
        'prompt': [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Print 2.'}],
        'completion': [{'role': 'assistant', 'content': 'two'}],
        'extra': 'ignored',
      },
      '',
      {
        'messages': [
          {'role': 'user', 'content': 'Hi'},
          {'role': 'assistant', 'content': 'a'},
          {'role': 'user', 'content': 'Print 3.'},
          {'role': 'assistant', 'content': 'three'},
        ]
      },
    ],
  )
  first, second, third = formats.read(path)
  assert first == [
    {'role': 'user', 'content': 'Print 1.'},
    {'role': 'assistant', 'content': '```c\nint main(void){return 0;}```'},
  ]
  assert [m['role'] for m in second] == ['system', 'user', 'assistant'] and second[-1]['content'] == 'two'
  assert [m['role'] for m in third] == ['user', 'assistant', 'user', 'assistant'] and third[-1]['content'] == 'three'


@pytest.mark.parametrize(
  'line,message',
  [
    ('{"prompt": "x"', 'malformed JSON'),
    ('[1, 2]', 'expected a JSON object, got list'),
    ({'prompt': 'x'}, 'expected "messages", or "prompt" and "completion"'),
    ({'messages': [{'role': 'user', 'content': 'x'}]}, 'the last message must be a non-empty "assistant" message'),
    ({'messages': [{'role': 'assistant', 'content': 'x'}]}, 'at least one message before'),
    ({'messages': [{'role': 'robot', 'content': 'x'}, {'role': 'assistant', 'content': 'y'}]}, '"messages"[0] must be'),
    ({'prompt': 'x', 'completion': ''}, 'non-empty "assistant"'),
    ({'prompt': 3, 'completion': 'y'}, '"prompt" must be a string or a non-empty list'),
  ],
)
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path, line, message):
  path = _file(tmp_path, [{'prompt': 'ok', 'completion': 'fine'}, line])
  with pytest.raises(formats.FormatError, match=f'sft.jsonl:2: .*{__import__("re").escape(message)}'):
    formats.read(path)


def test_unreadable_and_empty_files(tmp_path):
  with pytest.raises(formats.FormatError, match='cannot read SFT data'):
    formats.read(str(tmp_path / 'missing.jsonl'))
  with pytest.raises(formats.FormatError, match='no examples'):
    formats.read(_file(tmp_path, ['']))
  (tmp_path / 'bad.jsonl').write_bytes(b'{"prompt": "\xff"}\n')
  with pytest.raises(formats.FormatError, match=r'bad.jsonl:1: not valid UTF-8'):
    formats.read(str(tmp_path / 'bad.jsonl'))
