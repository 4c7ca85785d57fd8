"""Users' own tasks: a data file (or a Python loader) described by a YAML *task card*.

A card is found on the **task path**: ``tasks/`` at the repository root, plus every folder or
card file listed in the environment variable ``W2S_TASK_PATH`` (separated by ``:``). Every
process reads the same path, so a card reaches notebooks run by papermill, ``w2s
check-params`` and ``w2s tasks`` alike, and no library code is edited::

    name: my_reviews              # how params and `w2s tasks` refer to it
    kind: binary                  # binary | pairwise | generative | debate
    domain: nlp                   # nlp | chess | reward_modeling | debate | concepts
    data: my_reviews.csv          # CSV, TSV, parquet, JSON or JSONL, relative to the card
    columns: {text: review, label: sentiment}   # our column: yours, where they differ
    labels: [negative, positive]  # your label values meaning 0 and 1 (when not already 0/1)

or ``loader: my_loader.py:load`` (a function returning the pool as a DataFrame) instead of
``data``. Rows without an ``id`` get one derived from their content, so ids stay stable
when rows are added, removed or reordered. A ``kind: debate`` card's rows need only
``question``, ``sentences``, ``answer_correct``, ``answer_distractor`` and ``gold_evidence``; the
passage and the binary view (one candidate answer per item) are derived and the items checked.

A YAML file on the path that is not a card (a params file, say: none of ``name``, ``data``,
``loader``, ``kind``) is skipped with a note; a broken card is set aside with its problem, and the
others still register: :func:`card_problems` and :func:`card_notes` say what happened to each.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import warnings
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..paths import REPO_ROOT
from .task_spec import DOMAINS, KINDS, REQUIRED_COLUMNS, TaskSpec, register_task, registered_spec

TASK_PATH_ENV = "W2S_TASK_PATH"
CARD_ORIGIN = "task card "
DEFAULT_TASK_DIR = REPO_ROOT / "tasks"
CARD_SUFFIXES = (".yaml", ".yml")
DATA_READERS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".jsonl": "jsonl", ".json": "json"}
_NAME = r"^[A-Za-z][A-Za-z0-9_\-]*$"


class TaskCardError(ValueError):
    """A task card or its data is not usable; the message names the file and what is expected."""


class TaskCard(BaseModel):
    """The schema of a task card (unknown keys are rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME)
    kind: Literal[KINDS] = "binary"  # type: ignore[valid-type]
    domain: Literal[DOMAINS] = "nlp"  # type: ignore[valid-type]
    data: str | None = None
    loader: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    labels: list[str | int | bool] | None = Field(default=None, min_length=2, max_length=2)
    label_texts: list[str] | None = Field(default=None, min_length=2, max_length=2)  # what 0 and 1 mean, in words
    source: str = ""
    license: str = "not stated (user data)"
    description: str = ""

    @model_validator(mode="after")
    def _one_way_to_load(self) -> "TaskCard":
        if (self.data is None) == (self.loader is None):
            raise ValueError("give exactly one of 'data' (a table file) or 'loader' (file.py:function)")
        ours = set(REQUIRED_COLUMNS[self.kind])
        unknown = set(self.columns) - ours
        if unknown:
            raise ValueError(f"columns: {sorted(unknown)} are not columns of a {self.kind} task; "
                             f"it has {', '.join(REQUIRED_COLUMNS[self.kind])}")
        return self


# ----------------------------------------------------------------------------- discovery

def task_path() -> list[Path]:
    """Folders and card files searched for task cards, in order."""
    entries = [DEFAULT_TASK_DIR]
    for part in os.environ.get(TASK_PATH_ENV, "").split(os.pathsep):
        if part.strip():
            entries.append(Path(part.strip()).expanduser().resolve())
    return list(dict.fromkeys(entries))


def card_files() -> list[Path]:
    files = []
    for entry in task_path():
        if entry.is_dir():
            files.extend(sorted(p for p in entry.iterdir() if p.suffix in CARD_SUFFIXES and p.is_file()))
        elif entry.is_file() and entry.suffix in CARD_SUFFIXES:
            files.append(entry)
        elif entry != DEFAULT_TASK_DIR:
            raise TaskCardError(f"{TASK_PATH_ENV}: {entry} is neither a folder nor a .yaml task card")
    return list(dict.fromkeys(files))


def read_card(path: Path) -> TaskCard:
    import yaml

    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise TaskCardError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise TaskCardError(f"{path}: a task card is a mapping with at least 'name' and 'data' (or 'loader')")
    try:
        return TaskCard(**raw)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"]) or "card"
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = f"unknown key; accepted: {', '.join(TaskCard.model_fields)}"
            lines.append(f"{path}: {loc}: {msg}")
        raise TaskCardError("\n".join(lines)) from None


