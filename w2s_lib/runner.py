"""``w2s reproduce``: run every notebook in order through papermill and gather every failure.

Parameters are validated for all notebooks before the first one starts, so a typo in a
params file costs nothing. A failing notebook does not stop the run: each failure is
recorded with its notebook, cell and error, and the exit status is non-zero if any failed.
Rerunning after an interruption is cheap because every expensive step is in the store.
"""
from __future__ import annotations

import fnmatch
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, check_params_file, notebook_parameters, read_params_file
from .devices import device_problems
from .paths import NOTEBOOKS_DIR, PARAMS_DIR, build_dir, results_dir
from .progress import PROGRESS_ENV


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
              params: str | Path | None = None, live: bool | None = None,
              force: bool = False) -> list[NotebookFailure]:
    """Run the notebooks a params file names, in order; return the failures (empty when all passed).

    ``preset`` picks ``params/<preset>.yaml``; ``params`` is a file of one's own. Executed
    notebooks go to ``build/<file name>/``, figures and tables to ``results/<the file's preset>/``.
    A notebook whose inputs (see :func:`notebook_inputs`) are those of its last successful run and
    whose outputs are still in place is not run again, unless ``force``.
    """
    import papermill

    if (preset is None) == (params is None):
        raise ConfigError(["give either a preset name or a params file"])
    path = params_file(preset) if params is None else Path(params).expanduser().resolve()
    problems = check_params_file(path) + device_problems()  # W2S_DEVICE too, before any compute
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
    timings = _read_timings(out_dir)
    done = _read_json(out_dir / UP_TO_DATE)
    results = results_dir(data["preset"])
    live = live_status() if live is None else live
    failures: list[NotebookFailure] = []
    started = time.perf_counter()
    for i, (book, values) in enumerate(plan.items(), 1):
        start, start_wall = time.perf_counter(), time.time()
        label = f"[{i}/{len(plan)}] {book.stem}"
        inputs = notebook_inputs(book, values, results)
        if not force and _up_to_date(done.get(book.stem), inputs, out_dir / book.name, results):
            log(f"{label} up to date (inputs and outputs unchanged since its last run; --force reruns it)")
            continue
        done.pop(book.stem, None)
        _write_json(out_dir / UP_TO_DATE, done)
        log(f"{label} ..." + (f" (last time {_clock(timings[book.stem])})" if book.stem in timings else ""))
        with LiveStatus(label, out_dir / book.name, timings.get(book.stem), enabled=live):
            try:
                papermill.execute_notebook(str(book), str(out_dir / book.name), parameters=values,
                                           cwd=str(NOTEBOOKS_DIR), progress_bar=False, log_output=False,
                                           kernel_name="python3")
                status = "ok"
            except Exception as err:  # noqa: BLE001 - every failure is collected, none stops the run
                failures.append(_failure_from(book, err))
                status = "FAILED"
        wall = time.perf_counter() - start
        if status == "ok":
            timings[book.stem] = round(wall, 1)
            _write_timings(out_dir, timings)
            done[book.stem] = {"inputs": inputs, "outputs": _outputs_since(results, start_wall)}
            _write_json(out_dir / UP_TO_DATE, done)
        log(f"{label} {status} ({_clock(wall)})")
    log(f"total {_clock(time.perf_counter() - started)}; executed notebooks: {out_dir}")
    log(f"figures and tables: {results_dir(data['preset'])}")
    return failures


# ----------------------------------------------------------------------------- up to date

