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
               (list of sentence indices), plus the binary view: one ``candidate``
               answer, its ``text`` and ``label`` (1 when the candidate is correct)
=============  ==============================================================

Modules in :data:`TASK_MODULES` register their tasks when imported; the registry
imports them lazily, so ``import w2s_lib`` stays cheap. Then come the users' own tasks:
task cards (YAML) found on the task path (:mod:`w2s_lib.data.task_cards`), which every
process reads alike — notebooks run by papermill, ``w2s check-params`` and ``w2s tasks``.
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

DOMAINS = ("nlp", "chess", "reward_modeling", "debate", "concepts")
KINDS = ("binary", "pairwise", "generative", "debate")
PRESET_SCOPES = ("micro", "paper")  # micro = offline and real; paper = Hugging Face hub

REQUIRED_COLUMNS = {
    "binary": ("id", "text", "label"),
    "pairwise": ("id", "text_a", "text_b", "label"),
    "generative": ("id", "prompt", "target"),
    "debate": ("id", "passage", "sentences", "question", "answer_correct",
               "answer_distractor", "gold_evidence", "text", "candidate", "label"),
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
    """Everything the pipeline needs to know about one task.

    Two specs are equal when everything but the loader object is: ``origin`` names where
    the loader comes from (its module and name by default), so re-running a notebook cell
    that registers a task is not a conflict. ``stamp``, when given, returns something that
    changes whenever the underlying files do, so a pool read earlier in the same process is
    read again after an edit.
    """

    name: str
    domain: str
    kind: str
    source: str
    license: str
    load: Callable[[], pd.DataFrame] = field(repr=False, compare=False)
    scope: str = "micro"
    description: str = ""
    origin: str = ""
    stamp: Callable[[], object] | None = field(default=None, repr=False, compare=False)
    caps: tuple = ()  # (preset, SplitSizes) pairs that replace the preset's split caps for this task
    label_texts: tuple = ()  # what label 0 and label 1 mean, in words (zero-shot teachers read them)

    def __post_init__(self) -> None:
        if not self.origin:
            origin = f"{getattr(self.load, '__module__', '?')}:{getattr(self.load, '__qualname__', repr(self.load))}"
            object.__setattr__(self, "origin", origin)
        if self.domain not in DOMAINS:
            raise ValueError(f"task {self.name!r}: domain {self.domain!r} not in {DOMAINS}")
        if self.kind not in KINDS:
            raise ValueError(f"task {self.name!r}: kind {self.kind!r} not in {KINDS}")
        if self.scope not in PRESET_SCOPES:
            raise ValueError(f"task {self.name!r}: scope {self.scope!r} not in {PRESET_SCOPES}")


HOW_TO_ADD = ("to add a task of your own, put a task card (YAML) beside its data file in tasks/ "
              "or in a folder listed in W2S_TASK_PATH (README: 'Add a task')")


class UnknownTaskError(KeyError):
    """Raised for a task name that is not registered; the message lists the names that are."""

    def __init__(self, name: str, known: list[str]):
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown task {name!r}{hint}; registered tasks: {', '.join(known)}; {HOW_TO_ADD}")

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return self.args[0]


_REGISTRY: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec, replace: bool = False) -> TaskSpec:
    """Add a task. Registering an equal spec again is a no-op that takes the new loader (so a
    notebook cell can be re-run); a different spec under a taken name is an error unless
    ``replace``."""
    old = _REGISTRY.get(spec.name)
    if old is not None and old is not spec and old != spec and not replace:
        differs = [f.name for f in dataclasses.fields(TaskSpec)
                   if f.compare and getattr(old, f.name) != getattr(spec, f.name)]
        details = "; ".join(f"{f}: {getattr(old, f)!r} -> {getattr(spec, f)!r}" for f in differs)
        raise ValueError(f"task {spec.name!r} is already registered with a different spec ({details}); "
                         "choose another name, or pass replace=True")
    _REGISTRY[spec.name] = spec
    return spec


def registered_spec(name: str) -> TaskSpec | None:
    """The spec registered under ``name`` so far (no discovery: safe while registering)."""
    return _REGISTRY.get(name)


@functools.cache
def _import_task_modules() -> None:
    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:  # a module not written yet is skipped, a broken one is not
            if err.name != module:
                raise
    from .task_cards import register_task_cards

    register_task_cards()


def refresh_tasks() -> None:
    """Read the task path again, e.g. after adding, editing or removing a card while a notebook
    kernel runs (tasks registered from code stay)."""
    from .task_cards import CARD_ORIGIN

    for name in [n for n, s in _REGISTRY.items() if s.origin.startswith(CARD_ORIGIN)]:
        del _REGISTRY[name]
    _import_task_modules.cache_clear()
    _import_task_modules()


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
    import hashlib
    from pathlib import Path

    from ..fingerprint import remembered_sha256

    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py")) + sorted((here.parent / "resources").glob("*.parquet"))
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}:{remembered_sha256(f)}".encode())
    return h.hexdigest()[:20]


def _stored_builtin_pool(spec: TaskSpec) -> pd.DataFrame:
    """A built-in offline pool read from the artifact store: some are generated from WordNet's
    graph (seconds each), and every notebook process would otherwise build them again."""
    from ..store import ArtifactSpec, default_store

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
