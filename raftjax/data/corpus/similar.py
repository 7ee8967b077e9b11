"""When two task prompts are near-duplicates: the rule that keeps training tasks apart from held-out ones
(build.decontaminated here; tests/overlap.py for the built-in set, heldout_beginner and the easy families).

Prompt similarity: Jaccard similarity of the sets of words (lowercase letters and digits) that name the
problem. Words found in at least a quarter of either set's prompts are the shared template ("write a
complete C program that reads ... from standard input and prints ... followed by a newline", the closing
"must print nothing else" sentence) and are dropped first, so a copied prompt scores 1.0 whatever template
text is added to it (test_heldout_set.test_overlap_check_flags_copied_prompts).
The threshold, 0.8, is below the closest pairs of DISTINCT problems inside the built-in set itself
(print_1_to_n vs countdown_from_n and print_1_to_10 vs print_1_to_n: 0.83): no held-out prompt may be as
close to a training prompt as the training set's own distinct problems are to each other.
"""

import collections
import re

SIMILARITY_THRESHOLD = 0.8
TEMPLATE_FRACTION = 0.25


def words(prompt: str) -> set[str]:
  return set(re.findall(r'[a-z0-9]+', prompt.lower()))


def template_words(*task_sets) -> set[str]:
  template = set()
  for tasks in task_sets:
    counts = collections.Counter(w for t in tasks for w in words(t['prompt']))
    template |= {w for w, n in counts.items() if n >= TEMPLATE_FRACTION * len(tasks)}
  return template


def similarity(a: str, b: str, template: set[str]) -> float:
  return jaccard(words(a) - template, words(b) - template)


def jaccard(wa: set[str], wb: set[str]) -> float:
  return len(wa & wb) / len(wa | wb) if wa | wb else 1.0