UP_TO_DATE = "up_to_date.json"
# stored tables a notebook reads besides the store (the others only write theirs)
READS = {"08_analyses": ("runs_*.csv",), "09_paper": ("*.csv",)}
_ENV_INPUTS = ("W2S_TRAIN_THREADS", "W2S_DEVICE", "W2S_TASK_PATH", "W2S_HUB_FIXTURES", "PYTHONHASHSEED")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _library_files() -> list[Path]:
    from .paths import PACKAGE_DIR, REPO_ROOT

    files = [f for f in PACKAGE_DIR.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
    task_dirs = [REPO_ROOT / "tasks", *[Path(p) for p in os.environ.get("W2S_TASK_PATH", "").split(":") if p]]
    files += [f for d in task_dirs if d.is_dir() for f in d.rglob("*") if f.is_file()]
    return sorted(files)


def notebook_inputs(book: Path, values: dict, results: Path) -> str:
    """What a notebook's outputs depend on: its own text, its parameters, the library's code and
    data (and the task path's cards), the settings read from the environment, and for notebooks
    that read other notebooks' tables, those tables. The store is not an input: it only caches."""
    import hashlib

    from .fingerprint import remembered_sha256

    h = hashlib.sha256(book.read_bytes())
    h.update(json.dumps(values, sort_keys=True, default=str).encode())
    for f in _library_files():
        h.update(f"{f}:{remembered_sha256(f)}".encode())
    for var in _ENV_INPUTS:
        h.update(f"{var}={os.environ.get(var, '')}".encode())
    for pattern in READS.get(book.stem, ()):
        for f in sorted((results / "tables").glob(pattern)):
            h.update(f"{f.name}:{hashlib.sha256(f.read_bytes()).hexdigest()}".encode())
    return h.hexdigest()


def _outputs_since(results: Path, since: float) -> list[str]:
    """The figure and table files a run wrote, to check they are still there. (Their content is
    not compared: table 1 and figures 1–3 are shared, and each W2S notebook rewrites them.)"""
    return [str(f.relative_to(results)) for f in sorted(results.rglob("*"))
            if f.is_file() and f.stat().st_mtime >= since - 1]


def _up_to_date(record: dict | None, inputs: str, executed: Path, results: Path) -> bool:
    if not record or record.get("inputs") != inputs or not executed.exists():
        return False
    return all((results / name).exists() for name in record.get("outputs", []))


# ----------------------------------------------------------------------------- live status

TIMINGS = "timings.json"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _read_timings(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / TIMINGS).read_text())
    except (OSError, ValueError):
        return {}


def _write_timings(out_dir: Path, timings: dict) -> None:
    tmp = out_dir / f".{TIMINGS}.tmp"
    tmp.write_text(json.dumps(timings, indent=1, sort_keys=True))
    os.replace(tmp, out_dir / TIMINGS)


def live_status() -> bool:
    """A status line only on a terminal, and never in CI logs."""
    return sys.stdout.isatty() and not os.environ.get("CI")


class LiveStatus:
    """While a notebook runs in its kernel: one terminal line with the cell, the innermost running
    step and its progress (reported by :mod:`w2s_lib.progress`), the time elapsed and — from the
    previous run — the time left."""

    def __init__(self, label: str, executed: Path, estimate: float | None, enabled: bool):
        self.label, self.executed, self.estimate, self.enabled = label, executed, estimate, enabled
        self.steps: dict[str, dict] = {}
        self._offset, self._stop = 0, threading.Event()
        self._file: Path | None = None

    def __enter__(self) -> "LiveStatus":
        handle, name = tempfile.mkstemp(prefix="w2s-progress-", suffix=".jsonl")
        os.close(handle)
        self._file = Path(name)
        self._previous = os.environ.get(PROGRESS_ENV)
        os.environ[PROGRESS_ENV] = name  # the kernel inherits it
        self._start = time.perf_counter()
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join(2)
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()
        if self._previous is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = self._previous
        self._file.unlink(missing_ok=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.poll()
            sys.stdout.write("\r\033[K" + self.line()[: shutil.get_terminal_size((120, 20)).columns - 1])
            sys.stdout.flush()

    def poll(self) -> None:
        try:
            with open(self._file) as f:
                f.seek(self._offset)
                chunk = f.read()
        except OSError:
            return
        complete = chunk[: chunk.rfind("\n") + 1]
        self._offset += len(complete.encode())
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event["event"] == "close":
                self.steps.pop(event["id"], None)
            else:
                self.steps[event["id"]] = event

    def cells(self) -> tuple[int, int] | None:
        """(cells done, code cells) from the executed copy papermill keeps writing."""
        try:
            nb = json.loads(self.executed.read_text())
        except (OSError, ValueError):
            return None
        code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        done = sum(c.get("metadata", {}).get("papermill", {}).get("status") == "completed" for c in code)
        return done, len(code)

    def line(self) -> str:
        elapsed = time.perf_counter() - self._start
        parts = [self.label]
        cells = self.cells()
        if cells:
            parts.append(f"cell {min(cells[0] + 1, cells[1])}/{cells[1]}")
        if self.steps:
            step = max(self.steps.values(), key=lambda e: e["t"])  # the one that moved last
            done = f"{step['n']}/{step['total']}" if step.get("total") else f"{step['n']}"
            bar = ""
            if step.get("total"):
                filled = int(12 * step["n"] / max(1, step["total"]))
                bar = " " + "█" * filled + "·" * (12 - filled)
            parts.append(f"{step['desc']}{bar} {done}")
        timing = f"{_clock(elapsed)} elapsed"
        if self.estimate:
            timing += f", ~{_clock(max(0.0, self.estimate - elapsed))} left" if elapsed < self.estimate else \
                ", longer than last time"
        parts.append(timing)
        return " · ".join(parts)
