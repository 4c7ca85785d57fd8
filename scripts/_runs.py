"""Shared by ``kill_resume.py`` and ``two_runs_identical.py``: run ``w2s reproduce`` into folders of
its own, and compare the tables two runs wrote.

Every run gets its own store, results and build folders through ``W2S_CACHE``, ``W2S_RESULTS`` and
``W2S_BUILD``, so nothing a run does touches the repository's ``cache/``, ``results/`` or ``build/``.

By default the runs use a snapshot of the code (the package, notebooks, params and task cards,
copied once into the work folder and put first on ``PYTHONPATH`` for the command and its kernels),
so that edits to the working tree while the runs go on cannot make two runs differ.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT_PARTS = ("w2s_lib", "notebooks", "params", "tasks", "pyproject.toml")
# fields of a provenance record (w2s_lib.provenance) that say when, where and how long, not what
PROVENANCE_FIELDS = {"created", "git_commit", "host", "device", "packages", "wall_time_s"}


def folders(root: Path) -> dict[str, Path]:
    return {"cache": root / "cache", "results": root / "results", "build": root / "build"}


def snapshot(dest: Path) -> dict:
    """Copy the code a run uses to ``dest``; returns where, a hash of its files and the git state."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for part in SNAPSHOT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, dest / part)
    digest = hashlib.sha256()
    for f in sorted(p for p in dest.rglob("*") if p.is_file()):
        digest.update(f.relative_to(dest).as_posix().encode() + b"\0" + f.read_bytes())
    git = {}
    for key, cmd in (("commit", ["git", "rev-parse", "HEAD"]), ("changed", ["git", "status", "--porcelain"])):
        try:
            git[key] = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            git[key] = "unknown"
    git["changed"] = git["changed"].splitlines()
    return {"path": str(dest), "sha256": digest.hexdigest(), "git": git}


_CODE: Path = REPO  # where runs take their code from (the snapshot once one is made)


def use_code(path: Path) -> None:
    global _CODE
    _CODE = path


