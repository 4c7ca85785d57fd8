"""``w2s reproduce``: run the notebooks of a params file through papermill and gather every failure.

Parameters are validated for all notebooks before the first one starts, so a typo in a
params file costs nothing. Each notebook runs in a process of its own; up to ``jobs`` run side
by side, a notebook starting once those it needs (:mod:`w2s_lib.manifest`) have finished. A failing
notebook does not stop the run: each failure is recorded with its notebook, cell and error, and
the exit status is non-zero if any failed. Rerunning after an interruption is cheap because
every expensive step is in the store.
"""
from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError
from .parameters import check_params_file, notebook_parameters, read_params_file
from .devices import device_problems
from .manifest import prerequisites, read_tables
from .paths import NOTEBOOKS_DIR, PARAMS_DIR, RESULTS_NAME_ENV, build_dir, results_dir
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


def default_jobs(data: dict, requested: int | None = None) -> int:
    """Notebooks run side by side: ``requested`` (``--jobs``), else ``W2S_JOBS``, else the params
    file's ``jobs`` (checked with the file), else 1."""
    if requested is None and not os.environ.get("W2S_JOBS"):
        return data.get("jobs", 1)
    source, value = ("--jobs", requested) if requested is not None else ("W2S_JOBS", os.environ["W2S_JOBS"])
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise ConfigError([f"{source}={value!r}: must be a whole number of notebooks at a time (1 or more)"])
    return jobs


def _validated_plan(preset: str | None, params: str | Path | None, only: str | None):
    """(params file, its content, {notebook: parameters}) — or a ConfigError listing every problem
    of the file, the device setting and the notebooks it names, before anything runs."""
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
    if not problems:  # a model or dataset neither here nor reachable: say so now, not in a notebook
        from .hub_access import missing_from_hub, unusable_local_models

        values = {b.stem: v for b, v in plan.items()}
        problems = unusable_local_models(values) + missing_from_hub(values, fetch_file=params or os.path.relpath(path))
    if problems:
        raise ConfigError(problems)
    return path, data, plan


def reproduce(preset: str | None = None, only: str | None = None, log=print,
              params: str | Path | None = None, live: bool | None = None,
              force: bool = False, jobs: int | None = None) -> list[NotebookFailure]:
    """Run the notebooks a params file names; return the failures (empty when all passed).

    ``preset`` picks ``params/<preset>.yaml``; ``params`` is a file of one's own. Executed
    notebooks go to ``build/<file name>/``, figures and tables to ``results/<the file's results:>/``
    (by default its preset's name).
    A notebook whose inputs (see :func:`notebook_inputs`) are those of its last successful run and
    whose outputs are still in place is not run again, unless ``force``. Up to ``jobs`` notebooks
    run side by side (see :func:`prerequisites` for which may), in the order of :func:`start_priorities`.
    """
    path, data, plan = _validated_plan(preset, params, only)
    jobs = default_jobs(data, jobs)

    out_dir = build_dir() / path.stem
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = _read_timings(out_dir)
    estimates = {**(data.get("expected_seconds") or {}), **timings}  # this machine's last run first
    done = _read_json(out_dir / UP_TO_DATE)
    results_name = data.get("results") or data["preset"]
    results = results_dir(data["preset"], results_name)
    board = Board(live_status() if live is None else live, log)
    failures: list[NotebookFailure] = []
    stems = [b.stem for b in plan]
    order = {stem: i for i, stem in enumerate(stems, 1)}
    needs = {stem: prerequisites(stem, stems) for stem in stems}
    # one at a time: the notebooks' order; side by side: the order a simulated run ends soonest with
    priority = start_priorities(needs, {stem: estimates.get(stem, 60.0) for stem in stems}, jobs) if jobs > 1 \
        else dict.fromkeys(stems, 0.0)
    waiting, running, finished = list(plan), {}, set()
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    started = time.perf_counter()
    stop_on_term = threading.current_thread() is threading.main_thread()
    previous_term = signal.signal(signal.SIGTERM, _exit_on_term) if stop_on_term else None
    try:
        while waiting or running:
            by_stem = {b.stem: b for b in waiting}
            for book in [by_stem[s] for s in ready_in_turn(by_stem, needs, finished, priority, order)]:
                if len(running) >= jobs:
                    break
                waiting.remove(book)
                label = f"[{order[book.stem]}/{len(plan)}] {book.stem}"
                inputs = notebook_inputs(book, plan[book], results)
                if not force and _up_to_date(done.get(book.stem), inputs, out_dir / book.name, results):
                    board.log(f"{label} up to date (inputs and outputs unchanged since its last run; "
                              "--force reruns it)")
                    finished.add(book.stem)
                    continue
                done.pop(book.stem, None)
                _write_json(out_dir / UP_TO_DATE, done)
                board.log(f"{label} ..." + (f" (last time {_clock(timings[book.stem])})"
                                            if book.stem in timings else ""))
                running[book] = NotebookJob(label, book, out_dir, plan[book], estimates.get(book.stem),
                                            threads, inputs, results_name)
            for book, job in list(running.items()):
                if job.poll() is None:
                    continue
                del running[book]
                finished.add(book.stem)
                failure = job.failure()
                if failure is None:
                    timings[book.stem] = round(job.wall, 1)
                    _write_timings(out_dir, timings)
                    done[book.stem] = {"inputs": job.inputs, "outputs": _outputs_since(results, job.start_wall)}
                    _write_json(out_dir / UP_TO_DATE, done)
                else:
                    failures.append(failure)
                board.log(f"{job.label} {'ok' if failure is None else 'FAILED'} ({_clock(job.wall)})")
            if board.live:
                board.show([job.status.line() for job in running.values()])
            if running:
                time.sleep(0.2)
    finally:
        for job in running.values():  # interrupted (Ctrl-C, SIGTERM): stop the notebooks still running
            job.stop()
        board.show([])
        if stop_on_term:
            signal.signal(signal.SIGTERM, previous_term)
    board.log(f"total {_clock(time.perf_counter() - started)}; executed notebooks: {out_dir}")
    board.log(f"figures and tables: {results}")
    return sorted(failures, key=lambda f: order[f.notebook])


