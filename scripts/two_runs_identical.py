"""Two runs of ``w2s reproduce`` from empty stores give byte-identical tables.

Each run gets fresh ``W2S_CACHE``, ``W2S_RESULTS`` and ``W2S_BUILD`` folders of its own; they run
one after the other (not side by side, so they never compete for the cores). Every
``results/<preset>/tables/*.csv`` is compared byte for byte; the other result files (LaTeX, JSON
sidecars, figures) are compared for information, and a JSON sidecar that differs only in its
provenance fields (time created, commit, host, device, packages, wall time) is reported as such.

A JSON summary is printed and written to ``--out``; the exit status is 1 when a table differs or
a run fails.

Usage: ``python scripts/two_runs_identical.py [--preset smoke|micro]``
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import _runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="smoke")
    parser.add_argument("--work", default=None, help="folder for both runs (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (kept anyway on a failure)")
    parser.add_argument("--live", action="store_true", help="run the working tree's code itself, not a snapshot "
                                                            "of it taken at the start")
    parser.add_argument("--out", default=None, help="JSON summary (default benchmarks/results/two_runs_PRESET.json)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else _runs.REPO / "benchmarks" / "results" / f"two_runs_{args.preset}.json"
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix=f"w2s-two-runs-{args.preset}-"))

    summary: dict = {"preset": args.preset, "command": " ".join(_runs.reproduce_command(args.preset)[1:]),
                     "machine": _runs.machine(), "work": str(work), "runs": {}, "problems": []}
    if args.live:
        summary["code"] = {"path": str(_runs.REPO), "live": True}
    else:  # the code as it is now: edits to the working tree meanwhile cannot reach the runs
        summary["code"] = _runs.snapshot(work / "code")
        _runs.use_code(Path(summary["code"]["path"]))
    for name in ("first", "second"):
        root = work / name
        if root.exists():
            shutil.rmtree(root)
        print(f"{name} run from an empty store in {root} ...", flush=True)
        result = _runs.run_to_end(args.preset, root, f"{name}.log")
        summary["runs"][name] = result
        print(f"{name}: exit {result['returncode']} in {result['wall_s']} s", flush=True)
        if result["returncode"] != 0:
            summary["problems"].append(f"the {name} run failed (exit {result['returncode']}); see {result['log']}")
    if not summary["problems"]:
        comparison = _runs.compare_results(work / "first", work / "second", args.preset)
        summary["comparison"] = comparison
        summary["tables_identical"] = comparison["identical"]
        if not comparison["identical"]:
            summary["problems"].append("tables differ: " + _runs.differing_tables(comparison))
    return _runs.finish(summary, out, work, keep=args.keep or bool(args.work))


if __name__ == "__main__":
    raise SystemExit(main())
