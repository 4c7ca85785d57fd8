"""Weak judges trained on ground truth of split A with the protocol's transcript as context.

After Lang et al. (2025): the judge is a **weak rung** that learns, from A's transcripts and
A's ground truth, to tell which answer the transcript supports. Two ways to train one:

* :class:`PairJudge` (``micro``) — the rung's frozen embeddings of the question, each answer
  and each side's quotes, combined into features that relate them (element-wise products
  such as answer × quote and question × quote, their cosines, and the quotes weighted by how
  much they are about the question), read by a linear Bradley–Terry probe:
  P(A correct) = σ(w · (φ(side A) − φ(side B))). A linear probe on one pooled vector of
  the whole transcript cannot relate two texts (we measured chance on such tasks); the
  products let a linear read-out compare them. Swapping A and B swaps the two sides, so the
  judge has no position preference by construction.
* :class:`TextJudge` (``paper``) — the rung finetuned as a classifier on the rendered
  transcript (any Hugging Face model; the engine of :mod:`w2s_lib.training.engine`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .embeddings import RELATION_PARTS, relation_features
from .transcripts import render

PAIR_PARTS = RELATION_PARTS


def side_quotes(record: dict, side: str) -> list[str]:
    """The verified quotes one side showed (unverified ones carry no evidence)."""
    return [q["text"] for t in record["turns"] if t["side"] == side for q in t["quotes"] if q["verified"]]


class PairJudge:
    """See the module docstring; ``parts`` are those of
    :func:`~w2s_lib.debate.embeddings.relation_features`, over the side's verified quotes (with the
    ``oracle`` protocol, over the whole passage)."""

    def __init__(self, units, parts: Sequence[str] = PAIR_PARTS, seed: int = 0, temperature: float = 0.05,
                 probe: dict | None = None, passages: dict[str, Sequence[str]] | None = None):
        unknown = set(parts) - set(PAIR_PARTS)
        if unknown:
            raise ValueError(f"unknown judge feature part(s) {sorted(unknown)}; accepted: {', '.join(PAIR_PARTS)}")
        self.units, self.parts, self.seed = units, tuple(parts), seed
        self.temperature, self.probe_options = temperature, dict(probe or {})
        self.passages = passages  # id -> sentences: read the whole passage beside the quotes
        self.probe = None

    def key(self) -> dict:
        return {"kind": "pair", "units": self.units.key(), "parts": list(self.parts),
                "temperature": self.temperature, "probe": self.probe_options,
                **({"reads_passage_too": True} if self.passages is not None else {})}

    # -- features --------------------------------------------------------------------------
    def features(self, records: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
        """φ(side A), φ(side B) per record: :func:`relation_features` of each side's answer with the
        question and the side's verified quotes (the oracle: every sentence of the passage); a judge
        given ``passages`` reads the whole passage too (its features beside the quotes')."""
        # quotes written by a language model need not be whole sentences: embed any new ones at once
        self.units.add([q for r in records for s in "AB" for q in side_quotes(r, s)])

        def side(record: dict, s: str) -> np.ndarray:
            quotes = record.get("passage_sentences") or side_quotes(record, s)
            answer = record["answers"]["AB".index(s)]
            feats = relation_features(self.units, record["question"], answer, quotes, self.parts, self.temperature)
            if self.passages is None:
                return feats
            passage = relation_features(self.units, record["question"], answer, self.passages[record["id"]],
                                        self.parts, self.temperature)
            return np.concatenate([feats, passage])

        return (np.stack([side(r, "A") for r in records]), np.stack([side(r, "B") for r in records]))

    # -- training and judging ----------------------------------------------------------------
    def fit(self, records: Sequence[dict], targets: Sequence[float] | None = None) -> "PairJudge":
        """Train on transcripts of split A; the target is the ground truth (is A correct?), or the
        soft ``targets`` given (P(A correct) per record, e.g. a strong teacher's, for Φ)."""
        from ..training.probe import ProbeConfig, train_reward_probe

        fa, fb = self.features(records)
        y = (np.array([1.0 if r["correct"] == 0 else 0.0 for r in records], dtype=np.float32) if targets is None
             else np.asarray(targets, dtype=np.float32))
        cfg = ProbeConfig(loss="bt", seed=self.seed, **self.probe_options)
        self.probe = train_reward_probe(fa, fb, y, cfg)
        return self

    def predict(self, records: Sequence[dict]) -> np.ndarray:
        if self.probe is None:
            raise RuntimeError("the judge is not trained: call fit() on transcripts of split A first")
        fa, fb = self.features(records)
        return self.probe.preference_proba(fa, fb)


class TextJudge:
    """A rung finetuned as a binary classifier on the rendered transcript: P(A correct)."""

    def __init__(self, rung, corpus: str = "english", seed: int = 0, store=None):
        self.rung, self.corpus, self.seed, self.store = rung, corpus, seed, store
        self.model = self.tokenizer = None

    def key(self) -> dict:
        return {"kind": "text", "rung": self.rung.key_config(), "corpus": self.corpus}

    def fit(self, records: Sequence[dict]) -> "TextJudge":
        from ..models.backbone import load_backbone, load_tokenizer_for
        from ..models.heads import BinaryClassifier, freeze_all_but_last
        from ..training.engine import TrainConfig, train_classifier

        rung = self.rung
        self.tokenizer = load_tokenizer_for(rung, self.corpus, self.store)
        self.model = BinaryClassifier(load_backbone(rung, self.corpus, self.store), rung.pooling)
        if rung.train_mode == "last_k":
            freeze_all_but_last(self.model, rung.last_k)
        y = np.array([1.0 if r["correct"] == 0 else 0.0 for r in records], dtype=np.float32)
        cfg = TrainConfig(lr=rung.lr, epochs=rung.epochs, batch_size=rung.batch_size, max_length=rung.max_length,
                          seed=self.seed)
        train_classifier(self.model, self.tokenizer, [render(r) for r in records], y, cfg, desc=f"judge {rung.name}")
        return self

    def predict(self, records: Sequence[dict]) -> np.ndarray:
        from ..training.engine import predict_proba

        if self.model is None:
            raise RuntimeError("the judge is not trained: call fit() on transcripts of split A first")
        return predict_proba(self.model, self.tokenizer, [render(r) for r in records], self.rung.max_length)
