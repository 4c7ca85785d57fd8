"""Every summary table the notebooks show and save, built in one place from tidy per-run rows
(one row per task, method, pair and seed): means over seeds with bootstrap intervals (the
statistics are :mod:`w2s_lib.metrics`), and the checks that say whether a ladder spans a gap.

* table 1 (weak-to-strong, notebooks 02–04): :func:`summarize`, :func:`ladder_check`,
  :func:`method_comparison`, and the :func:`ladder_card` that describes the rungs;
* table 2 (the framework, notebooks 05–07): :func:`framework_table`, :func:`protocol_table`,
  :func:`error_table`;
* table 3 and the analyses (notebook 08): :func:`imitation_table`, :func:`summarize_saliency`,
  :func:`early_stopping_summary`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from . import metrics
from .alignment import ERROR_TYPES
from .analyses.imitation import REQUIRED
from .analyses.saliency import MODEL_STATES
from .debate.experiment import ProtocolRun
from .models.pretrain import pretrained_artifact

ROW_KEYS = ["domain", "task", "method", "weak_model", "strong_model"]
SUMMARY_KEYS = ROW_KEYS + ["weak_size", "strong_size"]
MIN_STEP = 0.01        # each rung's ceiling at least 1 point above the previous one
MIN_GAP = 0.05         # the largest pair: ceiling − weak of at least 5 points


# ----------------------------------------------------------------------------- table 1

def ladder_card(rungs, corpus: str) -> pd.DataFrame:
    """Each rung: family, size, how it is trained, and for tiny rungs the pretraining budget and
    final pretraining loss (read from the stored pretraining artifact: nothing is retrained)."""
    rows = []
    for r in rungs:
        row = {"rung": r.name, "family": r.family, "non-embedding params": r.non_embedding_params(),
               "train mode": r.train_mode, "pooling": r.pooling,
               "probe weight decay": r.extra.get("probe", {}).get("weight_decay", np.nan) if r.train_mode == "probe"
               else np.nan, "pretraining steps": np.nan, "pretraining loss": np.nan}
        if r.family == "tiny_gpt2":
            meta = pretrained_artifact(r, corpus).meta
            row.update({"pretraining steps": r.pretrain_steps, "pretraining loss": meta.get("final_loss", np.nan),
                        "pretraining corpus": corpus})
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Table 1 rows: per (domain, task, method, pair) mean accuracies and PGR with 95 % CIs over seeds."""
    table = metrics.summarize_runs(runs, by=SUMMARY_KEYS)
    first = SUMMARY_KEYS + ["n_seeds", "weak_acc", "student_acc", "ceiling_acc", "pgr", "pgr_ci_low",
                            "pgr_ci_high", "pgr_flag", "student_minus_weak", "student_minus_weak_ci_low",
                            "student_minus_weak_ci_high"]
    return table[[c for c in first if c in table.columns] + [c for c in table.columns if c not in first]]


def rung_accuracies(table: pd.DataFrame) -> pd.DataFrame:
    """Each rung's test accuracy when trained on ground truth, per task: its ceiling (trained on
    B) where it is ever a strong rung, else its accuracy as a weak supervisor (trained on A, a
    split of the same size)."""
    base = table[(table["method"] == "baseline") & table["weak_size"].notna()]
    ceil = base.groupby(["task", "strong_model", "strong_size"], as_index=False)["ceiling_acc"].mean() \
        .rename(columns={"strong_model": "rung", "strong_size": "size", "ceiling_acc": "accuracy"})
    weak = base.groupby(["task", "weak_model", "weak_size"], as_index=False)["weak_acc"].mean() \
        .rename(columns={"weak_model": "rung", "weak_size": "size", "weak_acc": "accuracy"})
    weak = weak[~weak.set_index(["task", "rung"]).index.isin(ceil.set_index(["task", "rung"]).index)]
    return pd.concat([weak.assign(trained_on="A (as weak)"), ceil.assign(trained_on="B (ceiling)")]) \
        .sort_values(["task", "size"]).reset_index(drop=True)


