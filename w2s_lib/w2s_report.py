"""What the weak-to-strong notebooks (02 NLP, 03 chess, 04 reward modeling) show and save, in one
place so the three domains are reported alike: the ladder card, the ladder check, table 1 and
figures 1–3 drawn from the combined table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import metrics, plotting
from .data.registry import DOMAINS
from .saving import results_lock, save_figure, update_table

ROW_KEYS = ["domain", "task", "method", "weak_model", "strong_model"]
SUMMARY_KEYS = ROW_KEYS + ["weak_size", "strong_size"]
MIN_STEP = 0.01        # each rung's ceiling at least 1 point above the previous one
MIN_GAP = 0.05         # the largest pair: ceiling − weak of at least 5 points


def ladder_card(rungs, corpus: str) -> pd.DataFrame:
    """Each rung: family, size, how it is trained, and for tiny rungs the pretraining budget and
    final pretraining loss (read from the stored pretraining artifact: nothing is retrained)."""
    from .models.pretrain import pretrained_artifact

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


def save_results(runs: pd.DataFrame, table: pd.DataFrame, domain_file: str, *, preset: str, seeds,
                 ladder: str, wall_time_s: float):
    """Merge this run's rows into ``runs_<domain_file>`` and ``table1_main`` (replacing only the
    rows it produced) and redraw figures 1–3 from the whole table: every domain run so far."""
    update_table(runs, f"runs_{domain_file}", preset=preset, replace_on=ROW_KEYS + ["seed"], seeds=seeds)
    with results_lock(preset):  # notebooks running side by side redraw the shared figures in turn
        table1 = update_table(table, "table1_main", preset=preset, replace_on=ROW_KEYS, order=DOMAINS, seeds=seeds)
        label = f"preset {preset} · seeds {list(seeds)} · our numbers"
        figures = {
            "fig1_pgr_vs_size": plotting.pgr_vs_size_by_method(table1, title=label),
            "fig2_accuracy_vs_size": plotting.accuracy_vs_size(table1[table1["weak_size"].notna()], title=label),
            "fig3_agreement_vs_size": plotting.agreement_vs_size(table1[table1["weak_size"].notna()], title=label),
        }
        for name, fig in figures.items():
            save_figure(fig, name, preset=preset, seeds=seeds, tables=["table1_main"], wall_time_s=wall_time_s)
    return table1, figures