def _exit_on_term(signum, frame) -> None:
    raise SystemExit(128 + signum)  # so that the running notebooks' processes are stopped too


# ----------------------------------------------------------------------------- side by side

def chain_lengths(needs: dict[str, set[str]], seconds: dict[str, float]) -> dict[str, float]:
    """For each notebook, the longest run of notebooks that cannot start before it ends (itself
    included), in expected seconds: starting the longest chains first keeps every worker busy."""
    memo: dict[str, float] = {}

    def length(stem: str) -> float:
        if stem not in memo:
            after = [s for s, n in needs.items() if stem in n]
            memo[stem] = seconds[stem] + max((length(s) for s in after), default=0.0)
        return memo[stem]

    return {stem: length(stem) for stem in needs}


def ready_in_turn(waiting, needs: dict[str, set[str]], finished: set[str], priority: dict[str, float],
                  order: dict[str, int]) -> list[str]:
    """The waiting notebooks whose prerequisites have finished, the one to start first first: highest
    priority, ties to the earlier notebook (the runner and its simulation both start them so)."""
    return sorted((s for s in waiting if needs[s] <= finished), key=lambda s: (-priority[s], order[s]))


def simulated_end(needs: dict[str, set[str]], seconds: dict[str, float], priority: dict[str, float],
                  jobs: int) -> float:
    """When a run would end if every notebook took its expected seconds and each free worker started
    what :func:`ready_in_turn` puts first."""
    order = {stem: i for i, stem in enumerate(needs)}
    clock, running, finished, waiting = 0.0, {}, set(), list(needs)
    while waiting or running:
        for stem in ready_in_turn(waiting, needs, finished, priority, order)[: jobs - len(running)]:
            waiting.remove(stem)
            running[stem] = clock + seconds[stem]
        if not running:
            raise ValueError(f"notebooks waiting on each other: {sorted(waiting)}")
        stem = min(running, key=running.get)
        clock = running.pop(stem)
        finished.add(stem)
    return clock


def start_priorities(needs: dict[str, set[str]], seconds: dict[str, float], jobs: int) -> dict[str, float]:
    """Which ready notebook a free worker starts first. The longest chains first keeps workers busy
    but can leave a short notebook alone at the end (micro, 2 jobs: 15:24 simulated, 15:25 measured);
    from that order, swapping two notebooks while the simulated run ends sooner found 14:43 there
    (14:35 measured).
    A few thousand simulations of a dozen notebooks: milliseconds."""
    lengths = chain_lengths(needs, seconds)
    order = sorted(needs, key=lambda s: -lengths[s])

    def as_priority(sequence: list[str]) -> dict[str, float]:
        return {stem: float(len(sequence) - i) for i, stem in enumerate(sequence)}

    best = simulated_end(needs, seconds, as_priority(order), jobs)
    improved = True
    while improved:
        improved = False
        for i in range(len(order)):
            for j in range(i + 1, len(order)):
                trial = order[:i] + [order[j]] + order[i + 1:j] + [order[i]] + order[j + 1:]
                end = simulated_end(needs, seconds, as_priority(trial), jobs)
                if end < best - 1e-9:
                    order, best, improved = trial, end, True
    return as_priority(order)