CARD_KEYS = ("name", "data", "loader", "kind")  # a YAML file with none of these is not a card
_PROBLEMS: dict[str, TaskCardError] = {}  # card file -> why it was set aside (last registration)
_NOTES: dict[str, str] = {}               # YAML file -> why it is not read as a card


def card_problems() -> dict[str, TaskCardError]:
    """The cards the last registration set aside, by file, each with its error."""
    return dict(_PROBLEMS)


def card_notes() -> dict[str, str]:
    """The YAML files on the task path the last registration skipped as not being cards."""
    return dict(_NOTES)


def problem_for_task(name: str) -> TaskCardError | None:
    """The error of a set-aside card that calls itself ``name`` (read from its raw YAML), if any."""
    import yaml

    for path, err in _PROBLEMS.items():
        try:
            raw = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError):
            raw = None
        if (isinstance(raw, dict) and raw.get("name") == name) or Path(path).stem == name:
            return err
    return None


def _not_a_card(path: Path) -> str | None:
    """Why ``path`` is not a task card (a params file or other YAML on the path), else None."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return None  # broken YAML is reported as a broken card: it may well be one
    if isinstance(raw, dict) and any(k in raw for k in CARD_KEYS):
        return None
    what = f"its keys are {', '.join(map(str, list(raw)[:4]))}" if isinstance(raw, dict) and raw else "it is not a mapping"
    if isinstance(raw, dict) and "notebooks" in raw:
        what = "it looks like a params file"
    return f"{path}: not a task card ({what}; a card has {', '.join(CARD_KEYS[:3])}); skipped"


def register_task_cards() -> list[TaskSpec]:
    """Register every card on the task path (idempotent: an unchanged card is a no-op). A YAML file
    that is not a card is skipped with a note; a broken card is set aside with its error (and a
    warning) without stopping the others."""
    specs = []
    _PROBLEMS.clear()
    _NOTES.clear()
    for path in card_files():
        note = _not_a_card(path)
        if note is not None:
            _NOTES[str(path)] = note
            continue
        try:
            spec = spec_from_card(read_card(path), path)
            taken = registered_spec(spec.name)
            if taken is not None and taken.origin != spec.origin:
                raise TaskCardError(f"{path}: name: task {spec.name!r} already exists ({taken.origin}); "
                                    "choose another name")
        except TaskCardError as err:
            _PROBLEMS[str(path)] = err
            warnings.warn(f"task card set aside: {err}", stacklevel=2)
            continue
        specs.append(register_task(spec, replace=True))  # the card is the truth: edits take effect
    return specs


def spec_from_card(card: TaskCard, path: Path) -> TaskSpec:
    path = path.resolve()
    files = [path] + ([_data_file(card, path)] if card.data else [_loader_file(card, path)])
    files = [f for f in files if f is not None]
    for f in files[1:]:
        if not f.exists():
            what = "data" if card.data else "loader"
            raise TaskCardError(f"{path}: {what}: {f} does not exist (paths are relative to the card)")

    def stamp() -> tuple:
        return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())

    where = card.data or card.loader
    return TaskSpec(name=card.name, domain=card.domain, kind=card.kind,
                    source=card.source or f"user data: {where}", license=card.license,
                    load=lambda: load_card_pool(read_card(path), path), scope="micro",
                    description=card.description or f"task card {path.name}",
                    origin=f"{CARD_ORIGIN}{path}", stamp=stamp, label_texts=tuple(card.label_texts or ()))


# ----------------------------------------------------------------------------- loading

def _data_file(card: TaskCard, path: Path) -> Path:
    return (path.parent / card.data).expanduser().resolve()


def _loader_file(card: TaskCard, path: Path) -> Path | None:
    target = card.loader.rsplit(":", 1)[0]
    return (path.parent / target).resolve() if target.endswith(".py") else None


def _read_table(file: Path, card_path: Path) -> pd.DataFrame:
    kind = DATA_READERS.get(file.suffix.lower())
    if kind is None:
        raise TaskCardError(f"{card_path}: data: {file.name} is not a table file this reads; "
                            f"accepted: {', '.join(DATA_READERS)}")
    if not file.exists():
        raise TaskCardError(f"{card_path}: data: {file} does not exist (paths are relative to the card)")
    if kind in ("csv", "tsv"):
        return pd.read_csv(file, sep="," if kind == "csv" else "\t", keep_default_na=False, na_values=[""])
    if kind == "parquet":
        return pd.read_parquet(file)
    return pd.read_json(file, lines=kind == "jsonl")


def _call_loader(card: TaskCard, card_path: Path) -> pd.DataFrame:
    target, _, function = card.loader.rpartition(":")
    if not target or not function:
        raise TaskCardError(f"{card_path}: loader: write it as file.py:function or package.module:function "
                            f"(got {card.loader!r})")
    if target.endswith(".py"):
        file = (card_path.parent / target).resolve()
        if not file.exists():
            raise TaskCardError(f"{card_path}: loader: {file} does not exist (paths are relative to the card)")
        module_name = f"w2s_user_task_{card.name}_{hashlib.sha1(str(file).encode()).hexdigest()[:8]}"
        spec = importlib.util.spec_from_file_location(module_name, file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    load = getattr(module, function, None)
    if not callable(load):
        raise TaskCardError(f"{card_path}: loader: {target} has no function {function!r}")
    frame = load()
    if not isinstance(frame, pd.DataFrame):
        raise TaskCardError(f"{card_path}: loader {card.loader} returned a {type(frame).__name__}, "
                            "not a pandas DataFrame")
    return frame


def load_card_pool(card: TaskCard, card_path: Path) -> pd.DataFrame:
    """The card's table in the registry's columns: renamed, labels mapped to 0/1, ids derived."""
    frame = _call_loader(card, card_path) if card.loader else _read_table(_data_file(card, card_path), card_path)
    frame = frame.rename(columns={theirs: ours for ours, theirs in card.columns.items()})
    if card.kind == "debate":
        from .debate_cards import DebateItemsError, debate_items

        try:
            frame = debate_items(frame, card.name, card_path)
        except DebateItemsError as err:
            raise TaskCardError(str(err)) from None
    required = [c for c in REQUIRED_COLUMNS[card.kind] if c != "id"]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        hint = ", ".join(f"{c}: <your column>" for c in missing)
        raise TaskCardError(f"{card_path}: the data has no column(s) {missing} (it has {list(frame.columns)}); "
                            f"name yours under 'columns:' ({hint})")
    empty = frame[required].isna().any(axis=1)
    if empty.any():
        rows = (frame.index[empty][:5] + 2).tolist()  # +2: header line and 1-based lines in a CSV
        raise TaskCardError(f"{card_path}: {int(empty.sum())} row(s) have an empty value in {required}, "
                            f"e.g. data lines {rows}; fill or remove them")
    if "label" in frame.columns:
        frame["label"] = _labels_01(frame["label"], card, card_path)
    if "id" not in frame.columns:
        frame = _with_content_ids(frame, card, card_path)
    frame["id"] = frame["id"].astype(str)
    return frame.reset_index(drop=True)


_TRUE, _FALSE = {"1", "true", "yes"}, {"0", "false", "no"}


# YAML reads an unquoted yes/no/on/off/true/false as a boolean: `labels: [no, yes]` arrives as
# [False, True], so a boolean matches every spelling YAML would have turned into it
_YAML_SPELLINGS = {True: ("true", "yes", "on"), False: ("false", "no", "off")}


def _spellings(value) -> list[str]:
    return list(_YAML_SPELLINGS[value]) if isinstance(value, bool) else [str(value)]


def _labels_01(labels: pd.Series, card: TaskCard, card_path: Path) -> pd.Series:
    if card.labels is not None:
        mapping = {spelling: i for i, value in enumerate(card.labels) for spelling in _spellings(value)}
        as_text = labels.astype(str)
        if any(isinstance(v, bool) for v in card.labels):
            as_text = as_text.str.strip().str.lower()
        mapped = as_text.map(mapping)
        other = sorted(set(labels.astype(str)[mapped.isna()]))
        if other:
            raise TaskCardError(f"{card_path}: labels: values {other[:5]} are neither {card.labels[0]!r} (0) "
                                f"nor {card.labels[1]!r} (1)")
        return mapped.astype("int64")
    text = labels.astype(str).str.strip().str.lower()
    if text.isin(_TRUE | _FALSE).all():
        return text.isin(_TRUE).astype("int64")
    values = sorted(set(labels.astype(str)))
    raise TaskCardError(f"{card_path}: label values {values[:5]} are not 0/1; say which value means 0 and "
                        f"which 1 with 'labels: [<value for 0>, <value for 1>]'")


def _with_content_ids(frame: pd.DataFrame, card: TaskCard, card_path: Path) -> pd.DataFrame:
    """Ids from the inputs' content: identical rows are kept once; one input with two labels is an error."""
    inputs = [c for c in REQUIRED_COLUMNS[card.kind] if c not in ("id", "label")]
    content = frame[inputs].astype(str).agg("\x1f".join, axis=1)
    ids = content.map(lambda t: hashlib.sha1(f"{card.name}\x1f{t}".encode()).hexdigest()[:16])
    frame = frame.assign(id=ids)
    same = frame.duplicated(subset=["id"] + (["label"] if "label" in frame else []))
    frame = frame[~same]
    clash = frame["id"].duplicated(keep=False)
    if clash.any():
        example = " ".join(frame.loc[clash, inputs[0]].astype(str).iloc[0].split())[:80]
        raise TaskCardError(f"{card_path}: {int(clash.sum())} rows share their input but not their label, "
                            f"e.g. {example!r}; resolve them or add an 'id' column")
    return frame
