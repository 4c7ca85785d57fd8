"""Imitation vs generalization (table 3): does the student copy its supervisor's mistakes?

On the shared test set, the student's agreement with its weak supervisor is split by whether the
supervisor was right. A student that only imitates agrees on (nearly) every item, right or wrong;
one that generalizes past its supervisor agrees where the supervisor is right and disagrees where
it is wrong. The numbers come from the per-seed runs tables the weak-to-strong notebooks write
(``results/<preset>/tables/runs_*.csv``); nothing is trained here.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..paths import tables_dir

REQUIRED = ("domain", "method", "weak_model", "strong_model", "seed", "agreement_weak_correct",
            "agreement_weak_wrong")


def read_runs(preset: str, expected: dict[str, str], folder: str | Path | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every runs table of a preset that has the agreement columns, stacked (column ``source``), and
    a report: one row per table ``expected`` (runs table → the notebook that writes it, from
    :mod:`w2s_lib.manifest`) or found, with its status and the notebook that writes it (a missing
    table says which notebook to run; a ``runs_*`` table without the agreement columns, e.g.
    ``runs_framework``, is listed as skipped)."""
    folder = Path(folder) if folder is not None else tables_dir(preset)
    found = {p.stem: p for p in sorted(folder.glob("runs_*.csv"))} if folder.exists() else {}
    frames, report = [], []
    for name in dict.fromkeys([*expected, *found]):
        notebook = expected.get(name, "")
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


