"""Imitation vs generalization (table 3): does the student copy its supervisor's mistakes?

On the shared test set, the student's agreement with its weak supervisor is split by whether the
supervisor was right. A student that only imitates agrees on (nearly) every item, right or wrong;
one that generalizes past its supervisor agrees where the supervisor is right and disagrees where
it is wrong. The numbers come from the per-seed runs tables the weak-to-strong notebooks write
(``results/<preset>/tables/runs_*.csv``); nothing is trained here.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import metrics
from ..paths import tables_dir

# the runs tables with one row per (task, method, pair, seed), and the notebook that writes each
RUNS_TABLES: dict[str, str] = {
    "runs_nlp": "02_nlp_w2s",
    "runs_chess": "03_chess_w2s",
    "runs_rm": "04_reward_modeling_w2s",
}
REQUIRED = ("domain", "method", "weak_model", "strong_model", "seed", "agreement_weak_correct",
            "agreement_weak_wrong")
GROUP_KEYS = ("domain", "task", "method", "weak_model", "strong_model")
SIZE_KEYS = ("weak_size", "strong_size")


def read_runs(preset: str, folder: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every runs table of a preset that has the agreement columns, stacked (column ``source``), and
    a report: one row per table expected or found, with its status and the notebook that writes it
    (a missing table says which notebook to run; a ``runs_*`` table without the agreement columns,
    e.g. ``runs_framework``, is listed as skipped)."""
    folder = Path(folder) if folder is not None else tables_dir(preset)
    found = {p.stem: p for p in sorted(folder.glob("runs_*.csv"))} if folder.exists() else {}
    frames, report = [], []
    for name in dict.fromkeys([*RUNS_TABLES, *found]):
        notebook = RUNS_TABLES.get(name, "")
        if name not in found:
            report.append({"table": f"{name}.csv", "notebook": notebook, "rows": 0,
                           "status": f"missing: run notebooks/{notebook}.ipynb at preset {preset!r}"})
            continue
        frame = pd.read_csv(found[name])
        lacking = [c for c in REQUIRED if c not in frame.columns]
        if lacking:
            report.append({"table": f"{name}.csv", "notebook": notebook, "rows": len(frame),
                           "status": f"skipped: no column(s) {', '.join(lacking)}"})
            continue
        frames.append(frame.assign(source=name))
        report.append({"table": f"{name}.csv", "notebook": notebook, "rows": len(frame), "status": "read"})
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*REQUIRED, "source"])
    return runs, pd.DataFrame(report)


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


def _pct(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{100 * value:.0f} %"


def _ci(row: pd.Series, column: str) -> str:
    low, high = row[f"{column}_ci_low"], row[f"{column}_ci_high"]
    return "" if np.isnan(low) else f" [{100 * low:.0f}–{100 * high:.0f}]"


def imitation_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per row of table 3, from its numbers."""
    out = []
    for _, row in table.iterrows():
        where = " · ".join(str(row[k]) for k in ("domain", "task", "method") if k in row.index)
        out.append(f"{where} · {row['weak_model']} → {row['strong_model']} ({row['n_seeds']} seed(s)): the student "
                   f"agrees with {_pct(row['agreement_weak_correct'])}{_ci(row, 'agreement_weak_correct')} of the "
                   f"supervisor's right answers and {_pct(row['agreement_weak_wrong'])}"
                   f"{_ci(row, 'agreement_weak_wrong')} of its wrong ones (a pure imitator: 100 % of both).")
    return out
