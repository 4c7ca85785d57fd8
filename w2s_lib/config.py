"""Typed, validated parameters: the base of every notebook's parameter schema and the error that
lists every problem at once.

Each notebook declares its parameters twice on purpose: in its ``parameters`` cell (so the
notebook reads well and papermill can inject values) and as a pydantic model in
:mod:`w2s_lib.notebook_params` (so values are checked). A test keeps the two in step. Reading
values from a notebook or a params file is :mod:`w2s_lib.parameters`.
"""
from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

PRESETS = ("smoke", "micro", "paper")


class ConfigError(ValueError):
    """A list of problems, printed one per line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class Params(BaseModel):
    """Base of every notebook's parameters: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _describe(error: dict[str, Any], schema: type[Params], where: str) -> str:
    loc = ".".join(str(p) for p in error["loc"]) or "(top level)"
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        key = str(error["loc"][0])
        accepted = list(schema.model_fields)
        close = difflib.get_close_matches(key, accepted, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{where}: unknown key {key!r}{hint}; accepted keys: {', '.join(accepted)}"
    msg = msg.removeprefix("Value error, ")
    return f"{where}: {loc}: {msg} (got {error.get('input')!r})"


def validate(schema: type[Params], values: dict[str, Any], where: str = "params") -> Params:
    """Build ``schema`` from ``values`` or raise :class:`ConfigError` listing every problem."""
    try:
        return schema(**values)
    except ValidationError as err:
        raise ConfigError([_describe(e, schema, where) for e in err.errors()]) from None
