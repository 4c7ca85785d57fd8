"""The weak-to-strong pipeline (Burns et al. 2023) on top of the artifact store.

For a task, a seed and a pair of rungs (weak < strong):

1. **weak supervisor** — the weak rung trained on ground truth of split A;
2. **weak labels** — its soft predictions on B (and on val, for model selection);
3. **W2S student** — the strong rung trained on those weak labels of B (never B's ground truth);
4. **strong ceiling** — the strong rung trained on ground truth of B.

Every trained model emits labels (soft predictions on B, val, Q and test) as an artifact, so any
model can supervise the next (bootstrapping). Weak supervisors and ceilings are keyed without
the partner rung or method, so they are trained once and reused by every student.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from . import metrics
from .data.registry import get_task, pool_stamp
from .data.splits import Splits, held_out_split, make_splits, sizes_for_preset, universe_parts
from .models.ladder import Rung
from .store import Artifact, ArtifactSpec, ArtifactStore, default_store
from .training.probe import ProbeConfig
from .seeding import train_threads

PIPELINE_VERSION = 4  # 3: probes train by the closed-form gradient (xent, bt); 4: on one BLAS thread
FITTED_PROBE = "_probe"  # where fit_and_label hands back a view probe, to be stored with its labels


def corpus_for(task: str) -> str:
    """Which pretraining corpus a task's tiny rungs read: chess notation or English — for a task
    with a corpus of its own (``separate_corpus``), English that also avoids its test pool."""
    spec = get_task(task)
    if spec.domain == "chess" or "chess" in spec.name:
        return "chess"
    return f"english+{task}" if spec.separate_corpus else "english"


# ----------------------------------------------------------------------------- task data

def _text_columns(kind: str) -> tuple[str, ...]:
    return ("text_a", "text_b") if kind == "pairwise" else ("text",)


@dataclass
class TaskData:
    """A task's splits for one seed, and the text universe whose features are cached.

    ``view``, when set, says what a probe rung reads of each row instead of its text (e.g. a
    debate item's question only, or its whole passage: :mod:`w2s_lib.debate.views`)."""

    task: str
    kind: str
    splits: Splits
    universe: tuple[str, ...]          # every text any split of any seed can show (features rows)
    view: object | None = None
    parts: tuple[int, ...] = ()        # lengths of the universe's parts whose features are cached apart

    def with_view(self, view) -> "TaskData":
        return replace(self, view=view)

    def with_splits(self, **frames: pd.DataFrame) -> "TaskData":
        """The same task with some splits replaced (e.g. B cut into the parts of a bootstrap chain)."""
        return replace(self, splits=replace(self.splits, **frames))

    def features(self, rung: Rung, store: ArtifactStore | None = None) -> np.ndarray:
        """The rung's frozen features of the universe, in its order: one cached pass per part (the
        dev part, when choosing, is a pass of its own, so every other feature is reused)."""
        from .training.features import rung_features

        corpus = corpus_for(self.task)
        if len(self.parts) < 2:
            return rung_features(rung, corpus, self.universe, store)
        bounds = np.cumsum((0, *self.parts))
        return np.concatenate([rung_features(rung, corpus, self.universe[a:b], store)
                               for a, b in zip(bounds[:-1], bounds[1:]) if b > a])

    @functools.cached_property
    def row_of(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.universe)}

    def rows(self, split: str) -> dict[str, np.ndarray]:
        frame = self.splits[split]
        return {c: np.array([self.row_of[t] for t in frame[c]]) for c in _text_columns(self.kind)}

    def labels(self, split: str) -> np.ndarray:
        return self.splits[split]["label"].to_numpy()

    @property
    def emitted(self) -> tuple[str, ...]:
        """The splits every trained model labels: B (for students), val (selection), Q (for
        facilitation, when the preset has one) and test."""
        return tuple(s for s in ("B", "val", "Q", "test") if len(self.splits[s]))


def load_probe(art: Artifact):
    """The probe a model artifact stored (models trained on a view keep theirs), or ``None``."""
    from .training.probe import LinearProbe

    path = art.file("probe.npz")
    return LinearProbe.load(path) if path.exists() else None


def task_data(task: str, preset: str, seed: int) -> TaskData:
    spec = get_task(task)
    if spec.kind not in ("binary", "pairwise", "debate"):
        raise ValueError(f"task {task!r} is {spec.kind}; the classification pipeline takes binary, "
                         "pairwise or debate (binary view) tasks")
    sizes = sizes_for_preset(task, preset)
    splits = make_splits(task, seed, sizes)
    kind = "pairwise" if spec.kind == "pairwise" else "binary"
    universe, parts = _universe(task, sizes, _text_columns(kind), pool_stamp(task), held_out_split())
    return TaskData(task, kind, splits, universe, parts=parts)


