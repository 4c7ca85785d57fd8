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

from .config import ConfigError, check_params_file, notebook_parameters, read_params_file
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
    """``params/<preset>.yaml`` for a preset *name*; files of one's own go through ``--params``."""
    known = ", ".join(p.stem for p in sorted(PARAMS_DIR.glob("*.yaml")))
    if "/" in preset or preset.endswith((".yaml", ".yml")):
        raise ConfigError([f"--preset takes a preset name ({known}); for a params file of your own "
                           f"use --params {preset}"])
    path = PARAMS_DIR / f"{preset}.yaml"
    if not path.exists():
        raise ConfigError([f"no params file for preset {preset!r} ({path}); known presets: {known}; "
                           "for a params file of your own use --params FILE"])
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


def reproduce(preset: str | None = None, only: str | None = None, log=print,
              params: str | Path | None = None) -> list[NotebookFailure]:
    """Run the notebooks a params file names, in order; return the failures (empty when all passed).

    ``preset`` picks ``params/<preset>.yaml``; ``params`` is a file of one's own. Executed
    notebooks go to ``build/<file name>/``, figures and tables to ``results/<the file's preset>/``.
    """
    import papermill

    if (preset is None) == (params is None):
        raise ConfigError(["give either a preset name or a params file"])
    path = params_file(preset) if params is None else Path(params).expanduser().resolve()
    problems = check_params_file(path)
    if problems:
        raise ConfigError(problems)
    data = read_params_file(path)
    named = list(data.get("notebooks") or {})
    if not named:
        raise ConfigError([f"{path}: names no notebook under 'notebooks:'"])
    missing = [stem for stem in named if not (NOTEBOOKS_DIR / f"{stem}.ipynb").exists()]
    problems += [f"{path}: notebook {stem!r} does not exist in {NOTEBOOKS_DIR}" for stem in missing]
    books = [b for b in ordered_notebooks(only) if b.stem in named]
    if not books:
        problems.append(f"no notebook named in {path.name} matches {only!r}" if only
                        else f"{path}: none of its notebooks exists")
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

    out_dir = build_dir() / path.stem
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
    log(f"figures and tables: {results_dir(data['preset'])}")
    return failures
