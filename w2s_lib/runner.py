"""``w2s reproduce``: run every notebook in order through papermill and gather every failure.

Parameters are validated for all notebooks before the first one starts, so a typo in a
params file costs nothing. A failing notebook does not stop the run: each failure is
recorded with its notebook, cell and error, and the exit status is non-zero if any failed.
Rerunning after an interruption is cheap because every expensive step is in the store.
"""
from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, check_params_file, notebook_parameters
from .paths import NOTEBOOKS_DIR, PARAMS_DIR, build_dir, results_dir


@dataclass
class NotebookFailure:
    notebook: str
    cell: str
    error: str

    def __str__(self) -> str:
        return f"{self.notebook}: cell {self.cell}: {self.error}"


def ordered_notebooks(only: str | None = None) -> list[Path]:
    """``notebooks/NN_*.ipynb`` in order; ``only`` is a glob or substring on the name."""
    books = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        books = [b for b in books if fnmatch.fnmatch(b.stem, only) or only in b.stem]
    return books


def params_file(preset: str) -> Path:
    path = PARAMS_DIR / f"{preset}.yaml"
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(PARAMS_DIR.glob("*.yaml")))
        raise ConfigError([f"no params file for preset {preset!r} ({path}); known presets: {known}"])
    return path


def declared_parameters(notebook: Path) -> set[str]:
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def _failure_from(book: Path, err: Exception) -> NotebookFailure:
    cell = getattr(err, "exec_count", None)
    index = getattr(err, "cell_index", None)
    where = f"[{cell}]" if cell is not None else "?"
    if index is not None:
        where += f" (index {index})"
    ename, evalue = getattr(err, "ename", type(err).__name__), getattr(err, "evalue", str(err))
    return NotebookFailure(book.stem, where, f"{ename}: {evalue}".strip())


def reproduce(preset: str, only: str | None = None, log=print) -> list[NotebookFailure]:
    """Run the notebooks of a preset; return the failures (empty when all passed)."""
    import papermill

    path = params_file(preset)
    problems = check_params_file(path)
    books = ordered_notebooks(only)
    if not books:
        problems.append(f"no notebook matches {only!r} in {NOTEBOOKS_DIR}")
    plan = {}
    for book in books:
        try:
            values = notebook_parameters(path, book.stem)
        except ConfigError:
            continue  # already in problems
        unknown = set(values) - declared_parameters(book)
        for key in sorted(unknown):
            problems.append(f"{path}: {book.stem}: key {key!r} is not a parameter of the notebook")
        plan[book] = values
    if problems:
        raise ConfigError(problems)

    out_dir = build_dir() / preset
    out_dir.mkdir(parents=True, exist_ok=True)
    failures: list[NotebookFailure] = []
    for i, (book, values) in enumerate(plan.items(), 1):
        start = time.perf_counter()
        log(f"[{i}/{len(plan)}] {book.stem} ...")
        try:
            papermill.execute_notebook(str(book), str(out_dir / book.name), parameters=values,
                                       cwd=str(NOTEBOOKS_DIR), progress_bar=False, log_output=False,
                                       kernel_name="python3")
            status = "ok"
        except Exception as err:  # noqa: BLE001 - every failure is collected, none stops the run
            failures.append(_failure_from(book, err))
            status = "FAILED"
        log(f"[{i}/{len(plan)}] {book.stem} {status} ({time.perf_counter() - start:.0f} s)")
    log(f"executed notebooks: {out_dir}")
    log(f"figures and tables: {results_dir(preset)}")
    return failures
