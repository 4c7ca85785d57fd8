"""A notebook's parameters, validated before any compute: from its own globals (papermill's
injected values, in the cell after the ``parameters`` cell) or from a params file (``w2s
reproduce``, ``w2s check-params``). Schemas come from :mod:`w2s_lib.manifest`.

Everything fails with one line per problem naming the key and what would be accepted: unknown keys
(papermill only warns about those), wrong types, out-of-range values, unknown task or model
names, and hub models or datasets that are neither cached nor reachable.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .config import PRESETS, ConfigError, Params, validate
from .hub_access import missing_from_hub
from .manifest import STEMS, schema_for

_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}


_PLAIN_TYPES = (int, float, str, bool, list, dict, tuple, type(None))


def from_globals(notebook: str, namespace: dict[str, Any]) -> Params:
    """Validate a notebook's parameters from its global namespace.

    Call it in the cell right after the ``parameters`` cell. Plain-valued names that are
    not parameters are reported as unknown keys: that is how a misspelled papermill
    parameter (``-p tsks ...``, which papermill only warns about) fails here.
    """
    schema = schema_for(notebook)
    values, unknown, problems = {}, [], []
    for name, value in namespace.items():
        if name.startswith("_") or name in _IPYTHON_NAMES:
            continue
        if name in schema.model_fields:
            value, problem = _from_papermill_text(schema, name, value, notebook)
            if problem:
                problems.append(problem)  # and not validated again: one line per problem
            else:
                values[name] = value
        elif isinstance(value, _PLAIN_TYPES):
            unknown.append(name)
    for name in unknown:
        close = difflib.get_close_matches(name, list(schema.model_fields), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"{notebook}: unknown key {name!r}{hint}; "
                        f"accepted keys: {', '.join(schema.model_fields)}")
    try:
        cfg = validate(schema, values, where=notebook)
    except ConfigError as err:
        problems.extend(err.problems)
    if not problems:  # a hub model or dataset neither cached nor reachable: stop here, not in a download
        problems = missing_from_hub({notebook: cfg.model_dump()})
    if problems:
        raise ConfigError(problems)
    return cfg


def _wants_list(schema: type[Params], name: str) -> bool:
    default = schema.model_fields[name].get_default(call_default_factory=True)
    return isinstance(default, list)


def _from_papermill_text(schema: type[Params], name: str, value: Any, notebook: str) -> tuple[Any, str | None]:
    """``papermill -p tasks '["a", "b"]'`` injects the *text* of a list: read it as JSON/YAML.

    Anything else that is text where a list is expected fails with a hint to use ``-y``.
    """
    if not (isinstance(value, str) and _wants_list(schema, name)):
        return value, None
    hint = (f"{notebook}: {name}: expected a list, got the text {value!r}; from the command line give "
            f"a JSON list, e.g. papermill ... -p {name} '[\"a\", \"b\"]', or use YAML: -y '{name}: [a, b]'")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value, hint
    return (parsed, None) if isinstance(parsed, list) else (value, hint)


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a preset file: ``{"preset": name, "notebooks": {stem: {key: value}}}``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except yaml.YAMLError as err:
        raise ConfigError([f"{path}: not valid YAML: {err}"]) from None
    return data if data is not None else {}


TOP_LEVEL_KEYS = ("preset", "description", "results", "jobs", "expected_seconds", "notebooks")


def _run_settings_problems(data: dict, where: str) -> list[str]:
    """``results``: the folder under ``results/`` its tables and figures go to (default: the preset's
    name), so a variant of a preset (more seeds, say) does not overwrite the preset's own results;
    ``jobs``: notebooks ``w2s reproduce`` runs side by side; ``expected_seconds``: each
    notebook's cold time, which orders a first run and estimates its time left."""
    problems = []
    name = data.get("results")
    if name is not None and (not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name)):
        problems.append(f"{where}: results: must be a folder name under results/ (letters, digits, '_', '-', '.'; "
                        f"got {name!r}); leave it out to use the preset's name")
    jobs = data.get("jobs", 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        problems.append(f"{where}: jobs: must be a whole number of notebooks at a time, 1 or more (got {jobs!r})")
    expected = data.get("expected_seconds") or {}
    if not isinstance(expected, dict):
        return problems + [f"{where}: expected_seconds: must map notebook names to seconds"]
    named = data.get("notebooks") or {}
    for stem, seconds in expected.items():
        if isinstance(named, dict) and stem not in named:
            problems.append(f"{where}: expected_seconds: {stem!r} is not a notebook of this file; "
                            f"accepted: {', '.join(named)}")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            problems.append(f"{where}: expected_seconds.{stem}: must be a positive number of seconds "
                            f"(got {seconds!r})")
    return problems


def check_params_data(data: Any, where: str) -> list[str]:
    """Every problem of a preset file's content, one line each (empty list: valid)."""
    if not isinstance(data, dict):
        return [f"{where}: top level must be a mapping with keys 'preset' and 'notebooks'"]
    problems = []
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.append(f"{where}: unknown top-level key {key!r}; accepted: {', '.join(TOP_LEVEL_KEYS)}")
    problems += _run_settings_problems(data, where)
    preset = data.get("preset")
    if preset not in PRESETS:
        problems.append(f"{where}: preset: must be one of {', '.join(PRESETS)} (got {preset!r})")
    notebooks = data.get("notebooks") or {}
    if not isinstance(notebooks, dict):
        return problems + [f"{where}: notebooks: must be a mapping of notebook name to parameters"]
    for stem, values in notebooks.items():
        if stem not in STEMS:
            close = difflib.get_close_matches(str(stem), list(STEMS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{where}: unknown notebook {stem!r}{hint}; "
                            f"accepted: {', '.join(STEMS)}")
            continue
        values = dict(values or {})
        if "preset" in values and values["preset"] != preset:
            problems.append(f"{where}: {stem}.preset: {values['preset']!r} differs from the file's "
                            f"preset {preset!r}")
        values.setdefault("preset", preset)
        try:
            validate(schema_for(stem), values, where=f"{where}: {stem}")
        except ConfigError as err:
            problems.extend(err.problems)
    return problems


def check_params_file(path: str | Path) -> list[str]:
    try:
        data = read_params_file(path)
    except ConfigError as err:
        return err.problems
    return check_params_data(data, where=str(path))


def notebook_parameters(path: str | Path, notebook: str) -> dict[str, Any]:
    """The parameters a preset file gives one notebook (``preset`` included), validated."""
    data = read_params_file(path)
    problems = check_params_data(data, where=str(path))
    if problems:
        raise ConfigError(problems)
    values = dict((data.get("notebooks") or {}).get(notebook) or {})
    values["preset"] = data["preset"]
    return values


def preset_values(folder: Path) -> pd.DataFrame:
    """Every value every params file in ``folder`` sets: one row per (notebook, key), one column per
    preset (what the overview notebook shows)."""
    rows = []
    for path in sorted(Path(folder).glob("*.yaml")):
        data = read_params_file(path)
        for notebook, values in (data.get("notebooks") or {}).items():
            for key, value in (values or {}).items():
                rows.append({"preset": data["preset"], "notebook": notebook, "key": key, "value": value})
    return pd.DataFrame(rows).pivot_table(index=["notebook", "key"], columns="preset", values="value",
                                          aggfunc="first")
