"""What a model reads of a debate item's binary view: one candidate answer, correct or not.

The weak supervisor and the judges do not read the passage (DESIGN: "what each model sees");
strong models do:

* ``question`` — the question and the candidate (the plain weak supervisor M_W, blind);
* ``passage`` — the question, the candidate and every sentence of the passage (strong students
  and ceilings);
* ``evidence`` — the question, the candidate and a few sentences someone chose: a strong model's
  explanation of its output (M'_W with explanations, facilitation Φ).

A view turns rows of a split into features for a rung's probe, from the rung's frozen unit
embeddings (:func:`~w2s_lib.debate.embeddings.relation_features`); the pipeline's weak
supervisors, students and ceilings take a view in place of the task's text.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .embeddings import UnitEmbeddings, relation_features
from .items import DebateItem, items_fingerprint

READS = ("question", "passage", "evidence")


class DebateView:
    def __init__(self, reads: str, items: Mapping[str, DebateItem], evidence: Mapping[str, Sequence[int]] | None = None,
                 evidence_key: str | None = None, parts: Sequence[str] | None = None, store=None):
        if reads not in READS:
            raise ValueError(f"unknown view {reads!r}; accepted: {', '.join(READS)}")
        if (reads == "evidence") != (evidence is not None):
            raise ValueError("the evidence view needs the evidence sentences of every item, and only it")
        self.reads, self.items, self.evidence, self.evidence_key, self.store = reads, items, evidence, evidence_key, store
        self.parts = tuple(parts) if parts is not None else (
            ("blind", "prior") if reads == "question" else ("blind", "prior", "quote", "focus"))
        self._fingerprint = items_fingerprint([items[k] for k in sorted(items)])
        self._units: dict[str, UnitEmbeddings] = {}

    def key(self) -> dict:
        return {"reads": self.reads, "items": self._fingerprint, "evidence": self.evidence_key, "parts": list(self.parts)}

    def units(self, rung) -> UnitEmbeddings:
        if rung.name not in self._units:
            self._units[rung.name] = UnitEmbeddings(rung, [self.items[k] for k in sorted(self.items)], store=self.store)
        return self._units[rung.name]

    def sentences(self, item: DebateItem, candidate: str) -> list[str]:
        if self.reads == "question":
            return []
        if self.reads == "passage":
            return list(item.sentences)
        return [item.sentences[i] for i in self.evidence[item.id]]

    def features(self, rung, frame: pd.DataFrame) -> np.ndarray:
        """One row of features per row of ``frame`` (``id`` and ``candidate`` are read, never ``label``)."""
        units = self.units(rung)
        rows = [relation_features(units, self.items[i].question, c, self.sentences(self.items[i], c), self.parts)
                for i, c in zip(frame["id"], frame["candidate"])]
        return np.stack(rows) if rows else np.zeros((0, 0), np.float32)
