"""Kill ``w2s reproduce`` at random moments, rerun it each time, and compare the final tables with
an uninterrupted run: they must be byte-identical, and no build folder of a killed run may stay.

1. A reference run, uninterrupted, in folders of its own; it gives the expected length of a run
   and when each notebook starts in it.
2. An interrupted series in other fresh folders: ``--kills`` moments are drawn (seeded, uniformly,
   sorted) over the reference's length. By default (``--spacing progress``) a moment is a point of
   progress: the number of artifacts the reference's store held then; attempt i runs until the
   series' store holds as many (and at least one more than when it started), so the kills follow
   the work of the run however much each rerun redoes and whichever notebooks run side by side.
   ``--spacing gaps`` kills attempt i after the time between moments i − 1 and i (kills then
   gather early: every rerun spends part of its time redoing what the kill lost);
   ``--spacing notebooks`` at an offset into the notebook that started last before the moment in
   the reference (a rerun that skips it as up to date counts from the skip), which spreads kills
   well one notebook at a time, but side by side an offset can outlast the rest of a resumed run.
   Each kill is a SIGKILL to the whole process tree: the process group with ``os.killpg``, and the
   notebook kernels, which jupyter starts in sessions of their own. After the last kill a final
   attempt runs to the end.
3. Every ``results/<preset>/tables/*.csv`` of the series is compared byte for byte with the
   reference's, and the series' store is searched for leftover ``.tmp-`` build folders.

A JSON summary is printed and written to ``--out``; the exit status is 1 when anything differs,
a run fails, a build folder is left over or fewer kills than asked landed.

Usage: ``python scripts/kill_resume.py [--preset smoke|micro] [--kills 10] [--seed 0]``
(``--work DIR --reuse-reference`` reuses the finished reference run kept in ``DIR``).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import tempfile
import time
from pathlib import Path

import _runs


def _proc_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, state) from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "(command name)"
        table[int(entry.name)] = (int(fields[1]), int(fields[2]), fields[0])
    return table


def descendants(pid: int) -> list[int]:
    table, found, frontier = _proc_table(), [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, (ppid, _, _) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return state[state.rfind(")") + 2:].startswith("Z")  # a zombie computes nothing more


def kill_tree(proc, group_only: bool) -> list[int]:
    """SIGKILL the run's process group and (unless ``group_only``) every descendant in another group
    (the kernel); wait until all are gone. Returns the pids outside the group that were killed."""
    tree = descendants(proc.pid)
    group = os.getpgid(proc.pid)
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:  # it ended at that very moment
        pass
    outside = []
    for pid in tree:
        try:
            if os.getpgid(pid) != group:
                outside.append(pid)
                if not group_only:
                    os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    if not group_only:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(_gone(p) for p in outside):
            time.sleep(0.1)
    return outside


def running_notebook(log: Path) -> str | None:
    """The notebooks the run's log shows started and not yet ended (``a + b`` when side by side)."""
    if not log.exists():
        return None
    running: dict[str, None] = {}
    last = None
    for _, name, state in _runs.notebook_events(log):
        last = name
        if state == "...":
            running[name] = None
        else:  # ok, FAILED, up to date
            running.pop(name, None)
    if running:
        return " + ".join(running)
    return f"after {last}" if last else "starting"


def kill_moments(seed: int, kills: int, length: float) -> list[float]:
    """``kills`` moments drawn uniformly over 2–98 % of ``length``, sorted."""
    rng = random.Random(seed)
    return sorted(round(rng.uniform(0.02, 0.98) * length, 2) for _ in range(kills))


def anchor(moment: float, starts: dict[str, float]) -> tuple[str, float]:
    """(the notebook that started last before ``moment`` of the reference run, seconds since it
    started); before the first notebook: (``""``, seconds since the command started)."""
    running = [(t, name) for name, t in starts.items() if t <= moment]
    if not running:
        return "", moment
    t, name = max(running)
    return name, round(moment - t, 2)


def wait_for_artifacts(proc, root: Path, count: int) -> int | None:
    """Wait until the run's store holds ``count`` artifacts and one more than when this attempt
    began; return ``None`` then, or the exit status if the run ended first."""
    at_start = len(_runs.stored_artifacts(root))
    while proc.poll() is None:
        held = len(_runs.stored_artifacts(root))
        if held >= count and held > at_start:
            return None
        time.sleep(0.2)
    return proc.poll()


