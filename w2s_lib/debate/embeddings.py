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

    def __init__(self, rung, items: Sequence[DebateItem], corpus: str = "english", store=None,
                 extra_items: Sequence[DebateItem] = ()):
        """``extra_items`` (e.g. a dev split's, when choosing settings) add their units in a pass of
        their own, so the table of ``items`` is the same, centring included, with or without them."""
        from ..fingerprint import frame_fingerprint
        from ..training.features import rung_features

        import pandas as pd

        base = item_units(items)
        extra = sorted(set(item_units(extra_items)) - set(base))
        self.rung, self.corpus, self.store, self.texts = rung, corpus, store, base + extra
        self.row = {t: i for i, t in enumerate(self.texts)}
        raw = np.concatenate([rung_features(rung, corpus, [" " + t for t in part], store).astype(np.float32)
                              for part in (base, extra) if part])
        self._centre = raw[: len(base)].mean(0)
        self.plain = _unit(raw)
        self.centred = _unit(raw - self._centre)
        self.fingerprint = frame_fingerprint(pd.DataFrame({"t": base + extra}), ["t"])

    def add(self, texts: Sequence[str]) -> None:
        """Embed texts that are not units yet (a generative debater's quotes, which need not be whole
        sentences) in one pass, centred like the rest; the key stays that of the items' units."""
        from ..training.features import rung_features

        new = sorted({t for t in texts if t not in self.row})
        if not new:
            return
        raw = rung_features(self.rung, self.corpus, [" " + t for t in new], self.store).astype(np.float32)
        self.row.update({t: len(self.texts) + i for i, t in enumerate(new)})
        self.texts = self.texts + new
        self.plain = np.concatenate([self.plain, _unit(raw)])
        self.centred = np.concatenate([self.centred, _unit(raw - self._centre)])

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


RELATION_PARTS = ("blind", "prior", "quote", "focus")


def relation_features(units: UnitEmbeddings, question: str, answer: str, sentences: Sequence[str],
                      parts: Sequence[str] = RELATION_PARTS, temperature: float = 0.05) -> np.ndarray:
    """Features that relate an answer to a question and to some sentences, from frozen embeddings.

    A linear read-out of one pooled vector cannot tell whether two texts match; element-wise
    products of their embeddings let it. Parts:

    * ``blind``: answer × question and their cosine — what the question alone suggests;
    * ``prior``: the answer's own embedding — which answers tend to be right;
    * ``quote``: the mean of answer × sentence and question × sentence, and the largest cosine of
      a sentence with the answer, with the question, and of their product;
    * ``focus``: the sentences averaged with weights softmax(cos(sentence, question) / τ) — the
      evidence *about the question* — times the answer, and its cosine.

    Embeddings are centred on the table's mean and of unit length. Without sentences the
    ``quote`` and ``focus`` parts are zeros (with a has-evidence bit of 0).
    """
    q, a = units([question, answer], centred=True)
    dim = len(a)
    feats: list = []
    if "blind" in parts:
        feats += [a * q, [a @ q]]
    if "prior" in parts:
        feats += [a]
    S = units(list(sentences), centred=True) if len(sentences) else np.zeros((0, dim), np.float32)
    if "quote" in parts:
        if len(S):
            ca, cq = S @ a, S @ q
            feats += [(S * a).mean(0), (S * q).mean(0), [ca.max(), cq.max(), (ca * cq).max(), 1.0]]
        else:
            feats += [np.zeros(dim), np.zeros(dim), [0.0, 0.0, 0.0, 0.0]]
    if "focus" in parts:
        if len(S):
            w = np.exp((S @ q - (S @ q).max()) / temperature)
            focused = (w / w.sum()) @ S
            feats += [a * focused, [a @ focused, 1.0]]
        else:
            feats += [np.zeros(dim), [0.0, 0.0]]
    return np.concatenate([np.asarray(f, dtype=np.float32).ravel() for f in feats])