class NotebookJob:
    """One notebook executing through papermill in a child process (``python -m w2s_lib.runner``),
    with its own progress file and, when notebooks run side by side, its share of the CPU threads.
    Its output goes to ``build/<params>/<notebook>.log``. The child holds the read end of a pipe
    whose write end only this process holds, its lifeline: when this process closes it or dies,
    however it dies, the child stops its kernel and ends (:func:`_stop_when_the_runner_is_gone`)."""

    def __init__(self, label: str, book: Path, out_dir: Path, values: dict, estimate: float | None,
                 threads: int | None, inputs: str, results_name: str):
        self.label, self.book, self.inputs = label, book, inputs
        self.executed = out_dir / book.name
        self.start, self.start_wall = time.perf_counter(), time.time()
        self.status = LiveStatus(label, self.executed, estimate)
        handle, name = tempfile.mkstemp(prefix="w2s-failure-", suffix=".json")
        os.close(handle)
        self._failure_file = Path(name)
        env = dict(os.environ, **{PROGRESS_ENV: str(self.status.file), RESULTS_NAME_ENV: results_name})
        if threads is not None:
            env.setdefault("OMP_NUM_THREADS", str(threads))
        self._log = open(out_dir / f"{book.stem}.log", "w")
        lifeline_read, lifeline_write = os.pipe()  # not inherited by the other children (close_fds)
        self._lifeline = open(lifeline_write, "wb", buffering=0)  # noqa: SIM115 - closed by poll() or stop()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "w2s_lib.runner", str(book), str(self.executed), str(NOTEBOOKS_DIR),
                 json.dumps(values, default=str), str(self._failure_file), str(lifeline_read)],
                env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                pass_fds=(lifeline_read,))
        finally:
            os.close(lifeline_read)
        self.wall = 0.0

    def poll(self) -> int | None:
        code = self.proc.poll()
        self.wall = time.perf_counter() - self.start
        if code is None:
            self.status.poll()
        else:
            self._log.close()
            self._lifeline.close()
        return code

    def failure(self) -> NotebookFailure | None:
        record = _read_json(self._failure_file)
        self._failure_file.unlink(missing_ok=True)
        self.status.close()
        if self.proc.returncode == 0:
            return None
        if record:
            return NotebookFailure(self.book.stem, record["cell"], record["error"])
        return NotebookFailure(self.book.stem, "?", f"its process ended with status {self.proc.returncode} "
                                                     f"(output: {self._log.name})")

    def stop(self) -> None:
        self._lifeline.close()  # the child stops its kernel and ends; SIGTERM and SIGKILL are fallbacks
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()
        self._failure_file.unlink(missing_ok=True)
        self.status.close()


KERNEL_START_ATTEMPTS = 3


def _execute_one(argv: list[str]) -> int:
    """Child side of :class:`NotebookJob`: run one notebook, write its failure (if any) as JSON."""
    book, executed, cwd, values, failure_file, *lifeline = argv
    if lifeline:
        _stop_when_the_runner_is_gone(int(lifeline[0]))
    import papermill

    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            papermill.execute_notebook(book, executed, parameters=json.loads(values), cwd=cwd, progress_bar=False,
                                       log_output=False, kernel_name="python3")
            return 0
        except RuntimeError as err:
            # Kernels started at the same moment can draw the same free port; the loser dies before
            # running any cell, so starting it again is safe.
            if "Kernel died before replying to kernel_info" not in str(err) or attempt == KERNEL_START_ATTEMPTS:
                failure = _failure_from(Path(book), err)
                break
            print(f"kernel start failed ({err}); attempt {attempt + 1} of {KERNEL_START_ATTEMPTS}", flush=True)
        except Exception as err:  # noqa: BLE001 - reported to the runner, which gathers every failure
            failure = _failure_from(Path(book), err)
            break
    _write_json(Path(failure_file), {"cell": failure.cell, "error": failure.error})
    return 1