@functools.lru_cache(maxsize=32)
def _universe(task: str, sizes, cols: tuple[str, ...], stamp: object, held_out: str
              ) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Texts of the working pool and the test set (then those of dev, when choosing): the same for
    every seed (``stamp``: the pool's state, so an edited data file is read again)."""
    parts: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for frame in universe_parts(task, sizes):
        parts.append(tuple(sorted({t for c in cols for t in frame[c]} - seen)))
        seen.update(parts[-1])
    return tuple(t for part in parts for t in part), tuple(len(part) for part in parts)


# ----------------------------------------------------------------------------- training one model

def probe_config(rung: Rung, loss: str = "xent", loss_options: dict | None = None, seed: int = 0,
                 select: str = "last") -> ProbeConfig:
    """How ``rung`` trains as a probe: its ladder's probe settings with this loss, seed and selection."""
    opts = rung.extra.get("probe", {})
    return ProbeConfig(loss=loss, loss_options=loss_options or {}, seed=seed, select=select, **opts)


def fit_and_label(rung: Rung, data: TaskData, train_split: str, targets: np.ndarray, *, seed: int,
                  loss: str = "xent", loss_options: dict | None = None, select: str = "last",
                  val_weak: np.ndarray | None = None, store: ArtifactStore | None = None) -> dict[str, np.ndarray]:
    """Train ``rung`` on ``targets`` for ``train_split``; return P(label 1) on B, val, Q and test.

    ``targets`` are the only supervision the model sees: P(class 1) per training example.
    """
    store = store or default_store()
    loss_options = loss_options or {}
    if data.view is not None:
        return _fit_view_probe(rung, data, train_split, targets, seed, loss, loss_options, select, val_weak)
    if rung.train_mode == "probe":
        from .training.probe import train_probe, train_reward_probe

        feats = data.features(rung, store)
        cfg = probe_config(rung, loss if data.kind == "binary" else ("bt" if loss == "xent" else loss),
                           loss_options, seed, select)
        if data.kind == "pairwise":
            r = data.rows(train_split)
            probe = train_reward_probe(feats[r["text_a"]], feats[r["text_b"]], targets, cfg)
            return {s: probe.preference_proba(feats[data.rows(s)["text_a"]], feats[data.rows(s)["text_b"]])
                    for s in data.emitted}
        val_feats = feats[data.rows("val")["text"]] if select == "weak_val" else None
        probe = train_probe(feats[data.rows(train_split)["text"]], targets, cfg, val_feats, val_weak)
        return {s: probe.predict_proba(feats[data.rows(s)["text"]]) for s in data.emitted}
    if rung.train_mode == "top":  # the finetuned regime: the last block on cached inputs
        from .training.top_block import finetune_top_and_label

        rows = {s: data.rows(s) for s in dict.fromkeys((train_split, "val", *data.emitted))}
        return finetune_top_and_label(rung, corpus_for(data.task), data.universe, rows, train_split, targets,
                                      data.emitted, pairwise=data.kind == "pairwise", seed=seed, loss=loss,
                                      loss_options=loss_options, select=select, val_weak=val_weak, store=store)
    return _finetune_and_label(rung, data, train_split, targets, seed=seed, loss=loss,
                               loss_options=loss_options, select=select, val_weak=val_weak, store=store)


def split_features(rung: Rung, data: TaskData, split: str, store: ArtifactStore | None = None) -> np.ndarray:
    """What a probe rung reads of one split's rows of a binary task: its view's features, or the
    rung's frozen features of the texts."""
    if data.view is not None:
        return data.view.features(rung, data.splits[split])
    if data.kind != "binary":
        raise ValueError(f"split features are read for binary tasks; {data.task!r} is {data.kind}")
    return data.features(rung, store)[data.rows(split)["text"]]


def _fit_view_probe(rung, data, train_split, targets, seed, loss, loss_options, select, val_weak):
    """A probe on what the task's view shows this rung (frozen features); the probe is kept
    (``fitted_probe``) so its artifact can store it, e.g. to explain its outputs by occlusion."""
    from .training.probe import train_probe

    if rung.train_mode != "probe" or data.kind != "binary":
        raise ValueError(f"a view ({data.view.key()['reads']}) is read by probe rungs on binary rows; "
                         f"rung {rung.name} trains in mode {rung.train_mode!r}")
    feats = {s: split_features(rung, data, s) for s in dict.fromkeys((train_split, *data.emitted))}
    cfg = probe_config(rung, loss, loss_options, seed, select)
    probe = train_probe(feats[train_split], targets, cfg, feats.get("val") if select == "weak_val" else None,
                        val_weak)
    out = {s: probe.predict_proba(feats[s]) for s in data.emitted}
    out[FITTED_PROBE] = probe
    return out


def _finetune_and_label(rung, data, train_split, targets, *, seed, loss, loss_options, select, val_weak, store):
    from .models.backbone import load_backbone, load_tokenizer_for
    from .models.heads import BinaryClassifier, RewardModel, freeze_all_but_last
    from .training.engine import TrainConfig, predict_outputs, predict_proba, train_classifier, train_reward_model

    corpus = corpus_for(data.task)
    tokenizer = load_tokenizer_for(rung, corpus, store)
    backbone = load_backbone(rung, corpus, store)
    pairwise = data.kind == "pairwise"
    model = (RewardModel if pairwise else BinaryClassifier)(backbone, rung.pooling)
    if rung.train_mode == "last_k":
        freeze_all_but_last(model, rung.last_k)
    cfg = TrainConfig(lr=rung.lr, epochs=rung.epochs, batch_size=rung.batch_size, max_length=rung.max_length,
                      loss=("bt" if pairwise and loss == "xent" else loss), loss_options=loss_options,
                      select=select if not pairwise else "last", seed=seed)
    frame = data.splits[train_split]
    if pairwise:
        train_reward_model(model, tokenizer, frame["text_a"].tolist(), frame["text_b"].tolist(), targets, cfg,
                           desc=f"{rung.name} rm")
        out = {}
        for s in data.emitted:
            f = data.splits[s]
            ra = predict_outputs(model, tokenizer, f["text_a"].tolist(), cfg.max_length, cfg.eval_batch_size)
            rb = predict_outputs(model, tokenizer, f["text_b"].tolist(), cfg.max_length, cfg.eval_batch_size)
            out[s] = 1 / (1 + np.exp(-(ra - rb)))
        return out
    val_texts = data.splits["val"]["text"].tolist() if select == "weak_val" else None
    train_classifier(model, tokenizer, frame["text"].tolist(), targets, cfg, val_texts, val_weak,
                     desc=f"{rung.name}")
    return {s: predict_proba(model, tokenizer, data.splits[s]["text"].tolist(), cfg.max_length)
            for s in data.emitted}


# ----------------------------------------------------------------------------- roles as artifacts

def labels_frame(data: TaskData, probs: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"id": data.splits[s]["id"].to_numpy(), "split": s, "prob": p})
                      for s, p in probs.items()], ignore_index=True)


