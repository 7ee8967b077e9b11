"""Frozen dataclasses that check their own values when they are made: the base of every config section
(raftjax.sections), so that a bad value is one line naming the field and what was expected."""

import dataclasses
import math


def _finite(x) -> bool:
  return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def is_int(x) -> bool:
  return isinstance(x, int) and not isinstance(x, bool)


def _type_check(default):
  """(check, what it expects) of a field's values, from the type of its default (bool first: it is an int)."""
  if isinstance(default, bool):
    return (lambda v: isinstance(v, bool)), 'True or False'
  if isinstance(default, int):
    return is_int, 'an integer'
  if isinstance(default, float):
    return _finite, 'a finite number'
  if isinstance(default, str):
    return (lambda v: isinstance(v, str)), 'a string'
  return (lambda v: True), ''


class Checked:
  """A section that checks its fields when it is made: each value's type (that of its default), then
  `_checks()`: (field, ok, expected) for its range."""

  def _checks(self):
    return ()

  def __post_init__(self):
    for f in dataclasses.fields(self):  # config files and JSON give lists; frozen and hashable with tuples
      if isinstance(getattr(self, f.name), list):
        object.__setattr__(self, f.name, tuple(getattr(self, f.name)))
    for f in dataclasses.fields(self):
      ok, expected = _type_check(f.default)
      if not ok(getattr(self, f.name)):
        raise ValueError(f'{f.name} = {getattr(self, f.name)!r}: expected {expected}')
    for name, ok, expected in self._checks():
      if not ok:
        raise ValueError(f'{name} = {getattr(self, name)!r}: expected {expected}')
