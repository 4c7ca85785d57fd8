"""A ``kind: debate`` task card's items: checked, and completed with what the pipeline derives.

A user writes one item per row — ``question``, ``sentences`` (the passage, split), the two
answers and ``gold_evidence`` (indices of the sentences that settle the question) — and this
module adds the joined ``passage`` and the binary view every weak and strong model reads (one
``candidate`` answer per item, correct or not by a hash of the item, its ``text`` and ``label``).
Problems are reported per item before any compute, naming the card and the rows to fix.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from ..fingerprint import stable_unit
from .wordnet_source import mentions
from .wordnet_tasks import debate_binary_text

DEBATE_INPUTS = ("question", "sentences", "answer_correct", "answer_distractor", "gold_evidence")
DERIVED = ("passage", "candidate", "text", "label")


class DebateItemsError(ValueError):
    """Debate items that cannot be used; the message names the card, the rows and the fix."""


def _as_list(value, row: int, column: str, card_path: Path) -> list:
    """A list cell; CSV and TSV hold lists as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DebateItemsError(f"{card_path}: row {row}: {column} must be a list (in CSV: JSON text such as "
                                   f'["First sentence.", "Second."]); got {value[:60]!r}') from None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, list):
        raise DebateItemsError(f"{card_path}: row {row}: {column} must be a list; got {type(value).__name__}")
    return value


def _check_item(item: dict, row: int, card_path: Path) -> list[str]:
    problems = []
    sentences, gold = item["sentences"], item["gold_evidence"]
    if not sentences or not all(isinstance(s, str) and s.strip() for s in sentences):
        problems.append(f"row {row}: sentences must be a non-empty list of non-empty strings")
    if not gold or not all(isinstance(i, int) and not isinstance(i, bool) for i in gold):
        problems.append(f"row {row}: gold_evidence must be a non-empty list of sentence indices (0-based)")
    elif sentences and any(not 0 <= i < len(sentences) for i in gold):
        problems.append(f"row {row}: gold_evidence {gold} out of range: the item has {len(sentences)} "
                        f"sentences (indices 0–{len(sentences) - 1})")
    correct, distractor = (str(item[c]).strip() for c in ("answer_correct", "answer_distractor"))
    if not correct or not distractor:
        problems.append(f"row {row}: answer_correct and answer_distractor must both be given")
    elif correct.lower() == distractor.lower():
        problems.append(f"row {row}: answer_correct and answer_distractor are the same ({correct!r})")
    if not str(item["question"]).strip():
        problems.append(f"row {row}: question is empty")
    return problems


def debate_items(frame: pd.DataFrame, card_name: str, card_path: Path) -> pd.DataFrame:
    """The card's rows as a debate pool: lists parsed, every item checked (all problems at once),
    ``passage`` and the binary view derived where the file leaves them out. Warns, naming a few
    ids, about items whose gold sentences never name the correct answer (a judge that checks
    quotes against the answers cannot use such evidence)."""
    missing = [c for c in DEBATE_INPUTS if c not in frame.columns]
    if missing:
        raise DebateItemsError(f"{card_path}: debate items need column(s) {missing} (it has {list(frame.columns)}); "
                               "name yours under 'columns:'")
    frame = frame.copy()
    problems: list[tuple[int, str]] = []
    unreadable: set[int] = set()
    for column in ("sentences", "gold_evidence"):
        cells = []
        for row, value in enumerate(frame[column], start=1):
            try:
                cells.append(_as_list(value, row, column, card_path))
            except DebateItemsError as err:
                problems.append((row, str(err).removeprefix(f"{card_path}: ")))
                unreadable.add(row)
                cells.append([])
        frame[column] = cells
    frame["gold_evidence"] = [[int(i) if isinstance(i, float) and i.is_integer() else i for i in g]
                              for g in frame["gold_evidence"]]
    for row, item in enumerate(frame.to_dict("records"), start=1):
        if row not in unreadable:
            problems += [(row, p) for p in _check_item(item, row, card_path)]
    problems = [p for _, p in sorted(problems, key=lambda rp: rp[0])]
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise DebateItemsError(f"{card_path}: {len(problems)} problem(s) in the debate items:\n  " + "\n  ".join(shown))

    unnamed = [i for i, item in enumerate(frame.to_dict("records"))
               if not any(mentions(item["sentences"][g], str(item["answer_correct"])) for g in item["gold_evidence"])]
    if unnamed:
        rows = ", ".join(str(r + 1) for r in unnamed[:5])
        warnings.warn(f"{card_path}: in {len(unnamed)} of {len(frame)} debate item(s) no gold sentence names the "
                      f"correct answer (rows {rows}{', …' if len(unnamed) > 5 else ''}); quotes can then support "
                      "it only indirectly", stacklevel=2)

    if "passage" not in frame.columns:
        frame["passage"] = [" ".join(s) for s in frame["sentences"]]
    if "label" not in frame.columns:  # which answer the binary view proposes: a coin fixed by the item
        frame["label"] = [int(stable_unit("debate-card", card_name, q, c) < 0.5)
                          for q, c in zip(frame["question"], frame["answer_correct"])]
    if "candidate" not in frame.columns:
        frame["candidate"] = [c if y == 1 else d for c, d, y in
                              zip(frame["answer_correct"], frame["answer_distractor"], frame["label"].astype(int))]
    if "text" not in frame.columns:
        frame["text"] = [debate_binary_text(q, c) for q, c in zip(frame["question"], frame["candidate"])]
    return frame