def run_env(root: Path) -> dict[str, str]:
    """The environment of a run whose store, results and build folders all live under ``root``."""
    env = dict(os.environ)
    if _CODE != REPO:
        env["PYTHONPATH"] = os.pathsep.join([str(_CODE)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    dirs = folders(root)
    env.update({"W2S_CACHE": str(dirs["cache"]), "W2S_RESULTS": str(dirs["results"]),
                "W2S_BUILD": str(dirs["build"]),
                # as the Makefile runs it: offline, fixed hash seed, no progress bars in the logs
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                "PYTHONHASHSEED": "0", "TQDM_DISABLE": "1", "CI": "1"})
    return env


def reproduce_command(preset: str) -> list[str]:
    return [sys.executable, "-m", "w2s_lib", "reproduce", "--preset", preset]


def start(preset: str, root: Path, log_name: str) -> tuple[subprocess.Popen, object]:
    """Start ``w2s reproduce`` in a session (and so a process group) of its own; output to a log."""
    root.mkdir(parents=True, exist_ok=True)
    log = open(root / log_name, "w")
    proc = subprocess.Popen(reproduce_command(preset), cwd=_CODE, env=run_env(root), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def run_to_end(preset: str, root: Path, log_name: str = "run.log") -> dict:
    """One uninterrupted run; returns its exit status and wall time."""
    started = time.perf_counter()
    proc, log = start(preset, root, log_name)
    try:
        rc = proc.wait()
    finally:
        log.close()
    return {"returncode": rc, "wall_s": round(time.perf_counter() - started, 1), "log": str(root / log_name)}


NOTEBOOK_LINE = re.compile(r"\[(\d+)/(\d+)\] (\S+) (\.\.\.|ok|FAILED|up to date)")


def notebook_events(log: Path) -> list[tuple[int, str, str]]:
    """(index, notebook, "..." | "ok" | "FAILED" | "up to date") for each notebook line ``w2s reproduce`` logged so far."""
    try:
        text = log.read_text()
    except OSError:
        return []
    return [(int(m.group(1)), m.group(3), m.group(4)) for m in map(NOTEBOOK_LINE.match, text.splitlines()) if m]


def stored_artifacts(root: Path) -> list[Path]:
    """The manifests of the artifacts a run's store holds (each is written last, when one is stored)."""
    return list(folders(root)["cache"].glob("*/*/manifest.json"))


def artifact_times(root: Path, started_epoch: float) -> list[float]:
    """When each artifact of a finished run's store was stored, in seconds from the run's start."""
    return sorted(round(m.stat().st_mtime - started_epoch, 2) for m in stored_artifacts(root))


def run_watching(preset: str, root: Path, log_name: str = "run.log") -> dict:
    """One uninterrupted run that also records when each notebook started (seconds from the start)."""
    started_epoch = time.time()
    started = time.perf_counter()
    proc, log = start(preset, root, log_name)
    starts: dict[str, float] = {}
    try:
        while proc.poll() is None:
            for index, name, state in notebook_events(root / log_name):
                if state == "..." and name not in starts:
                    starts[name] = round(time.perf_counter() - started, 2)
            time.sleep(0.05)
        rc = proc.wait()
    finally:
        log.close()
    return {"returncode": rc, "wall_s": round(time.perf_counter() - started, 1), "log": str(root / log_name),
            "notebook_starts_s": starts, "started_epoch": started_epoch}


def tables(root: Path, preset: str) -> Path:
    return folders(root)["results"] / preset / "tables"


def _without_provenance(path: Path):
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return {k: v for k, v in record.items() if k not in PROVENANCE_FIELDS} if isinstance(record, dict) else record


def compare_results(reference: Path, other: Path, preset: str) -> dict:
    """Every CSV table byte for byte (what counts), and the other result files for information:
    which differ, and which of the JSON sidecars differ only in their provenance fields."""
    a_dir, b_dir = folders(reference)["results"] / preset, folders(other)["results"] / preset
    a_csv = {p.name for p in (a_dir / "tables").glob("*.csv")}
    b_csv = {p.name for p in (b_dir / "tables").glob("*.csv")}
    differing = sorted(n for n in a_csv & b_csv
                       if (a_dir / "tables" / n).read_bytes() != (b_dir / "tables" / n).read_bytes())
    only_reference, only_other = sorted(a_csv - b_csv), sorted(b_csv - a_csv)

    def visible(d: Path) -> set[str]:
        return {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file() and not p.name.startswith(".")}

    others = sorted((visible(a_dir) & visible(b_dir)) - {f"tables/{n}" for n in a_csv})
    other_differing, provenance_only = [], []
    for rel in others:
        if (a_dir / rel).read_bytes() == (b_dir / rel).read_bytes():
            continue
        other_differing.append(rel)
        if rel.endswith(".json") and _without_provenance(a_dir / rel) == _without_provenance(b_dir / rel):
            provenance_only.append(rel)
    return {
        "tables_compared": sorted(a_csv & b_csv),
        "tables_differing": differing,
        "tables_only_in_reference": only_reference,
        "tables_only_in_other": only_other,
        "identical": bool(a_csv) and not differing and not only_reference and not only_other,
        "other_files_compared": len(others),
        "other_files_differing": other_differing,
        "other_files_differing_only_in_provenance": provenance_only,
    }


def leftovers(root: Path) -> dict[str, list[str]]:
    """Temporary names (``.tmp-`` build folders, ``.NAME.tmp-PID`` files) left under a run's folders."""
    out = {}
    for name, d in folders(root).items():
        out[name] = sorted(str(p.relative_to(d)) for p in d.rglob("*") if ".tmp-" in p.name) if d.exists() else []
    return out


def machine() -> dict:
    return {"host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "date": datetime.now(timezone.utc).date().isoformat()}


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def write_summary(summary: dict, out: Path) -> None:
    write_json(out, summary)
    print(json.dumps(summary, indent=1))
    print(f"summary written to {out}")


def differing_tables(comparison: dict) -> str:
    """The tables of a :func:`compare_results` that are not byte-identical, comma-separated."""
    return ", ".join(comparison["tables_differing"] + comparison["tables_only_in_reference"]
                     + comparison["tables_only_in_other"])


def finish(summary: dict, out: Path, work: Path, keep: bool) -> int:
    """Write the summary; remove the work folder after a clean result unless asked to keep it;
    the exit status (0: no problem)."""
    summary["ok"] = not summary["problems"]
    write_summary(summary, out)
    if summary["ok"] and not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if summary["ok"] else 1