def ladder_check(table: pd.DataFrame) -> pd.DataFrame:
    """The ladder condition per task and for the domain mean: do ceilings rise by at least one
    point per rung, and does the largest pair (smallest weak, largest strong) leave a gap of at
    least five points with a PGR whose CI excludes 0?"""
    acc = rung_accuracies(table)
    per_task = {t: g.sort_values("size") for t, g in acc.groupby("task")}
    if len(per_task) > 1:
        mean = acc.groupby(["rung", "size"], as_index=False)["accuracy"].mean().sort_values("size")
        per_task["(domain mean)"] = mean
    base = table[(table["method"] == "baseline") & table["weak_size"].notna()]
    rows = []
    for task, g in per_task.items():
        steps = np.diff(g["accuracy"].to_numpy())
        row = {"task": task, "rungs": " < ".join(g["rung"]),
               "accuracies": " · ".join(f"{a:.3f}" for a in g["accuracy"]),
               "smallest step (pts)": 100 * float(steps.min()) if len(steps) else np.nan,
               "rises ≥ 1 pt each rung": bool(len(steps) and (steps >= MIN_STEP).all())}
        pair = base if task == "(domain mean)" else base[base["task"] == task]
        if len(pair):
            pair = pair[(pair["weak_size"] == pair["weak_size"].min()) & (pair["strong_size"] == pair["strong_size"].max())]
            gap = float((pair["ceiling_acc"] - pair["weak_acc"]).mean())
            row.update({"largest pair": f"{pair['weak_model'].iloc[0]} → {pair['strong_model'].iloc[0]}",
                        "gap (pts)": 100 * gap, "gap ≥ 5 pts": gap >= MIN_GAP})
            if len(pair) == 1:
                r = pair.iloc[0]
                row.update({"weak acc": r["weak_acc"], "PGR": r["pgr"],
                            "PGR CI": f"[{r['pgr_ci_low']:.2f}, {r['pgr_ci_high']:.2f}]",
                            "PGR CI excludes 0": bool(r["pgr_ci_low"] > 0)})
        rows.append(row)
    return pd.DataFrame(rows)


