"""The task registry: every dataset is referred to by name, never by an if-chain.

A task is a :class:`TaskSpec` whose ``load`` returns the task's whole pool as a
``pandas.DataFrame``. The columns a pool must have depend on its ``kind``:

=============  ==============================================================
kind           required columns (extra columns are kept and passed along)
=============  ==============================================================
``binary``     ``id`` (str, unique), ``text`` (str), ``label`` (int 0/1)
``pairwise``   ``id``, ``text_a``, ``text_b``, ``label`` (1 when ``text_a`` is preferred)
``generative`` ``id``, ``prompt``, ``target`` (str)
``debate``     ``id``, ``passage``, ``sentences`` (list of str), ``question``,
               ``answer_correct``, ``answer_distractor``, ``gold_evidence``
               (list of sentence indices), plus the binary view ``text``, ``label``
=============  ==============================================================

Modules in :data:`TASK_MODULES` register their tasks when imported; the registry
imports them lazily, so ``import w2s_lib`` stays cheap.
"""
from __future__ import annotations

import difflib
import functools
import importlib
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

DOMAINS = ("nlp", "chess", "reward_modeling", "debate", "concepts")
KINDS = ("binary", "pairwise", "generative", "debate")
PRESET_SCOPES = ("micro", "paper")  # micro = offline and real; paper = Hugging Face hub

REQUIRED_COLUMNS = {
    "binary": ("id", "text", "label"),
    "pairwise": ("id", "text_a", "text_b", "label"),
    "generative": ("id", "prompt", "target"),
    "debate": ("id", "passage", "sentences", "question", "answer_correct",
               "answer_distractor", "gold_evidence", "text", "label"),
}

# Modules that register tasks on import, in listing order.
TASK_MODULES = (
    "w2s_lib.data.sentiment",
    "w2s_lib.data.wordnet_tasks",
    "w2s_lib.data.concepts",
    "w2s_lib.data.debate_items",
    "w2s_lib.data.chess_tasks",
    "w2s_lib.data.reward_pairs",
    "w2s_lib.data.hub",
)


@dataclass(frozen=True)
class TaskSpec:
    """Everything the pipeline needs to know about one task."""

    name: str
    domain: str
    kind: str
    source: str
    license: str
    load: Callable[[], pd.DataFrame] = field(repr=False, compare=False)
    scope: str = "micro"
    description: str = ""

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"task {self.name!r}: domain {self.domain!r} not in {DOMAINS}")
        if self.kind not in KINDS:
            raise ValueError(f"task {self.name!r}: kind {self.kind!r} not in {KINDS}")
        if self.scope not in PRESET_SCOPES:
            raise ValueError(f"task {self.name!r}: scope {self.scope!r} not in {PRESET_SCOPES}")


class UnknownTaskError(KeyError):
    """Raised for a task name that is not registered; the message lists the names that are."""

    def __init__(self, name: str, known: list[str]):
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown task {name!r}{hint}; registered tasks: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return self.args[0]


_REGISTRY: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> TaskSpec:
    """Add a task. Registering the same name twice is a programming error."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"task {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


@functools.cache
def _import_task_modules() -> None:
    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:  # a module not written yet is skipped, a broken one is not
            if err.name != module:
                raise


def task_names(domain: str | None = None, scope: str | None = None) -> list[str]:
    _import_task_modules()
    return [n for n, s in _REGISTRY.items()
            if (domain is None or s.domain == domain) and (scope is None or s.scope == scope)]


def get_task(name: str) -> TaskSpec:
    _import_task_modules()
    if name not in _REGISTRY:
        raise UnknownTaskError(name, list(_REGISTRY))
    return _REGISTRY[name]


def all_tasks() -> list[TaskSpec]:
    _import_task_modules()
    return list(_REGISTRY.values())


@functools.cache
def _load_pool_cached(name: str) -> pd.DataFrame:
    spec = get_task(name)
    pool = spec.load()
    validate_pool(spec, pool)
    return pool


def load_pool(name: str) -> pd.DataFrame:
    """The task's whole pool (a copy: callers may modify it)."""
    return _load_pool_cached(name).copy()


def validate_pool(spec: TaskSpec, pool: pd.DataFrame) -> None:
    """Fail loudly when a loader returns a pool that breaks the kind's contract."""
    missing = [c for c in REQUIRED_COLUMNS[spec.kind] if c not in pool.columns]
    if missing:
        raise ValueError(f"task {spec.name!r} ({spec.kind}) lacks columns {missing}")
    if not pool["id"].is_unique:
        dups = pool["id"][pool["id"].duplicated()].head(3).tolist()
        raise ValueError(f"task {spec.name!r}: ids are not unique, e.g. {dups}")
    if "label" in pool.columns and not set(pool["label"].unique()) <= {0, 1}:
        raise ValueError(f"task {spec.name!r}: labels must be 0/1")