def _stop_when_the_runner_is_gone(lifeline: int) -> None:
    """Watch, in a thread, the pipe whose write end only the runner holds: reading it gives EOF once
    the runner closes it (:meth:`NotebookJob.stop`) or dies in any way, SIGKILL and the OOM killer
    included. Then stop this notebook's kernel and end, rather than compute for minutes beside a
    restarted run. A changed parent pid counts too, in case a process forked from the runner holds
    the write end. (Not ``PR_SET_PDEATHSIG``: Linux only, and its signal could end this process
    before it stops the kernel's process group.)"""
    runner_pid = os.getppid()

    def watch() -> None:
        while True:
            readable, _, _ = select.select([lifeline], [], [], 1.0)
            if readable and not os.read(lifeline, 1):
                break  # EOF: the runner closed its end, or died
            if os.getppid() != runner_pid:
                break  # reparented: the runner died
        try:
            print("the runner stopped or died: stopping this notebook's kernel", flush=True)
            _stop_started_processes()
        finally:
            os._exit(1)

    threading.Thread(target=watch, name="w2s-runner-lifeline", daemon=True).start()


def _stop_started_processes(grace_s: float = 2.0) -> None:
    """End the processes this one started, and what they started: jupyter_client starts each kernel
    in a session of its own, so it is not in this process's group, and it must be stopped by its
    own group (which also holds whatever the notebook started). SIGTERM, then SIGKILL."""
    import psutil  # a dependency of accelerate

    kids = psutil.Process().children()
    groups = set()
    for kid in kids:
        with contextlib.suppress(OSError):
            groups.add(os.getpgid(kid.pid))
    groups.discard(os.getpgrp())  # never this process's own group

    def send(sig: int) -> None:
        for group in groups:
            with contextlib.suppress(OSError):
                os.killpg(group, sig)
        for kid in kids:
            with contextlib.suppress(psutil.Error):
                kid.send_signal(sig)

    send(signal.SIGTERM)
    psutil.wait_procs(kids, timeout=grace_s)
    send(signal.SIGKILL)


# ----------------------------------------------------------------------------- up to date

UP_TO_DATE = "up_to_date.json"
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
    for pattern in read_tables(book.stem):  # stored tables it reads besides the store (manifest)
        for f in sorted((results / "tables").glob(pattern)):
            h.update(f"{f.name}:{hashlib.sha256(f.read_bytes()).hexdigest()}".encode())
    return h.hexdigest()


def _outputs_since(results: Path, since: float) -> list[str]:
    """The figure and table files a run wrote, to check they are still there. (Their content is
    not compared: table 1 and figures 1–3 are shared, and each W2S notebook rewrites them.)"""
    return [str(f.relative_to(results)) for f in sorted(results.rglob("*"))
            if f.is_file() and not f.name.startswith(".") and f.stat().st_mtime >= since - 1]


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
    """What one running notebook shows: the cell, the innermost running step and its progress
    (reported by :mod:`w2s_lib.progress` to ``self.file``, which the kernel is told through
    ``W2S_PROGRESS_FILE``), the time elapsed and — from the previous run — the time left."""

    def __init__(self, label: str, executed: Path, estimate: float | None):
        self.label, self.executed, self.estimate = label, executed, estimate
        self.steps: dict[str, dict] = {}
        self._offset, self._start = 0, time.perf_counter()
        handle, name = tempfile.mkstemp(prefix="w2s-progress-", suffix=".jsonl")
        os.close(handle)
        self.file = Path(name)

    def close(self) -> None:
        self.file.unlink(missing_ok=True)

    def poll(self) -> None:
        try:
            with open(self.file) as f:
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
                ", longer than expected"
        parts.append(timing)
        return " · ".join(parts)


class Board:
    """The terminal display of a run: log lines scroll, and below them one live line per running
    notebook is redrawn in place. Off a terminal (or with ``CI`` set) only the log lines print."""

    def __init__(self, live: bool, log=print):
        self.live, self._log, self._drawn, self._shown = live, log, 0, 0.0

    def _clear(self) -> None:
        if self._drawn:
            sys.stdout.write("\r\033[K" + "\033[A\r\033[K" * (self._drawn - 1))
            sys.stdout.flush()
            self._drawn = 0

    def log(self, line: str) -> None:
        if self.live:
            self._clear()
        self._log(line)

    def show(self, lines: list[str], every_s: float = 0.5) -> None:
        if not self.live or (lines and time.monotonic() - self._shown < every_s):
            return
        self._shown = time.monotonic()
        self._clear()
        if lines:
            width = shutil.get_terminal_size((120, 20)).columns - 1
            sys.stdout.write("\n".join(line[:width] for line in lines))
            sys.stdout.flush()
            self._drawn = len(lines)


if __name__ == "__main__":
    sys.exit(_execute_one(sys.argv[1:]))
