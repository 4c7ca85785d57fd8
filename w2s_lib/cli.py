"""The ``w2s`` console command (also ``python -m w2s_lib``)."""
from __future__ import annotations

import argparse
import json
import sys

from .config import ConfigError


def _print(msg: str) -> None:
    print(msg, flush=True)


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .runner import reproduce

    try:
        preset = None if args.params else (args.preset or "micro")
        failures = reproduce(preset, only=args.only, log=_print, params=args.params, force=args.force,
                             jobs=args.jobs)
    except ConfigError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        print(f"nothing was run: {len(err.problems)} problem(s) in the parameters", file=sys.stderr)
        return 2
    if failures:
        print(f"{len(failures)} notebook(s) failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("all notebooks ran")
    return 0


def cmd_grid(args: argparse.Namespace) -> int:
    """The weak-to-strong grid of notebook 02 without the notebook: fills the store, so that it can
    run data-parallel under ``accelerate launch`` / ``torchrun`` and the notebook then reads back."""
    from .devices import device_problems
    from .grid import run_grid
    from .manifest import schema_for
    from .parameters import notebook_parameters
    from .runner import params_file

    try:
        problems = device_problems()  # W2S_DEVICE, before any compute
        if problems:
            raise ConfigError(problems)
        path = args.params or params_file(args.preset or "micro")
        cfg = notebook_parameters(path, args.notebook)
    except ConfigError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return 2
    p = schema_for(args.notebook)(**cfg)
    runs = run_grid(p.tasks, p.ladder, p.seeds, p.preset, methods=p.methods, pairs=p.pairs, lm_steps=p.lm_steps,
                    finetuned=p.finetuned_pairs, finetuned_tasks=p.finetuned_tasks)
    import os

    if int(os.environ.get("RANK", "0")) == 0:
        print(f"{len(runs)} runs stored ({len(p.tasks)} task(s) × {len(p.seeds)} seed(s)); "
              f"`w2s reproduce` now reads them back")
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    """Pretrain the ladder's rungs that are pretrained here — tiny decoders on each corpus, board
    networks on the self-play moves; ``--check`` retrains them from scratch and compares with the
    committed copies, ``--commit`` stores fresh ones as the committed copies."""
    import tempfile
    from pathlib import Path

    from .models import board as B
    from .models import pretrain as P
    from .models.ladder import get_ladder
    from .store import ArtifactStore, default_store

    rungs = [r for r in get_ladder(args.ladder) if r.family in ("tiny_gpt2", "board")]
    if args.rung:
        rungs = [r for r in rungs if r.name in args.rung]
    corpora = args.corpus or list(P.CORPORA)
    # (rung, what it reads, build(store, use_committed), commit(artifact), difference(a, b), weights file)
    jobs = [(r, corpus, lambda store, use, r=r, c=corpus: P.pretrained_artifact(r, c, store, use_committed=use),
             P.commit_pretrained, P.weights_difference, P.WEIGHTS_FILE)
            for corpus in corpora for r in rungs if r.family == "tiny_gpt2"]
    jobs += [(r, "self-play moves", lambda store, use, r=r: B.pretrained_board(r, store, use_committed=use),
              P.commit_pretrained, B.weights_difference, B.WEIGHTS_FILE)
             for r in rungs if r.family == "board"]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="w2s-pretrain-") as scratch:
        fresh_store = ArtifactStore(Path(scratch))
        for rung, corpus, build, commit, difference, weights in jobs:
            if not (args.check or args.commit):
                art = build(default_store(), True)
                print(f"{rung.name} on {corpus}: {art.key} final loss {art.meta.get('final_loss', float('nan')):.3f}"
                      f"{' (committed copy)' if art.meta.get('from_committed') else ''}", flush=True)
                continue
            fresh = build(fresh_store, False)
            committed = P.COMMITTED_DIR / fresh.key
            if args.commit:
                print(f"{rung.name} on {corpus}: committed to {commit(fresh)}", flush=True)
                continue
            if not (committed / weights).exists():
                print(f"{rung.name} on {corpus}: no committed copy for {fresh.key}", flush=True)
                failures += 1
                continue
            diff = difference(fresh.path, committed)
            ok = diff <= args.atol
            failures += not ok
            print(f"{rung.name} on {corpus}: rebuilt {fresh.key}, largest weight difference from the "
                  f"committed copy {diff:.3g} ({'matches' if ok else 'DIFFERS'})", flush=True)
    return 1 if failures else 0


def _params_by_notebook(path) -> dict[str, dict]:
    """Each notebook's parameters in a valid params file, with the file's preset."""
    from .parameters import read_params_file

    data = read_params_file(path)
    return {stem: {**(values or {}), "preset": data["preset"]} for stem, values in data["notebooks"].items()}


def cmd_check_params(args: argparse.Namespace) -> int:
    from .devices import device_problems
    from .hub_access import missing_from_hub, unusable_local_models
    from .parameters import check_params_file

    status = 0
    for line in device_problems():  # the W2S_DEVICE setting these parameters would run on
        print(line)
        status = 1
    for path in args.files:
        problems = check_params_file(path)
        if not problems:  # models that must be installed here, and what the hub must give that is neither here nor reachable
            values = _params_by_notebook(path)
            problems = unusable_local_models(values) + missing_from_hub(values, fetch_file=path)
        for line in problems:
            print(line)
        if problems:
            status = 1
        else:
            print(f"{path}: ok")
    return status


