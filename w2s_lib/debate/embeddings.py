"""One frozen embedding per text unit of a set of debate items, for one rung, computed once.

Units are what debaters and judges compare: questions, answers and passage sentences. They
are embedded as they read mid-sentence (with a leading space: a byte-level BPE tokenizer gives
a word another token at the start of a text; WordPiece ignores it). The table is a cached
feature artifact, so debaters and judges of every protocol and seed share one forward pass —
and the MiniLM truncations share one pass of the full model (:mod:`w2s_lib.training.features`).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .items import DebateItem


def item_units(items: Iterable[DebateItem]) -> list[str]:
    units = set()
    for item in items:
        units.update((item.question, item.answer_correct, item.answer_distractor, *item.sentences))
    return sorted(units)


class UnitEmbeddings:
    """``table[text]`` → the rung's pooled embedding of ``text`` (unit length; optionally centred on
    the table's mean, which removes the direction every mean-pooled decoder state shares)."""

    def __init__(self, rung, items: Sequence[DebateItem], corpus: str = "english", store=None):
        from ..fingerprint import frame_fingerprint
        from ..training.features import rung_features

        import pandas as pd

        self.rung, self.texts = rung, item_units(items)
        self.row = {t: i for i, t in enumerate(self.texts)}
        raw = rung_features(rung, corpus, [" " + t for t in self.texts], store).astype(np.float32)
        self.plain = _unit(raw)
        self.centred = _unit(raw - raw.mean(0))
        self.fingerprint = frame_fingerprint(pd.DataFrame({"t": self.texts}), ["t"])

    def __call__(self, texts: Sequence[str], centred: bool = False) -> np.ndarray:
        table = self.centred if centred else self.plain
        try:
            return table[[self.row[t] for t in texts]]
        except KeyError as err:
            raise KeyError(f"text {err.args[0]!r} is not a unit of the items this table was built for") from None

    def key(self) -> dict:
        return {"rung": self.rung.key_config(), "units": self.fingerprint}


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-8)
