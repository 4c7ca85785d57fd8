"""The weak-to-strong grid: every (task, seed, weak rung < strong rung, method) of a ladder, one
tidy row each, every model read from (or added to) the artifact store. Weak supervisors and
ceilings are trained once per (task, seed, rung) and shared by every student and method."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

import pandas as pd

from .data.registry import get_task
from .methods import METHODS, get_method, has_human_labels, human_supervisor, run_method
from .models.ladder import Rung, check_available, get_ladder
from .pipeline import evaluate_run, strong_ceiling, task_data, w2s_student, weak_supervisor
from .progress import progress
from .store import ArtifactStore, default_store


def rung_pairs(rungs: Sequence[Rung], pairs: str) -> list[tuple[Rung, Rung]]:
    """``all``: every weak < strong pair; ``to_largest``: every rung supervising the largest."""
    if pairs == "all":
        return [(w, s) for i, w in enumerate(rungs) for s in rungs[i + 1:]]
    if pairs == "to_largest":
        return [(w, rungs[-1]) for w in rungs[:-1]]
    if pairs == "adjacent":
        return list(zip(rungs[:-1], rungs[1:]))
    raise ValueError(f"unknown pairs {pairs!r}; accepted: all, to_largest, adjacent")


# how each training mode is named in tables: micro's probes, micro's finetuned regime (the last
# block on cached inputs), and the paper preset's finetuning of every layer
REGIMES = {"probe": "probe", "top": "finetuned", "full": "finetuned (all layers)",
           "last_k": "finetuned (last k layers)"}
FINETUNED_PAIRS = ("none", "largest", "all", "to_largest", "adjacent")


def regime_of(rung: Rung) -> str:
    return REGIMES[rung.train_mode]


def finetuned_pairs(rungs: Sequence[Rung], spec: str) -> list[tuple[Rung, Rung]]:
    """The pairs whose strong rung also trains in the finetuned regime: ``none``; ``largest`` (the
    two largest rungs); a :func:`rung_pairs` name; or explicit ``weak>strong`` pairs, comma-separated."""
    if spec == "none":
        return []
    if spec == "largest":
        return [(rungs[-2], rungs[-1])]
    if spec in ("all", "to_largest", "adjacent"):
        return rung_pairs(rungs, spec)
    by_name = {r.name: r for r in rungs}
    pairs = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        weak, _, strong = part.partition(">")
        weak, strong = weak.strip(), strong.strip()
        if weak not in by_name or strong not in by_name:
            raise ValueError(f"finetuned_pairs: {part!r} names a rung outside the ladder ({', '.join(by_name)}); "
                             f"give 'weak>strong' pairs or one of {', '.join(FINETUNED_PAIRS)}")
        pairs.append((by_name[weak], by_name[strong]))
    return pairs


def run_grid(tasks: Iterable[str], ladder: str | Sequence[Rung], seeds: Iterable[int], preset: str,
             methods: Iterable[str] = ("baseline",), pairs: str = "all", select: str = "last",
             store: ArtifactStore | None = None, lm_steps: int | None = None,
             finetuned: str = "none", finetuned_tasks: Sequence[str] = ()) -> pd.DataFrame:
    """One tidy row per (task, method, weak, strong, regime, seed); every model comes from the store.
    ``ladder``: a ladder's name or its rungs (e.g. with other probe settings, when choosing on dev).
    ``lm_steps``: the LM finetuning budget of the ``generative`` method (its default otherwise).
    ``finetuned``: the pairs (:func:`finetuned_pairs`) whose strong rung also trains in the finetuned
    regime — its last block on cached inputs — as student (loss methods) and ceiling, under the
    same weak supervisor as its probe; ``finetuned_tasks``: only these tasks (empty: every task)."""
    store = store or default_store()
    rungs = get_ladder(ladder) if isinstance(ladder, str) else tuple(ladder)
    check_available(rungs)  # e.g. a hub ladder offline: fail now, not after the first model trained
    size = {r.name: r.non_embedding_params() for r in rungs}
    jobs = [(t, s) for t in tasks for s in seeds]
    rows = []
    for task, seed in progress(jobs, desc="tasks x seeds", leave=True):
        data = task_data(task, preset, seed)
        grid = rung_pairs(rungs, pairs)
        # only the rungs the chosen pairs need: each weak supervisor and ceiling once
        weak = {w.name: weak_supervisor(w, data, seed, store) for w in {w.name: w for w, _ in grid}.values()}
        ceiling = {s.name: strong_ceiling(s, data, seed, store) for s in {s.name: s for _, s in grid}.values()}
        for method in methods:
            m = get_method(method)
            for w, s in grid:
                common = {"domain": get_task(task).domain, "task": task, "method": method,
                          "weak_model": w.name, "strong_model": s.name, "regime": regime_of(s),
                          "weak_size": size[w.name], "strong_size": size[s.name], "seed": seed}
                if m.kind == "loss":
                    student = w2s_student(s, data, seed, weak[w.name], m, select, store)
                    rows.append({**common, **evaluate_run(data, weak[w.name], student, ceiling[s.name])})
                    continue
                result = run_method(m, rungs, w, s, data, seed, weak[w.name], ceiling[s.name],
                                                select=select, store=store, lm_steps=lm_steps)
                if result is not None:  # e.g. bootstrapping a pair with no rung between
                    rows.append({**common, **result})
        for w, s in finetuned_pairs(rungs, finetuned) if not finetuned_tasks or task in finetuned_tasks else ():
            if s.family == "tiny_gpt2" or s.train_mode != "probe":
                continue  # a decoder has no encoder.layer; a finetuned ladder is in that regime already
            top = replace(s, train_mode="top")
            supervisor = weak.get(w.name) or weak_supervisor(w, data, seed, store)
            top_ceiling = strong_ceiling(top, data, seed, store)
            for method in (m for m in methods if get_method(m).kind == "loss"):
                student = w2s_student(top, data, seed, supervisor, get_method(method), select, store)
                rows.append({"domain": get_task(task).domain, "task": task, "method": method, "weak_model": w.name,
                             "strong_model": s.name, "regime": regime_of(top), "weak_size": size[w.name],
                             "strong_size": size[s.name], "seed": seed,
                             **evaluate_run(data, supervisor, student, top_ceiling)})
    return pd.DataFrame(rows)


HUMAN_RATER = "human (1 rater)"


def human_supervised_runs(tasks: Sequence[str], ladder: str, seeds: Sequence[int], preset: str,
                          methods: Sequence[str] = ("baseline",), select: str = "last", store=None):
    """Students of every rung supervised by a single human rater instead of a weak model (tasks
    with human weak labels only), one row per (task, method, strong rung, seed) in ``run_grid``'s
    columns; the weak model is ``human (1 rater)`` with no size."""
    rungs = get_ladder(ladder)
    rows = []
    for task in tasks:
        for seed in seeds:
            data = task_data(task, preset, seed)
            if not has_human_labels(data):
                continue
            human = human_supervisor(data, store)
            for rung in rungs:
                ceiling = strong_ceiling(rung, data, seed, store)
                for name in methods:
                    method = METHODS[name]
                    if method.kind != "loss":
                        continue
                    student = w2s_student(rung, data, seed, human, method, select, store)
                    rows.append({"domain": get_task(task).domain, "task": task, "method": name,
                                 "weak_model": HUMAN_RATER, "strong_model": rung.name, "regime": regime_of(rung),
                                 "weak_size": float("nan"),
                                 "strong_size": rung.non_embedding_params(), "seed": seed,
                                 **evaluate_run(data, human, student, ceiling)})
    return pd.DataFrame(rows)
