"""Φ, facilitation: a strong model improves a weak one (the paper's Eq. 1, both terms).

    θ_W' = argmin_θ (1 − w) · mean_{(x, y) ∈ A} L(f_θ(x), y) + w · mean_{q ∈ Q} L(f_θ(q), f_S(q))

The weak rung learns what M_W learns — ground truth of A — and, with weight ``w``, to match a
strong **teacher**'s soft outputs on task instances Q: a split of its own, disjoint from A, B, val
and test, whose labels no model sees. ``w = 1`` keeps the teacher's term alone (M'_W then knows
nothing M_W's ground truth taught it); ``w = 0`` would be M_W. The weight is chosen on dev
(:mod:`w2s_lib.choices`). M'_W then labels B for the strong student like any weak supervisor.
Teachers:

* ``student`` — the weak-to-strong student (the strong rung trained on M_W's labels of B): no
  ground truth reaches Φ;
* ``zero_shot`` — the strong rung scoring each input against textual descriptions of the labels
  (for debate items: how well the passage's sentences about the question name each answer);
* ``ceiling`` — the strong rung trained on ground truth of B: an upper bound, reported as such.

**With explanations**, M'_W also reads the teacher's explanation of each output: the passage
sentences it relies on, found by occlusion (the sentences whose removal moves its output most
towards the other answer), in training and whenever it labels.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .pipeline import TaskData, labels_artifact, model_artifact, probe_config, read_labels, split_features
from .store import Artifact, ArtifactStore

TEACHERS = ("student", "zero_shot", "ceiling")
FACILITATION_VERSION = 1


def facilitate(weak, data: TaskData, seed: int, teacher: Artifact, store: ArtifactStore | None = None,
               teacher_weight: float = 1.0) -> Artifact:
    """**Φ**: M'_W, the ``weak`` rung trained on Eq. 1's two terms — ground truth of A with weight
    ``1 − teacher_weight`` and ``teacher``'s soft labels of Q with ``teacher_weight``, each a mean
    over its split (the cross-entropy as L). What M'_W reads is ``data``'s view. Returns M'_W's
    labels on B, val, Q and test, an artifact."""
    data.splits.assert_disjoint()
    if not len(data.splits.Q):
        raise ValueError(f"{data.task}: facilitation needs the unlabelled split Q, and this preset gives it 0 items")
    if not 0.0 <= teacher_weight <= 1.0:
        raise ValueError(f"teacher_weight must be in [0, 1] (0: ground truth of A alone, 1: the teacher's "
                         f"outputs alone); got {teacher_weight}")

    def teacher_targets() -> np.ndarray:
        return read_labels(teacher, "Q").loc[data.splits.Q["id"]].to_numpy(np.float32)

    if teacher_weight == 1.0:  # the teacher's term alone: a rung trained on Q like any other model
        return model_artifact("facilitated", weak, data, seed, "Q", lambda: (teacher_targets(), None),
                              supervisor=teacher, store=store)
    if weak.train_mode != "probe":
        raise ValueError(f"Φ with both terms trains a probe; rung {weak.name} trains in mode {weak.train_mode!r}")

    def probs() -> dict:
        from .training.probe import train_probe

        n_a, n_q = len(data.splits.A), len(data.splits.Q)
        features = np.concatenate([split_features(weak, data, "A", store), split_features(weak, data, "Q", store)])
        targets = np.concatenate([data.labels("A").astype(np.float32), teacher_targets()])
        weights = np.concatenate([np.full(n_a, (1 - teacher_weight) / n_a), np.full(n_q, teacher_weight / n_q)])
        probe = train_probe(features, targets, probe_config(weak, seed=seed), weights=weights * (n_a + n_q))
        return {s: probe.predict_proba(split_features(weak, data, s, store)) for s in data.emitted}

    config = {"rung": weak.key_config(), "view": data.view.key() if data.view is not None else None,
              "teacher_weight": teacher_weight, "objective": "eq1: ground truth of A + teacher on Q"}
    return labels_artifact("facilitated", config, data, seed, probs, inputs=(teacher.key,), ground_truth=("A",),
                           store=store)


# ----------------------------------------------------------------------------- zero-shot teachers

def debate_zero_shot(strong_units, items: Mapping, temperature: float = 0.05) -> Callable:
    """A debate item's candidate scored without training: m(a) = max over sentences s of
    cos(s, question) + cos(s, a); P(candidate) = σ((m(candidate) − m(other answer)) / τ)."""

    def score(item, candidate: str, sentences: Sequence[str]) -> float:
        if not sentences:
            return 0.5
        other = item.answer_distractor if candidate == item.answer_correct else item.answer_correct
        s = strong_units(list(sentences))
        q, c, o = strong_units([item.question, candidate, other])
        margin = (s @ q + s @ c).max() - (s @ q + s @ o).max()
        return float(1 / (1 + np.exp(-margin / temperature)))

    return score


def text_zero_shot_probs(strong, texts: Sequence[str], label_texts: Sequence[str], temperature: float = 0.05,
                         corpus: str = "english", store=None) -> np.ndarray:
    """P(label 1) of each text: softmax over the two label descriptions of cos(text, description) / τ."""
    from .training.features import rung_features

    e = rung_features(strong, corpus, list(texts), store)
    d = rung_features(strong, corpus, list(label_texts), store)
    e, d = (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8) for x in (e, d))
    logits = (e @ d.T) / temperature
    logits -= logits.max(1, keepdims=True)
    p = np.exp(logits)
    return p[:, 1] / p.sum(1)


# ----------------------------------------------------------------------------- explanations

def occlusion_evidence(score: Callable, items: Mapping, frame: pd.DataFrame, k: int = 2) -> dict[str, list[int]]:
    """For each row (item id, candidate): the ``k`` sentences whose removal moves ``score`` most
    against the decision it makes with the whole passage — what the model relies on."""
    evidence = {}
    for item_id, candidate in zip(frame["id"], frame["candidate"]):
        item = items[item_id]
        full = score(item, candidate, list(item.sentences))
        sign = 1.0 if full >= 0.5 else -1.0
        drops = [sign * (full - score(item, candidate, [s for j, s in enumerate(item.sentences) if j != i]))
                 for i in range(len(item.sentences))]
        evidence[item_id] = sorted(int(i) for i in np.argsort(-np.asarray(drops), kind="stable")[:k])
    return evidence


def probe_scorer(probe, view, rung) -> Callable:
    """A view probe (e.g. the W2S student reading the passage) as ``score(item, candidate, sentences)``."""
    from .debate.embeddings import relation_features

    units = view.units(rung)

    def score(item, candidate: str, sentences: Sequence[str]) -> float:
        feats = relation_features(units, item.question, candidate, sentences, view.parts)
        return float(probe.predict_proba(feats[None, :])[0])

    return score


def zero_shot_teacher(strong, data: TaskData, seed: int, items: Mapping | None = None, temperature: float = 0.05,
                      store: ArtifactStore | None = None) -> Artifact:
    """The strong rung's zero-shot labels on B, val, Q and test (a labels artifact, no training):
    debate items by :func:`debate_zero_shot` over the whole passage (``items`` given), other
    binary tasks by :func:`text_zero_shot_probs` against the task's ``label_texts``."""
    from .data.registry import get_task
    from .debate.embeddings import UnitEmbeddings

    if items is not None:
        units = UnitEmbeddings(strong, [items[k] for k in sorted(items)], store=store)
        score = debate_zero_shot(units, items, temperature)

        def probs() -> dict:
            return {s: np.array([score(items[i], c, list(items[i].sentences))
                                 for i, c in zip(data.splits[s]["id"], data.splits[s]["candidate"])])
                    for s in data.emitted}

        config = {"teacher": "zero_shot_debate", "strong": units.key(), "temperature": temperature}
        return labels_artifact("zero_shot", config, data, seed, probs, store=store)
    label_texts = get_task(data.task).label_texts
    if len(label_texts) != 2:
        raise ValueError(f"task {data.task!r} has no label_texts (what label 0 and 1 mean, in words), which the "
                         "zero-shot teacher reads; give them in its registration or task card, or choose the "
                         "'student' teacher")

    def text_probs() -> dict:
        return {s: text_zero_shot_probs(strong, data.splits[s]["text"].tolist(), label_texts, temperature, store=store)
                for s in data.emitted}

    config = {"teacher": "zero_shot_text", "strong": strong.key_config(), "label_texts": list(label_texts),
              "temperature": temperature}
    return labels_artifact("zero_shot", config, data, seed, text_probs, store=store)
