"""The parameters of every notebook, as typed pydantic models.

Defaults here equal the notebook's ``parameters`` cell and the ``smoke`` preset
(tests check all three agree). Names of tasks and models are checked against their
registries, so a typo fails with the list of accepted names before any compute.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .config import Params

Preset = Literal["smoke", "micro", "paper"]


def _known_task(name: str) -> str:
    from .data.registry import get_task

    get_task(name)  # raises UnknownTaskError (a KeyError) with the registered names
    return name


def _task_or_error(name: str) -> str:
    try:
        return _known_task(name)
    except KeyError as err:
        raise ValueError(str(err)) from None


def _nlp_task(name: str) -> str:
    from .data.registry import get_task, task_names

    if get_task(name).domain != "nlp":
        raise ValueError(f"task {name!r} is not an NLP task; NLP tasks: {', '.join(task_names(domain='nlp'))}")
    return name


def _ladder_or_error(name: str) -> str:
    from .models.ladder import get_ladder

    try:
        get_ladder(name)
    except KeyError as err:
        raise ValueError(str(err)) from None
    return name


def _method_or_error(name: str) -> str:
    from .pipeline import METHODS

    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; accepted: {', '.join(METHODS)}")
    return name


TaskName = Annotated[str, AfterValidator(_task_or_error)]
NLPTaskName = Annotated[str, AfterValidator(_task_or_error), AfterValidator(_nlp_task)]
LadderName = Annotated[str, AfterValidator(_ladder_or_error)]
MethodName = Annotated[str, AfterValidator(_method_or_error)]
Pairs = Literal["all", "to_largest", "adjacent"]
Seeds = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]


class OverviewParams(Params):
    preset: Preset = "smoke"


class DataParams(Params):
    preset: Preset = "smoke"
    tasks: list[TaskName] = Field(default_factory=list)  # empty: every registered task of the preset
    n_examples: Annotated[int, Field(ge=1, le=20)] = 3     # examples shown per task card
    seed: Annotated[int, Field(ge=0)] = 0


class NLPW2SParams(Params):
    preset: Preset = "smoke"
    tasks: Annotated[list[NLPTaskName], Field(min_length=1)] = Field(default_factory=lambda: ["sentiment"])
    ladder: LadderName = "smoke"
    seeds: Seeds = Field(default_factory=lambda: [0])
    methods: Annotated[list[MethodName], Field(min_length=1)] = Field(default_factory=lambda: ["baseline"])
    pairs: Pairs = "all"


NOTEBOOK_PARAMS: dict[str, type[Params]] = {
    "00_overview": OverviewParams,
    "01_data": DataParams,
    "02_nlp_w2s": NLPW2SParams,
}


def schema_for(notebook: str) -> type[Params]:
    try:
        return NOTEBOOK_PARAMS[notebook]
    except KeyError:
        raise KeyError(f"no parameter schema for notebook {notebook!r}; "
                       f"known: {', '.join(NOTEBOOK_PARAMS)}") from None
