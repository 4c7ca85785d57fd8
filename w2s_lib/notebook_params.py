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


TaskName = Annotated[str, AfterValidator(_task_or_error)]
Seeds = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]


class OverviewParams(Params):
    preset: Preset = "smoke"


class DataParams(Params):
    preset: Preset = "smoke"
    tasks: list[TaskName] = Field(default_factory=list)  # empty: every registered task of the preset
    n_examples: Annotated[int, Field(ge=1, le=20)] = 3     # examples shown per task card
    seed: Annotated[int, Field(ge=0)] = 0


NOTEBOOK_PARAMS: dict[str, type[Params]] = {
    "00_overview": OverviewParams,
    "01_data": DataParams,
}


def schema_for(notebook: str) -> type[Params]:
    try:
        return NOTEBOOK_PARAMS[notebook]
    except KeyError:
        raise KeyError(f"no parameter schema for notebook {notebook!r}; "
                       f"known: {', '.join(NOTEBOOK_PARAMS)}") from None