def method_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """Each method against the baseline on the same pairs: student accuracy and PGR side by side,
    and for bootstrapping the direct student on the same final examples."""
    base = table[table["method"] == "baseline"].set_index(["task", "weak_model", "strong_model"])
    rows = []
    for _, r in table[table["method"] != "baseline"].iterrows():
        key = (r["task"], r["weak_model"], r["strong_model"])
        b = base.loc[key] if key in base.index else None
        rows.append({"task": r["task"], "pair": f"{r['weak_model']} → {r['strong_model']}", "method": r["method"],
                     "student": r["student_acc"], "baseline student": b["student_acc"] if b is not None else np.nan,
                     "PGR": r["pgr"], "PGR CI": f"[{r['pgr_ci_low']:.2f}, {r['pgr_ci_high']:.2f}]",
                     "baseline PGR": b["pgr"] if b is not None else np.nan,
                     "direct student (same examples)": r.get("direct_student_acc", np.nan),
                     "ceiling": r["ceiling_acc"]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- table 2

def framework_table(rows: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (task, variant): accuracy (mean, bootstrap CI over seeds) and PGR relative to
    the plain weak supervisor M_W and the strong ceiling, where a strong student is scored."""
    out = []
    for (task, variant), g in rows.groupby(["task", "variant"], sort=False):
        ci = metrics.bootstrap_ci(g["acc"].to_numpy(), level=level)
        row = {"task": task, "variant": variant, "n_seeds": len(g), "acc": ci.mean, "acc_ci_low": ci.low,
               "acc_ci_high": ci.high, "supervisor_acc": float(g["supervisor_acc"].mean()),
               "weak_acc": float(g["weak_acc"].mean()), "ceiling_acc": float(g["ceiling_acc"].mean()),
               "note": g["note"].iloc[0]}
        summary = metrics.summarize_runs(g.rename(columns={"acc": "student_acc"})[
            ["seed", "weak_acc", "student_acc", "ceiling_acc"]], by=[])
        for key in ("pgr", "pgr_ci_low", "pgr_ci_high", "pgr_flag"):
            row[key] = summary[key].iloc[0]
        out.append(row)
    return pd.DataFrame(out)


def protocol_table(runs: Sequence[ProtocolRun], level: float = 0.95) -> pd.DataFrame:
    """One row per protocol: accuracy (mean over seeds, bootstrap CI), order effect, evidence."""
    per_seed = pd.DataFrame([r.summary() for r in runs])
    rows = []
    for name, group in per_seed.groupby("protocol", sort=False):
        ci = metrics.bootstrap_ci(group["acc"].to_numpy(), level=level)
        row = {"variant": name, "n_seeds": len(group), "acc": ci.mean, "acc_ci_low": ci.low, "acc_ci_high": ci.high}
        for column in ("acc_correct_first", "acc_correct_second", "order_effect", "gold_quoted_by_correct",
                       "gold_quoted_by_wrong", "quotes_verified", "n_items"):
            if column in group:
                row[column] = float(group[column].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def error_table(per_seed: dict[int, pd.DataFrame], level: float = 0.95) -> pd.DataFrame:
    """``error_type, count, fraction`` (means over seeds) with bootstrap CIs of the fraction."""
    rows = []
    for kind in ERROR_TYPES:
        counts = np.array([(frame["error_type"] == kind).sum() for frame in per_seed.values()], dtype=float)
        totals = np.array([max(1, len(frame)) for frame in per_seed.values()], dtype=float)
        share = metrics.bootstrap_ci(counts / totals, level=level)
        rows.append({"error_type": kind, "count": float(counts.mean()), "fraction": share.mean,
                     "fraction_ci_low": share.low, "fraction_ci_high": share.high, "n_seeds": len(per_seed)})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- table 3 and the analyses

GROUP_KEYS = ("domain", "task", "method", "weak_model", "strong_model")
SIZE_KEYS = ("weak_size", "strong_size")


def imitation_table(runs: pd.DataFrame, level: float = 0.95, n_boot: int = 10_000) -> pd.DataFrame:
    """Table 3: one row per (domain, task, method, weak_model, strong_model) with ``n_seeds`` and,
    for the student's agreement with its supervisor on test — overall, on items the supervisor got
    right (``agreement_weak_correct``) and on items it got wrong (``agreement_weak_wrong``) — the mean
    over seeds and its percentile-bootstrap CI (NaN with one seed); ``agreement_gap`` = right − wrong
    (0: the student follows right and wrong labels alike; 1: it follows only the right ones)."""
    lacking = [c for c in REQUIRED if c not in runs.columns]
    if lacking:
        raise ValueError(f"runs lack column(s) {lacking}; required: {list(REQUIRED)}")
    keys = [k for k in GROUP_KEYS if k in runs.columns]
    sizes = [k for k in SIZE_KEYS if k in runs.columns]
    rows = []
    for key, group in runs.groupby(keys, sort=True, dropna=False):
        dup = group["seed"][group["seed"].duplicated()].tolist()
        if dup:
            raise ValueError(f"{dict(zip(keys, key))}: more than one run for seed(s) {dup}")
        group = group.sort_values("seed", kind="stable")
        row = {**dict(zip(keys, key)), **{k: group[k].iloc[0] for k in sizes}, "n_seeds": len(group)}
        for column in ("agreement", "agreement_weak_correct", "agreement_weak_wrong"):
            if column not in group.columns:
                continue
            ci = metrics.bootstrap_ci(group[column].to_numpy(dtype=float), level, n_boot)
            row.update({column: ci.mean, f"{column}_ci_low": ci.low, f"{column}_ci_high": ci.high})
        gap = group["agreement_weak_correct"].to_numpy(dtype=float) - group["agreement_weak_wrong"].to_numpy(dtype=float)
        ci = metrics.bootstrap_ci(gap, level, n_boot)
        row.update({"agreement_gap": ci.mean, "agreement_gap_ci_low": ci.low, "agreement_gap_ci_high": ci.high})
        for column in ("weak_acc", "student_acc", "ceiling_acc", "n_test"):
            if column in group.columns:
                row[column] = float(group[column].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_saliency(runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (concept, model_state): mean probe accuracy over seeds with its bootstrap CI, and
    the change from ``before`` (per-seed paired differences, in accuracy units) with its CI."""
    rows = []
    for (concept, state), group in runs.groupby(["concept", "model_state"], sort=False):
        acc = metrics.bootstrap_ci(group.sort_values("seed")["probe_acc"], level)
        before = runs[(runs["concept"] == concept) & (runs["model_state"] == "before")].set_index("seed")["probe_acc"]
        paired = group.set_index("seed")["probe_acc"] - before.reindex(group["seed"]).to_numpy()
        change = metrics.bootstrap_ci(paired.sort_index().to_numpy(), level)
        rows.append({"concept": concept, "model_state": state, "n_seeds": int(group["seed"].nunique()),
                     "probe_acc": acc.mean, "probe_acc_ci_low": acc.low, "probe_acc_ci_high": acc.high,
                     "change_from_before": change.mean, "change_ci_low": change.low, "change_ci_high": change.high})
    out = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(MODEL_STATES)}
    concepts = list(dict.fromkeys(runs["concept"]))
    return out.sort_values(["concept", "model_state"], key=lambda c: c.map(
        {n: i for i, n in enumerate(concepts)} if c.name == "concept" else order)).reset_index(drop=True)


def early_stopping_summary(curve: pd.DataFrame) -> pd.DataFrame:
    """Per seed: test accuracy at the last epoch (no early stopping), at the epoch early stopping
    picks, at the best epoch in hindsight (which needs test labels: a reference, not a method)."""
    rows = []
    for seed, c in curve.groupby("seed"):
        chosen = c[c["selected"]].iloc[0]
        rows.append({"seed": seed, "last_epoch": int(c["epoch"].max()), "last_acc": c["test_acc"].iloc[-1],
                     "selected_epoch": int(chosen["epoch"]), "selected_acc": chosen["test_acc"],
                     "best_epoch": int(c.loc[c["test_acc"].idxmax(), "epoch"]), "best_acc": c["test_acc"].max(),
                     "weak_acc": c["weak_acc"].iloc[0], "ceiling_acc": c["ceiling_acc"].iloc[0]})
    return pd.DataFrame(rows)


def saliency_models(models: pd.DataFrame) -> pd.DataFrame:
    """The three classifiers of figure 4 on the task itself (mean, min and max test accuracy over
    seeds): the finetuned student and ceiling must have learned the task for their
    representations to be worth probing."""
    return models.groupby(["model_state", "model"], sort=False, as_index=False).agg(
        test_acc=("test_acc", "mean"), test_acc_min=("test_acc", "min"), test_acc_max=("test_acc", "max"),
        n_test=("n_test", "first"))