def model_artifact(role: str, rung: Rung, data: TaskData, seed: int, train_split: str, targets_fn,
                    *, ground_truth: tuple[str, ...] = (), loss: str = "xent", loss_options: dict | None = None,
                    select: str = "last", supervisor: Artifact | None = None,
                    store: ArtifactStore | None = None) -> Artifact:
    """A trained model's labels on B, val, Q and test, keyed by what determines them: the rung's
    weights and settings, the inputs of every split, the labels of the ``ground_truth`` splits
    it trains on (none for a student: its targets come from ``supervisor``) and the seed.
    Test labels never enter a key: no model sees them, so editing one retrains nothing."""
    store = store or default_store()
    config = {"role": role, "task": data.task, "rung": rung.key_config(), "train_split": train_split,
              "loss": loss, "loss_options": loss_options or {}, "select": select,
              "view": data.view.key() if data.view is not None else None,
              # finetuning sums gradients over a fixed number of threads (probes use one)
              "threads": train_threads() if rung.train_mode != "probe" and data.view is None else None}
    spec = ArtifactSpec("model_labels", PIPELINE_VERSION, config,
                        inputs=(supervisor.key,) if supervisor else (),
                        splits=data.splits.fingerprint(labels=ground_truth), seed=seed)

    def build(tmp: Path) -> dict:
        targets, val_weak = targets_fn()
        probs = fit_and_label(rung, data, train_split, targets, seed=seed, loss=loss, loss_options=loss_options,
                              select=select, val_weak=val_weak, store=store)
        probe = probs.pop(FITTED_PROBE, None)
        if probe is not None:
            probe.save(tmp / "probe.npz")
        labels_frame(data, probs).to_parquet(tmp / "labels.parquet", index=False)
        return {"rung": rung.name, "n_train": len(targets)}

    return store.get_or_build(spec, build)


def labels_artifact(role: str, config: dict, data: TaskData, seed: int, probs: Callable[[], dict],
                    inputs: Sequence[str] = (), ground_truth: Sequence[str] = (),
                    store: ArtifactStore | None = None) -> Artifact:
    """Soft labels that come from something other than a trained rung (a zero-shot scorer, a jury
    of judges), stored like a model's so that they can supervise a student. ``ground_truth``:
    the splits whose labels went into them (A for judges trained on it)."""
    store = store or default_store()
    spec = ArtifactSpec("model_labels", PIPELINE_VERSION, {"role": role, "task": data.task, **config},
                        inputs=tuple(inputs), splits=data.splits.fingerprint(labels=ground_truth), seed=seed)

    def build(tmp: Path) -> dict:
        labels_frame(data, probs()).to_parquet(tmp / "labels.parquet", index=False)
        return {"role": role}

    return store.get_or_build(spec, build)