def wait_for_moment(proc, log: Path, notebook: str, offset: float) -> int | None:
    """Wait until ``notebook`` (or the command, for ``""``) has run — or been skipped as up to date —
    ``offset`` seconds ago; return ``None`` then, or the exit status if the run ended first."""
    started = time.perf_counter()
    deadline = started + offset if not notebook else None
    while proc.poll() is None:
        now = time.perf_counter()
        if deadline is None and any(name == notebook and state in ("...", "up to date")
                                    for _, name, state in _runs.notebook_events(log)):
            deadline = now + offset
        if deadline is not None and now >= deadline:
            return None
        time.sleep(0.05)
    return proc.poll()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="smoke")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default=None, help="folder for both runs' caches, results and builds "
                                                     "(default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (kept anyway on a failure)")
    parser.add_argument("--spacing", choices=("progress", "gaps", "notebooks"), default="progress",
                        help="what a moment is in an attempt: the reference's stored-artifact count then "
                             "(default), the time since the previous moment, or an offset into a notebook")
    parser.add_argument("--reuse-reference", action="store_true",
                        help="reuse the finished reference run in --work (its reference/reference.json)")
    parser.add_argument("--live", action="store_true", help="run the working tree's code itself, not a snapshot "
                                                            "of it taken at the start")
    parser.add_argument("--group-only", action="store_true",
                        help="kill only the process group; the kernel then stops by itself within a second")
    parser.add_argument("--out", default=None, help="JSON summary (default benchmarks/results/kill_resume_PRESET.json)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else _runs.REPO / "benchmarks" / "results" / f"kill_resume_{args.preset}.json"
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix=f"w2s-kill-resume-{args.preset}-"))
    reference_root, series_root = work / "reference", work / "interrupted"
    reused = _runs.read_json(reference_root / "reference.json") if args.reuse_reference else None
    if args.reuse_reference and not reused:
        parser.error(f"--reuse-reference: no finished reference run in {reference_root} (reference.json)")
    for root in ((series_root,) if reused else (reference_root, series_root)):
        if root.exists():
            shutil.rmtree(root)

    summary: dict = {"preset": args.preset, "seed": args.seed, "kills_requested": args.kills,
                     "command": " ".join(_runs.reproduce_command(args.preset)[1:]), "machine": _runs.machine(),
                     "work": str(work), "problems": []}
    if args.live:
        summary["code"] = {"path": str(_runs.REPO), "live": True}
    else:  # the code as it is now: edits to the working tree meanwhile cannot reach the runs
        summary["code"] = _runs.snapshot(work / "code")
        _runs.use_code(Path(summary["code"]["path"]))
    if reused:
        reference = reused
        if "started_epoch" not in reference:  # a reference run older than that field: its log's last write
            reference["started_epoch"] = Path(reference["log"]).stat().st_mtime - reference["wall_s"]
        print(f"reference run reused from {reference_root}", flush=True)
    else:
        print(f"reference run (uninterrupted) in {reference_root} ...", flush=True)
        reference = _runs.run_watching(args.preset, reference_root, "reference.log")
        reference["code"] = summary["code"]
        _runs.write_json(reference_root / "reference.json", reference)
    summary["reference"] = reference
    if reference["returncode"] != 0:
        summary["problems"].append(f"the reference run failed (exit {reference['returncode']}); see {reference['log']}")
        _runs.write_summary(summary, out)
        return 1
    print(f"reference: {reference['wall_s']} s", flush=True)

    moments = kill_moments(args.seed, args.kills, reference["wall_s"])
    summary["spacing"] = args.spacing
    if args.spacing == "notebooks":
        plan = [anchor(t, reference["notebook_starts_s"]) for t in moments]
    elif args.spacing == "gaps":  # ("", gap): that long after the attempt starts
        plan = [("", round(t - previous, 2)) for previous, t in zip([0.0] + moments[:-1], moments)]
    else:
        stored = _runs.artifact_times(reference_root, reference["started_epoch"])
        plan = [("artifacts", sum(t <= m for t in stored)) for m in moments]
    attempts, series_start = [], time.perf_counter()
    for i in range(len(plan) + 1):
        last = i == len(plan)
        log_name = f"attempt{i:02d}.log"
        started = time.perf_counter()
        proc, log = _runs.start(args.preset, series_root, log_name)
        try:
            if last:
                rc = proc.wait()
            elif args.spacing == "progress":
                rc = wait_for_artifacts(proc, series_root, plan[i][1])
            else:
                rc = wait_for_moment(proc, series_root / log_name, *plan[i])
        finally:
            log.close()
        record = {"attempt": i}
        if not last:
            record["target"] = {"reference_moment_s": moments[i]} | (
                {"stored_artifacts": plan[i][1]} if args.spacing == "progress" else
                {"notebook": plan[i][0] or "(the attempt)", "offset_s": plan[i][1]})
        if rc is None:  # still running at its moment: kill it
            record["killed_after_s"] = round(time.perf_counter() - started, 2)
            record["notebook_at_kill"] = running_notebook(series_root / log_name)
            record["kernel_pids_killed"] = kill_tree(proc, args.group_only)
            print(f"attempt {i}: killed after {record['killed_after_s']} s during {record['notebook_at_kill']}",
                  flush=True)
            attempts.append(record)
            continue
        record.update(returncode=rc, wall_s=round(time.perf_counter() - started, 1))
        attempts.append(record)
        print(f"attempt {i}: ran to the end (exit {rc}) in {record['wall_s']} s", flush=True)
        if rc != 0:
            summary["problems"].append(f"attempt {i} failed (exit {rc}); see {series_root / log_name}")
        elif not last:
            summary["problems"].append(f"attempt {i} finished before its kill: only {i} of {args.kills} kills landed")
        break

    kills = sum("killed_after_s" in a for a in attempts)
    comparison = _runs.compare_results(reference_root, series_root, args.preset)
    left = _runs.leftovers(series_root)
    summary.update(kills_delivered=kills, attempts=attempts,
                   series_wall_s=round(time.perf_counter() - series_start, 1),
                   final_attempt_wall_s=attempts[-1].get("wall_s"),
                   comparison=comparison, tables_identical=comparison["identical"],
                   leftover_tmp_in_cache=left["cache"],
                   leftover_tmp_in_results_or_build=left["results"] + left["build"])
    if kills < args.kills and not any("kills landed" in p for p in summary["problems"]):
        summary["problems"].append(f"only {kills} of {args.kills} kills landed")
    if not comparison["identical"]:
        summary["problems"].append("tables differ from the uninterrupted run: "
                                   + _runs.differing_tables(comparison))
    if left["cache"]:
        summary["problems"].append(f"{len(left['cache'])} temporary build folder(s) left in the store")
    return _runs.finish(summary, out, work, keep=args.keep or bool(args.work))


if __name__ == "__main__":
    raise SystemExit(main())
