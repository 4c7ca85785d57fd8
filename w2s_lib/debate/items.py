"""Debate items: a passage as sentences, a question and two answers, one of them correct.

The judge sees the two answers as *A* and *B*. Every item is judged in both orders — order 0
shows the correct answer as A, order 1 as B — so a judge that prefers a position cannot look
better or worse than it is; accuracy is the mean over the two orders.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pandas as pd

ORDERS = (0, 1)
CORRECT, DISTRACTOR = 0, 1  # the two answers of an item, independently of where they are shown


@dataclass(frozen=True)
class DebateItem:
    id: str
    sentences: tuple[str, ...]
    question: str
    answer_correct: str
    answer_distractor: str
    gold_evidence: tuple[int, ...] = ()

    @property
    def passage(self) -> str:
        return " ".join(self.sentences)

    def answer(self, which: int) -> str:
        """The correct (``CORRECT``) or the wrong (``DISTRACTOR``) answer."""
        return self.answer_correct if which == CORRECT else self.answer_distractor

    def shown(self, order: int) -> tuple[int, int]:
        """Which answers are shown as (A, B) in this order."""
        return (CORRECT, DISTRACTOR) if order == 0 else (DISTRACTOR, CORRECT)

    def correct_position(self, order: int) -> int:
        """0 when the correct answer is A in this order, 1 when it is B."""
        return self.shown(order).index(CORRECT)


def items_from_frame(frame: pd.DataFrame) -> list[DebateItem]:
    """Items from a debate task's rows (``passage``, ``sentences``, ``question``, answers, gold)."""
    return [DebateItem(id=str(r["id"]), sentences=tuple(str(s) for s in r["sentences"]),
                       question=str(r["question"]), answer_correct=str(r["answer_correct"]),
                       answer_distractor=str(r["answer_distractor"]),
                       gold_evidence=tuple(int(i) for i in r["gold_evidence"]))
            for r in frame.to_dict("records")]


def items_fingerprint(items: Sequence[DebateItem]) -> str:
    """Hash of everything the items hold: part of every transcript key."""
    import hashlib
    import json
    from dataclasses import astuple

    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(astuple(item), separators=(",", ":")).encode())
    return h.hexdigest()[:16]
