"""Overfitting to weak labels over training, and what early stopping on weak-labelled val picks.

The baseline W2S student is a probe on the strong rung's cached features, trained on the weak
supervisor's soft labels of B exactly as :func:`w2s_lib.pipeline.w2s_student` trains it, but with
``select="weak_val"`` and an observer (``train_probe(..., on_epoch=...)``) that records, after every
epoch, the student's test accuracy, its agreement with the supervisor on test and the loss against
the weak labels of val that selection compares. One run per seed gives both curves:

* *without early stopping*: the student after the last epoch (what ``select="last"`` returns: the
  observer changes nothing, and the selection only keeps a copy);
* *with early stopping on weak-labelled val*: the epoch with the lowest val loss against the weak
  labels (the first such epoch), which is what ``select="weak_val"`` returns. No ground truth of B or
  val is read; test labels only score.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import pandas as pd

from .. import metrics, pipeline
from ..progress import progress
from ..store import ArtifactStore, default_store
from ..training.probe import ProbeConfig, train_probe
from .saliency import pick_rungs


def student_probe_config(rung, seed: int, select: str = "weak_val", epochs: int | None = None) -> ProbeConfig:
    """The baseline student's probe settings for ``rung`` (its ladder's probe options), as the
    pipeline trains it; ``epochs`` overrides the number of epochs."""
    cfg = ProbeConfig(loss="xent", loss_options={}, seed=seed, select=select, **rung.extra.get("probe", {}))
    return cfg if epochs is None else replace(cfg, epochs=epochs)


def overfitting_curve(task: str, ladder: str, seeds: Sequence[int], preset: str, weak_rung: str = "",
                      epochs: int | None = None, store: ArtifactStore | None = None) -> pd.DataFrame:
    """One row per (seed, epoch): ``step``, ``test_acc``, ``test_agreement_weak`` (share of test items
    on which the student predicts what the supervisor predicts), ``val_weak_loss`` and ``selected``
    (True at the epoch early stopping on weak-labelled val picks); with the weak supervisor's and
    the strong ceiling's test accuracies for reference. The strong rung is read as a probe on its
    frozen features (a finetuning rung is probed on its features too, said in ``train_mode``)."""
    store = store or default_store()
    weak_r, strong = pick_rungs(ladder, weak_rung)
    probe_rung = strong if strong.train_mode == "probe" else replace(strong, train_mode="probe")
    rows = []
    for seed in progress(list(seeds), desc="overfitting curve: seeds", leave=True):
        data = pipeline.task_data(task, preset, seed)
        weak = pipeline.weak_supervisor(weak_r, data, seed, store)
        ceiling = pipeline.strong_ceiling(probe_rung, data, seed, store)
        feats = data.features(probe_rung, store)
        x = {s: feats[data.rows(s)["text"]] for s in ("B", "val", "test")}
        targets, val_weak = pipeline.student_targets(data, weak)
        y = data.labels("test")
        weak_pred = metrics.to_predictions(pipeline.test_predictions(data, weak))
        weak_acc = metrics.accuracy(weak_pred, y)
        ceiling_acc = pipeline.test_accuracy(data, ceiling)
        seen = []

        def record(epoch, step, probe, val_loss):
            p = probe.predict_proba(x["test"])
            seen.append({"epoch": epoch, "step": step, "test_acc": metrics.accuracy(p, y),
                         "test_agreement_weak": float(np.mean(metrics.to_predictions(p) == weak_pred)),
                         "val_weak_loss": val_loss})

        cfg = student_probe_config(probe_rung, seed, "weak_val", epochs)
        train_probe(x["B"], targets, cfg, x["val"], val_weak, on_epoch=record)
        curve = pd.DataFrame(seen)
        curve["selected"] = np.arange(len(curve)) == int(np.argmin(curve["val_weak_loss"].to_numpy()))
        curve.insert(0, "seed", seed)
        for key, value in {"task": task, "weak_model": weak_r.name, "strong_model": strong.name,
                           "train_mode": probe_rung.train_mode, "weak_acc": weak_acc,
                           "ceiling_acc": ceiling_acc, "n_test": len(y)}.items():
            curve[key] = value
        rows.append(curve)
    return pd.DataFrame(pd.concat(rows, ignore_index=True))


