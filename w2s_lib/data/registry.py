"""The task registry: every dataset is referred to by name, never by an if-chain.

A task is a :class:`~w2s_lib.data.task_spec.TaskSpec` whose ``load`` returns the task's whole
pool as a ``pandas.DataFrame`` (the columns each kind requires are listed there). The built-in
loaders below register their tasks when imported; then come the users' own tasks: task cards
(YAML) found on the task path (:mod:`w2s_lib.data.task_cards`), which every process reads alike
— notebooks run by papermill, ``w2s check-params`` and ``w2s tasks``.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..fingerprint import remembered_sha256
from ..store import ArtifactSpec, default_store
# the built-in loaders: each registers its tasks on import, in this listing order
from . import sentiment, wordnet_tasks, chess_tasks, hub  # noqa: F401,E401  isort: skip
from .task_cards import CARD_ORIGIN, card_problems, problem_for_task, register_task_cards
from .task_spec import (DOMAINS, KINDS, PRESET_SCOPES, REQUIRED_COLUMNS, TaskSpec, UnknownTaskError,  # noqa: F401
                        REGISTRY, register_task, registered_spec, validate_pool)


@functools.cache
def _register_task_cards() -> None:
    register_task_cards()


def refresh_tasks() -> None:
    """Read the task path again, e.g. after adding, editing or removing a card while a notebook
    kernel runs (tasks registered from code stay)."""
    for name in [n for n, s in REGISTRY.items() if s.origin.startswith(CARD_ORIGIN)]:
        del REGISTRY[name]
    _register_task_cards.cache_clear()
    _register_task_cards()


def task_names(domain: str | None = None, scope: str | None = None) -> list[str]:
    _register_task_cards()
    return [n for n, s in REGISTRY.items()
            if (domain is None or s.domain == domain) and (scope is None or s.scope == scope)]


def get_task(name: str) -> TaskSpec:
    """The registered task ``name``; a task whose card was set aside raises that card's error."""
    _register_task_cards()
    if name not in REGISTRY:
        problem = problem_for_task(name)
        if problem is not None:
            raise problem
        broken = list(card_problems())
        raise UnknownTaskError(name, list(REGISTRY), set_aside=broken)
    return REGISTRY[name]


def all_tasks() -> list[TaskSpec]:
    _register_task_cards()
    return list(REGISTRY.values())


@functools.lru_cache(maxsize=64)
def _load_pool_cached(spec: TaskSpec, stamp: object) -> pd.DataFrame:
    if spec.scope == "micro" and spec.origin.startswith("w2s_lib.data."):  # built in, offline
        return _stored_builtin_pool(spec)
    pool = spec.load()
    validate_pool(spec, pool)
    return pool


@functools.cache
def _builtin_code_and_data() -> str:
    """A hash of what every built-in offline pool is made from: the data package's code and the
    committed resources. Any change to either builds the pools again."""
    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py")) + sorted((here.parent / "resources").glob("*.parquet"))
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}:{remembered_sha256(f)}".encode())
    return h.hexdigest()[:20]


def _stored_builtin_pool(spec: TaskSpec) -> pd.DataFrame:
    """A built-in offline pool read from the artifact store: some are generated from WordNet's
    graph (seconds each), and every notebook process would otherwise build them again."""
    art_spec = ArtifactSpec("task_pool", 1, {"task": spec.name, "code_and_data": _builtin_code_and_data()})

    def build(tmp) -> dict:
        pool = spec.load()
        validate_pool(spec, pool)
        pool.to_parquet(tmp / "pool.parquet", index=False)
        return {"rows": len(pool)}

    art = default_store().get_or_build(art_spec, build)
    pool = pd.read_parquet(art.file("pool.parquet"))
    for column in pool.columns:  # parquet gives list cells back as arrays: make them lists again
        if pool[column].dtype == object and len(pool) and isinstance(pool[column].iloc[0], np.ndarray):
            pool[column] = [cell.tolist() for cell in pool[column]]
    return pool


def pool_stamp(name: str) -> object:
    """What identifies the current state of a task's pool within a process (see TaskSpec.stamp)."""
    spec = get_task(name)
    return (spec.origin, spec.stamp() if spec.stamp is not None else None, id(spec.load))


def load_pool(name: str) -> pd.DataFrame:
    """The task's whole pool (a copy: callers may modify it)."""
    spec = get_task(name)
    return _load_pool_cached(spec, pool_stamp(name)).copy()