@functools.lru_cache(maxsize=256)
def _labels_table(path: str, stamp: float) -> pd.DataFrame:
    return pd.read_parquet(path)


def read_labels(art: Artifact, split: str) -> pd.Series:
    """P(label 1) per id on one split. Read once per artifact: a weak supervisor's labels feed
    every student and every evaluation, and content-addressed files never change under a key."""
    path = art.file("labels.parquet")
    frame = _labels_table(str(path), art.file("manifest.json").stat().st_mtime)
    part = frame[frame["split"] == split]
    return pd.Series(part["prob"].to_numpy(), index=part["id"].to_numpy())


def weak_supervisor(rung: Rung, data: TaskData, seed: int, store=None) -> Artifact:
    """Trained on ground truth of A (the only split whose labels it sees)."""
    return model_artifact("weak", rung, data, seed, "A",
                           lambda: (data.labels("A").astype(np.float32), None), ground_truth=("A",), store=store)


def strong_ceiling(rung: Rung, data: TaskData, seed: int, store=None) -> Artifact:
    """Trained on ground truth of B: the best the strong rung can do with these examples."""
    return model_artifact("ceiling", rung, data, seed, "B",
                           lambda: (data.labels("B").astype(np.float32), None), ground_truth=("B",), store=store)


def labels_by_id(art: Artifact) -> pd.Series:
    """P(label 1) per id over every split a model labelled (splits are disjoint: ids are unique)."""
    frame = _labels_table(str(art.file("labels.parquet")), art.file("manifest.json").stat().st_mtime)
    return pd.Series(frame["prob"].to_numpy(), index=frame["id"].to_numpy())


def student_targets(data: TaskData, supervisor: Artifact) -> tuple[np.ndarray, np.ndarray]:
    """The supervisor's soft labels on B and val, aligned to the split order: nothing else.
    (Looked up by id, whichever split the supervisor labelled them in: a bootstrap step's
    examples are the previous step's extra split.)"""
    probs = labels_by_id(supervisor)
    return (probs.loc[data.splits.B["id"]].to_numpy(np.float32),
            probs.loc[data.splits.val["id"]].to_numpy(np.float32))


def w2s_student(rung: Rung, data: TaskData, seed: int, supervisor: Artifact, method,
                select: str = "last", store=None) -> Artifact:
    """The strong rung trained on the supervisor's labels of B (never on B's ground truth), with
    ``method``'s loss (a :class:`w2s_lib.methods.Method`: its ``loss`` and ``loss_options``)."""
    return model_artifact("student", rung, data, seed, "B", lambda: student_targets(data, supervisor),
                           loss=method.loss, loss_options=method.loss_options, select=select,
                           supervisor=supervisor, store=store)


# ----------------------------------------------------------------------------- the grid

def test_predictions(data: TaskData, art: Artifact) -> np.ndarray:
    """A model's stored predictions on the task's fixed test set, in the test split's order."""
    return read_labels(art, "test").loc[data.splits.test["id"]].to_numpy()


def test_accuracy(data: TaskData, art: Artifact) -> float:
    """A model's accuracy on the task's fixed test set."""
    return metrics.accuracy(test_predictions(data, art), data.labels("test"))


def evaluate_run(data: TaskData, weak: Artifact, student: Artifact, ceiling: Artifact) -> dict:
    """One run's row: the three roles' test accuracies and AUROCs, the student's agreement with its
    supervisor, and each role's per-item outcomes (packed) for intervals over items and seeds."""
    y = data.labels("test")
    p_weak, p_student, p_ceiling = (test_predictions(data, a) for a in (weak, student, ceiling))
    agree = metrics.agreement(metrics.to_predictions(p_student), metrics.to_predictions(p_weak), y)
    items = {column: metrics.pack_outcomes(metrics.outcomes(p, y))
             for column, p in zip(metrics.ITEM_COLUMNS.values(), (p_weak, p_student, p_ceiling))}
    return {"weak_acc": metrics.accuracy(p_weak, y), "student_acc": metrics.accuracy(p_student, y),
            "ceiling_acc": metrics.accuracy(p_ceiling, y), "weak_auroc": metrics.auroc(p_weak, y),
            "student_auroc": metrics.auroc(p_student, y), "ceiling_auroc": metrics.auroc(p_ceiling, y),
            "agreement": agree["agreement"], "agreement_weak_correct": agree["agreement_weak_correct"],
            "agreement_weak_wrong": agree["agreement_weak_wrong"], "n_test": len(y), **items}
