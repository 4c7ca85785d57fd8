"""The four ways a judge can come to a verdict (Khan et al. 2024; Irving et al. 2018).

* **debate** — two debaters, each assigned one answer, ``rounds`` rounds; each round every
  debater reveals at most ``quotes_per_round`` sentences of the passage as quotes; which of the
  two speaks first is a fair coin per item (:func:`correct_speaks_first`), so each side opens on
  half the items and a judge that favours the first (or last) speaker shows it;
* **consultancy** — one debater, on a side drawn at random per item (the correct answer or
  the wrong one with equal chance), and the judge hears only it;
* **blind** — the judge sees the question and the two answers, nothing else;
* **oracle** — the judge reads the whole passage;
* **retrieval** — a control for what debate adds: for each answer, the strong model shows the
  sentences most about the question and that answer, as many as a debate shows, with no debate
  roles (nothing rewards a sentence for being *more* about its answer than the other; the
  extractive debater without its contrast term, :meth:`Protocol.debater_for`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..fingerprint import stable_unit
from .items import CORRECT, DISTRACTOR, DebateItem

PROTOCOL_NAMES = ("debate", "consultancy", "blind", "oracle", "retrieval")


@dataclass(frozen=True)
class Protocol:
    name: str
    rounds: int = 2
    quotes_per_round: int = 1

    def __post_init__(self) -> None:
        if self.name not in PROTOCOL_NAMES:
            raise ValueError(f"unknown protocol {self.name!r}; accepted: {', '.join(PROTOCOL_NAMES)}")
        if self.rounds < 1 or self.quotes_per_round < 1:
            raise ValueError("a protocol needs rounds >= 1 and quotes_per_round >= 1")

    @property
    def has_debaters(self) -> bool:
        return self.name in ("debate", "consultancy", "retrieval")

    def debater_for(self, debater):
        """Who writes this protocol's turns: the debater, or for ``retrieval`` its plain retriever."""
        if self.name != "retrieval":
            return debater
        if not hasattr(debater, "retriever"):
            raise ValueError(f"the retrieval control needs an extractive debater (its ranking without the "
                             f"contrast term); {debater.key().get('kind', debater)!r} has none")
        return debater.retriever()

    @property
    def reads_passage(self) -> bool:
        return self.name == "oracle"

    def speakers(self, item: DebateItem, seed: int) -> tuple[int, ...]:
        """The answers that have a debater (``CORRECT`` / ``DISTRACTOR``), in speaking order."""
        if self.name in ("debate", "retrieval"):
            return (CORRECT, DISTRACTOR) if correct_speaks_first(item.id) else (DISTRACTOR, CORRECT)
        if self.name == "consultancy":
            return (consultant_side(item.id, seed),)
        return ()

    def key(self) -> dict:
        if not self.has_debaters:
            return {"name": self.name}
        return {"name": self.name, "rounds": self.rounds, "quotes_per_round": self.quotes_per_round}


def correct_speaks_first(item_id: str) -> bool:
    """Whether the debater for the correct answer opens an item's debate: a fair coin fixed by the
    item (the same for every seed, so seeds compare the same debates)."""
    return stable_unit("w2s-speaking-order", item_id) < 0.5


def consultant_side(item_id: str, seed: int) -> int:
    """The consultant's answer for an item: a fair coin fixed by the item and the seed."""
    digest = hashlib.sha1(f"w2s-consultant:{seed}:{item_id}".encode()).digest()
    return CORRECT if digest[0] < 128 else DISTRACTOR


def protocol(name: str, rounds: int = 2, quotes_per_round: int = 1) -> Protocol:
    return Protocol(name, rounds, quotes_per_round)
