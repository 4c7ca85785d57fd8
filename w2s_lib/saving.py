"""Save figures (PDF + PNG + JSON provenance sidecar) and tables (CSV + LaTeX + sidecar).

Everything goes under ``results/<preset>/`` (DESIGN §7). Files are written to a temporary
name and renamed, so an interrupted save never leaves a half-written figure or table.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import pandas as pd

from .locks import exclusive
from .paths import figures_dir, results_dir, tables_dir
from .provenance import provenance


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _sidecar(path: Path, record: dict) -> None:
    _atomic_write(path, lambda p: p.write_text(json.dumps(record, indent=1, sort_keys=True, default=str)))


def save_figure(fig, name: str, *, preset: str, seeds: Iterable[int], tables: Iterable[str] = (),
                wall_time_s: float | None = None, **extra) -> dict[str, Path]:
    """Write ``figures/<name>.{pdf,png,json}``; the sidecar says what made the figure."""
    out = figures_dir(preset)
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"{name}.{ext}" for ext in ("pdf", "png", "json")}
    for ext in ("pdf", "png"):
        # no creation date in the PDF: the same figure gives the same bytes (the sidecar says when)
        _atomic_write(paths[ext], lambda p, ext=ext: fig.savefig(
            p, format=ext, metadata={"CreationDate": None} if ext == "pdf" else None))
    _sidecar(paths["json"], provenance(figure=name, preset=preset, seeds=list(seeds),
                                       tables=list(tables), wall_time_s=wall_time_s, **extra))
    return paths


def save_table(table: pd.DataFrame, name: str, *, preset: str, seeds: Iterable[int] = (),
               float_format: str = "%.4f", **extra) -> dict[str, Path]:
    """Write ``tables/<name>.{csv,tex,json}``."""
    out = tables_dir(preset)
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"{name}.{ext}" for ext in ("csv", "tex", "json")}
    _atomic_write(paths["csv"], lambda p: table.to_csv(p, index=False, float_format=float_format))
    _atomic_write(paths["tex"], lambda p: p.write_text(
        table.to_latex(index=False, float_format=lambda v: float_format % v, na_rep="--")))
    _sidecar(paths["json"], provenance(table=name, preset=preset, seeds=list(seeds),
                                       rows=len(table), columns=list(table.columns), **extra))
    return paths


@contextmanager
def results_lock(preset: str) -> Iterator[None]:
    """Notebooks running side by side (``w2s reproduce --jobs``) read, merge and rewrite shared
    tables and the figures drawn from them one at a time."""
    with exclusive(results_dir(preset) / ".lock"):
        yield


def merge_table(new: pd.DataFrame, name: str, *, preset: str, replace_on: list[str],
                order: Sequence[str] | None = None) -> pd.DataFrame:
    """``tables/<name>.csv`` with the rows of ``new`` replacing earlier rows of the same
    ``replace_on`` values; notebooks that each own some rows of one table (e.g. table 1's
    domains) update it without erasing each other's rows.

    ``order`` lists values of the first ``replace_on`` column (e.g. the domains): rows are grouped
    in that order (others after it, alphabetically), each group keeping its own row order, so the
    table does not depend on which notebook finished first. Call it under :func:`results_lock`."""
    path = tables_dir(preset) / f"{name}.csv"
    if path.exists():
        old = pd.read_csv(path)
        if all(column in old.columns for column in replace_on):  # else: an older version's table, replaced
            keys = set(map(tuple, new[replace_on].astype(str).to_numpy()))
            keep = ~old[replace_on].astype(str).apply(tuple, axis=1).isin(keys)
            new = pd.concat([old[keep], new], ignore_index=True)
    if order is not None and len(new):
        group = new[replace_on[0]].astype(str)
        rank = {value: i for i, value in enumerate(order)}
        extra = {value: len(rank) + i for i, value in enumerate(sorted(set(group) - set(rank)))}
        new = new.iloc[group.map(rank | extra).argsort(kind="stable")]
    return new.reset_index(drop=True)


def update_table(new: pd.DataFrame, name: str, *, preset: str, replace_on: list[str],
                 order: Sequence[str] | None = None, seeds: Iterable[int] = (), **extra) -> pd.DataFrame:
    """Merge ``new`` into ``tables/<name>`` (see :func:`merge_table`) and save it, under the
    results lock; returns the whole table."""
    with results_lock(preset):
        table = merge_table(new, name, preset=preset, replace_on=replace_on, order=order)
        save_table(table, name, preset=preset, seeds=seeds, **extra)
    return table