def cmd_fetch(args: argparse.Namespace) -> int:
    """Download every hub model and dataset a params file needs into the usual Hugging Face caches,
    on a machine with network, so that a run without network (``HF_HUB_OFFLINE=1``) finds them."""
    from .hub_access import fetch, needed_from_hub
    from .parameters import check_params_file

    problems = check_params_file(args.file)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 2
    needs = needed_from_hub(_params_by_notebook(args.file))
    if not needs:
        print(f"{args.file}: needs nothing from the hub")
        return 0
    failed = []
    for item in needs:
        _print(f"{'would fetch' if args.dry_run else 'fetching'} {item.describe()}")
        if args.dry_run:
            continue
        try:
            fetch(item, log=lambda line: _print(f"  {line}"))
        except Exception as err:  # noqa: BLE001 - reported; the other items may still come
            print(f"  could not fetch {item.kind} {item.repo}: {type(err).__name__}: {err}", file=sys.stderr)
            failed.append(item.repo)
    if failed:
        print(f"{len(failed)} of {len(needs)} not fetched: {', '.join(failed)}", file=sys.stderr)
        return 1
    if not args.dry_run:
        print(f"{len(needs)} hub model(s) and dataset(s) in the cache; `w2s check-params {args.file}` "
              "now passes without network")
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    """The registry as a table; YAML files skipped as not being cards, and cards set aside for
    errors, one line each on stderr (exit 1 when a card was set aside)."""
    import warnings

    from .data.catalog import task_table
    from .data.task_cards import card_notes, card_problems

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # said once below, not as a warning too
        table = task_table(scope=args.scope)
    for note in card_notes().values():
        print(f"note: {note}", file=sys.stderr)
    problems = card_problems()
    for err in problems.values():
        print(f"task card set aside: {err}", file=sys.stderr)
    if args.json:
        records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        print(json.dumps(records, indent=1))
    else:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_rows", 500):
            print(table.to_string(index=False))
    return 1 if problems else 0


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def cmd_cache(args: argparse.Namespace) -> int:
    from .store import default_store

    store = default_store()
    if args.action == "ls":
        rows = store.entries(args.step)
        for r in rows:
            print(f"{r['step']:<24} {r['key']:<48} {_human(r['bytes']):>8}  {r['created']}")
        print(f"{len(rows)} artifact(s) in {store.root}")
    elif args.action == "du":
        by_step: dict[str, list[int]] = {}
        for r in store.entries(args.step):
            by_step.setdefault(r["step"], []).append(r["bytes"])
        for step, sizes in sorted(by_step.items()):
            print(f"{step:<24} {len(sizes):>5} artifact(s) {_human(sum(sizes)):>10}")
        total = sum(sum(s) for s in by_step.values())
        print(f"{'total':<24} {sum(len(s) for s in by_step.values()):>5} artifact(s) {_human(total):>10}")
    elif args.action == "clean":
        if args.step is None and not args.all and not args.temporary:
            print("say what to remove: --step NAME, --temporary (leftovers of killed runs) or --all",
                  file=sys.stderr)
            return 2
        freed = store.clean(step=args.step, temporary_only=args.temporary)
        print(f"freed {_human(freed)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .manifest import w2s_notebooks

    parser = argparse.ArgumentParser(prog="w2s", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reproduce", help="run the notebooks of a preset through papermill, side by side where their inputs allow")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--preset", default=None, help="a preset name: params/NAME.yaml (smoke, micro, paper); "
                                                      "the default is micro")
    which.add_argument("--params", default=None, metavar="FILE",
                       help="a params file of your own (same format as params/micro.yaml)")
    p.add_argument("--only", default=None, help="glob or substring of notebook names, e.g. '02*'")
    p.add_argument("--force", action="store_true",
                   help="run every notebook, also those whose inputs and outputs are unchanged since their last run")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="notebooks run side by side when their inputs allow (default: W2S_JOBS, else the "
                        "params file's jobs: 2 for smoke and micro, 1 for paper)")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("grid", help="train the weak-to-strong grid of notebook 02 into the store "
                                    "(works under accelerate launch / torchrun)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--preset", default=None)
    which.add_argument("--params", default=None, metavar="FILE")
    p.add_argument("--notebook", default=w2s_notebooks()[0], choices=w2s_notebooks(),
                   help="whose grid: NLP (02), chess (03) or reward modeling (04)")
    p.set_defaults(func=cmd_grid)

    p = sub.add_parser("pretrain", help="pretrain a ladder's tiny and board rungs (uses committed copies); "
                                        "--check rebuilds and compares with them")
    p.add_argument("--ladder", default="micro")
    p.add_argument("--rung", action="append", help="only this rung (repeatable)")
    p.add_argument("--corpus", action="append", choices=("english", "chess"), help="only this corpus (repeatable)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="retrain from scratch and compare with the committed copies")
    mode.add_argument("--commit", action="store_true", help="retrain from scratch and commit the result")
    p.add_argument("--atol", type=float, default=0.0, help="largest weight difference --check accepts")
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("check-params", help="validate params files; computes nothing")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_check_params)

    p = sub.add_parser("fetch", help="download the hub models and datasets a params file needs "
                                     "(on a machine with network, for runs without)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="list what would be fetched, download nothing")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("tasks", help="list the task registry")
    p.add_argument("--json", action="store_true")
    p.add_argument("--scope", choices=("micro", "paper"), default=None,
                   help="only offline (micro) or hub (paper) tasks")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("cache", help="inspect or clean the artifact store")
    p.add_argument("action", choices=("ls", "du", "clean"))
    p.add_argument("--step", default=None, help="only artifacts of this step")
    p.add_argument("--all", action="store_true", help="with clean: remove every artifact")
    p.add_argument("--temporary", action="store_true", help="with clean: only leftovers of killed runs")
    p.set_defaults(func=cmd_cache)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `w2s tasks | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
