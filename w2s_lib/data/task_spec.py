"""What a task is — its :class:`TaskSpec` and the contract its pool keeps — and the table of
registered tasks. The loaders register here; :mod:`w2s_lib.data.registry` looks tasks up.

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
"""
from __future__ import annotations

import dataclasses
import difflib
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
               "answer_distractor", "gold_evidence", "text", "candidate", "label"),
}

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
    # True: the shared English pretraining corpus does not avoid this task's test pool (so adding the
    # task leaves the committed tiny rungs valid); tiny rungs used on it read a corpus of their own
    # that does (pipeline.corpus_for: "english+<task>", pretrained when first needed)
    separate_corpus: bool = False

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

    def __init__(self, name: str, known: list[str], set_aside: list[str] = ()):
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        broken = (f"; task card(s) set aside for errors (`w2s tasks` shows why): {', '.join(set_aside)}"
                  if set_aside else "")
        super().__init__(f"unknown task {name!r}{hint}; registered tasks: {', '.join(known)}; {HOW_TO_ADD}{broken}")

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return self.args[0]


REGISTRY: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec, replace: bool = False) -> TaskSpec:
    """Add a task. Registering an equal spec again is a no-op that takes the new loader (so a
    notebook cell can be re-run); a different spec under a taken name is an error unless
    ``replace``."""
    old = REGISTRY.get(spec.name)
    if old is not None and old is not spec and old != spec and not replace:
        differs = [f.name for f in dataclasses.fields(TaskSpec)
                   if f.compare and getattr(old, f.name) != getattr(spec, f.name)]
        details = "; ".join(f"{f}: {getattr(old, f)!r} -> {getattr(spec, f)!r}" for f in differs)
        raise ValueError(f"task {spec.name!r} is already registered with a different spec ({details}); "
                         "choose another name, or pass replace=True")
    REGISTRY[spec.name] = spec
    return spec


def registered_spec(name: str) -> TaskSpec | None:
    """The spec registered under ``name`` so far (no discovery: safe while registering)."""
    return REGISTRY.get(name)


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
