"""What a run needs from the Hugging Face hub, and whether this machine can have it.

On a machine without network (a cluster's compute node, say) a ``paper`` run would otherwise
retry hub requests inside its first notebook for minutes, silently. This module reads, from the
validated parameters alone, every hub model and dataset a run needs; :func:`missing_from_hub`
names, before any compute, each one that is neither cached here nor reachable, and ends each
line with the command that fetches them all on a machine with network (``w2s fetch FILE``, which
downloads with :func:`fetch`).

"Cached" follows the loaders' own rules, so the check and the run never disagree: a model is
cached when ``huggingface_hub`` finds its ``config.json`` in its cache (as
:func:`w2s_lib.models.sources.hub_config_path` does); a dataset split when ``datasets`` would
read it offline from its cache (``<HF_DATASETS_CACHE>/<owner>___<name>/<config>/<version>/<hash>/``),
or, while ``W2S_HUB_FIXTURES`` is set, when its fixture file exists (the loader then reads nothing
else). The hub counts as unreachable without a request when the loaders are told to stay offline
(``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``, ``HF_DATASETS_OFFLINE``); otherwise one short request
to ``HF_ENDPOINT`` decides, made only when something is not cached.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# Which parameter keys name what, in every notebook's schema (w2s_lib.notebook_params).
LADDER_KEYS = ("ladder", "nlp_ladder")                  # every hub rung of the ladder is loaded
TASK_KEYS = ("task", "tasks", "nlp_tasks", "concepts")  # a paper-scope task reads a hub dataset
MODEL_KEYS = ("debater",)                               # a model source, or one of NO_MODEL
NO_MODEL = ("extractive",)                              # debaters that load no model

HUB_TIMEOUT_S = 3.0  # the whole reachability request, name lookup included
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")  # models; datasets add HF_DATASETS_OFFLINE
OFFLINE_TRUE = {"1", "ON", "YES", "TRUE"}  # what huggingface_hub and datasets read as "set"
# what transformers loads from a model repo (gpt2-xl's also holds TF, Flax, Rust and ONNX copies)
MODEL_FILES = ["*.json", "*.txt", "*.model", "*.tiktoken", "*.safetensors"]


@dataclass
class HubNeed:
    """One hub model or dataset a run loads, and the parameters (``notebook.key``) that ask for it."""

    kind: Literal["model", "dataset"]
    repo: str
    config: str | None = None           # dataset: the config name the loader passes
    splits: tuple[str, ...] = ()        # dataset: the splits the loader reads
    revision: str | None = None         # dataset: the revision the loader reads
    tasks: list[str] = field(default_factory=list)
    needed_by: list[str] = field(default_factory=list)

    def describe(self) -> str:
        tasks = f"task{'s' if len(self.tasks) > 1 else ''} {', '.join(self.tasks)}; " if self.tasks else ""
        return f"{self.kind} {self.repo} ({tasks}needed by {', '.join(self.needed_by)})"


def needed_from_hub(params: dict[str, dict]) -> list[HubNeed]:
    """Every hub model, then every hub dataset, that notebooks with these parameters load.

    ``params`` maps a notebook's stem to its validated parameters. A key left out takes the
    notebook's default, which needs nothing from the hub (the defaults are the smoke preset);
    names were checked by validation, so here they are looked up, not checked.
    """
    from .data.registry import get_task, task_names
    from .models.ladder import get_ladder
    from .manifest import schema_for
    from .models.sources import source_kind

    needs: dict[tuple[str, str], HubNeed] = {}

    def need(kind: str, repo: str, where: str, **dataset) -> HubNeed:
        item = needs.setdefault((kind, repo), HubNeed(kind, repo, **dataset))
        if where not in item.needed_by:
            item.needed_by.append(where)
        return item

    sources = _hub_sources()
    for stem, values in params.items():
        for key in LADDER_KEYS:
            if values.get(key):
                for rung in get_ladder(values[key]):
                    if rung.family == "hf" and source_kind(rung.source) == "hub":
                        need("model", rung.source, f"{stem}.{key}")
        for key in MODEL_KEYS:
            source = values.get(key)
            if source and source not in NO_MODEL and source_kind(source) == "hub":
                need("model", source, f"{stem}.{key}")
        for key in TASK_KEYS:
            names = values.get(key)
            names = [names] if isinstance(names, str) else list(names or [])
            if not names and key == "tasks" and getattr(schema_for(stem), "EMPTY_TASKS_MEAN_ALL", False):
                names = task_names(scope="paper" if values.get("preset") == "paper" else "micro")
            for name in names:
                spec = get_task(name)
                hub = sources.get(spec.source) if spec.scope == "paper" else None
                if hub is None:
                    continue  # an offline task: nothing from the hub
                item = need("dataset", hub.path, f"{stem}.{key}", config=hub.name, splits=hub.splits,
                            revision=hub.revision)
                if name not in item.tasks:
                    item.tasks.append(name)
    return sorted(needs.values(), key=lambda n: n.kind != "model")  # stable: first mention first


def missing_from_hub(params: dict[str, dict], fetch_file: str | os.PathLike | None = None) -> list[str]:
    """One line per hub model or dataset these parameters need that is neither cached here nor
    reachable (empty: the run will find everything). Each line names the item and the
    parameters that need it, and ends with ``w2s fetch FILE`` (``fetch_file``, by default the
    preset's own params file). No request is made when nothing uncached is needed."""
    needs = needed_from_hub(params)
    if not needs:
        return []
    from .data.hub import FIXTURES_ENV, fixture_file

    if fetch_file is None:
        presets = {v.get("preset") for v in params.values()} - {None}
        fetch_file = f"params/{presets.pop()}.yaml" if len(presets) == 1 else "FILE"
    command = f"on a machine with network, fetch everything with: w2s fetch {fetch_file}"
    fixtures = os.environ.get(FIXTURES_ENV)
    hub_answered: list[bool] = []  # asked once per call, and only if needed

    def unreachable_because(kind: str) -> str | None:
        setting = _offline_setting(kind)
        if setting:
            return f"the hub is off ({setting})"
        if not hub_answered:
            hub_answered.append(hub_reachable(_endpoint(), HUB_TIMEOUT_S))
        return None if hub_answered[0] else f"the hub ({_endpoint()}) cannot be reached from here"

    lines = []
    for item in needs:
        if item.kind == "dataset" and fixtures:
            files = [fixture_file(fixtures, item.repo, item.config, split) for split in item.splits]
            absent = ", ".join(str(f) for f in files if not f.is_file())
            if absent:  # the loader reads only fixtures while the variable is set
                lines.append(f"{item.describe()}: no fixture file {absent} ({FIXTURES_ENV}={fixtures}); "
                             f"write it, or unset {FIXTURES_ENV} and {command}")
            continue
        cache = _model_cache() if item.kind == "model" else _datasets_cache()
        cached = _model_cached(item) if item.kind == "model" else _dataset_cached(item, cache)
        reason = None if cached else unreachable_because(item.kind)
        if reason:
            lines.append(f"{item.describe()}: not in the local cache ({cache}) and {reason}; {command}")
    return lines


def unusable_local_models(params: dict[str, dict]) -> list[str]:
    """One line per model that is not on the hub but must be here — a GGUF file or a package that
    carries one (``gguf:…``), the part packages of a split archive (``parts:…``, as a model or a
    ladder's rung) — and cannot be loaded (not installed, or the ``gguf`` reader missing), naming
    the parameter and the fix; checked before a run, like the hub's models."""
    from .models.ladder import get_ladder
    from .models.sources import ModelSourceError, check_source, source_kind

    lines = []

    def check(source: str, where: str) -> None:
        if source and source not in NO_MODEL and source_kind(source) in ("gguf", "parts"):
            try:
                check_source(source)
            except ModelSourceError as err:
                lines.append(f"{where}: {err}")

    for stem, values in params.items():
        for key in MODEL_KEYS:
            check(values.get(key), f"{stem}.{key}")
        for key in LADDER_KEYS:
            if values.get(key):
                for rung in get_ladder(values[key]):
                    if rung.family == "hf":
                        check(rung.source, f"{stem}.{key} (rung {rung.name})")
    return lines


def fetch(item: HubNeed, log=print) -> None:
    """Download one needed item into the normal caches, as the loaders will look for it: a model's
    config, tokenizer and weights (``snapshot_download``), a dataset's splits through
    ``datasets.load_dataset`` with the loader's path, config, split and revision."""
    if item.kind == "model":
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(item.repo, allow_patterns=MODEL_FILES))
        if not any(folder.glob("*.safetensors")):  # a repo with .bin weights only
            snapshot_download(item.repo, allow_patterns=[*MODEL_FILES, "*.bin"])
        log(f"model {item.repo}: {folder}")
        return
    import datasets

    for split in item.splits:
        rows = datasets.load_dataset(item.repo, item.config, split=split, revision=item.revision)
        log(f"dataset {item.repo}{f' ({item.config})' if item.config else ''} {split}: {len(rows):,} rows")


def hub_reachable(endpoint: str, timeout: float) -> bool:
    """Whether the hub answers one HEAD request within ``timeout`` seconds in all: any HTTP
    answer below 500 counts. Run in a thread, since a name lookup ignores socket timeouts."""
    import urllib.error
    import urllib.request

    answered: list[bool] = []

    def ask() -> None:
        try:
            with urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=timeout) as reply:
                answered.append(reply.status < 500)
        except urllib.error.HTTPError as err:
            answered.append(err.code < 500)
        except (OSError, ValueError):
            answered.append(False)

    asking = threading.Thread(target=ask, name="w2s-hub-reachable", daemon=True)
    asking.start()
    asking.join(timeout)
    return bool(answered and answered[0])


# ----------------------------------------------------------------------------- the loaders' rules


def _hub_sources() -> dict:
    """The hub loader's sources by the ``source`` its tasks are registered with (``hf:<path>``)."""
    from .data import hub

    return {f"hf:{s.path}": s for s in vars(hub).values() if isinstance(s, hub.HubSource)}


def _offline_setting(kind: str) -> str | None:
    """``NAME=value`` of a variable that keeps this kind's loader off the hub; ``None`` when it
    may go online. ``datasets`` also stays off when huggingface_hub does (it downloads through it)."""
    names = OFFLINE_VARIABLES + (("HF_DATASETS_OFFLINE",) if kind == "dataset" else ())
    name = next((n for n in names if os.environ.get(n, "").upper() in OFFLINE_TRUE), None)
    return f"{name}={os.environ[name]}" if name else None


def _endpoint() -> str:
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def _model_cache() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def _model_cached(item: HubNeed) -> bool:
    from .models.sources import hub_config_path

    return hub_config_path(item.repo) is not None


def _datasets_cache() -> str:
    import datasets.config

    return str(datasets.config.HF_DATASETS_CACHE)


def _dataset_cached(item: HubNeed, cache: str) -> bool:
    """Whether ``datasets.load_dataset`` finds every split offline: the latest prepared copy of
    the config in its cache (by modification time, as ``datasets`` picks it) lists each split."""
    from datasets.naming import camelcase_to_snakecase

    *owner, name = item.repo.split("/")
    root = Path(cache) / "___".join([*owner, camelcase_to_snakecase(name)])
    prepared = []
    for folder in root.glob(f"{item.config or '*'}/*/*"):
        try:
            info = json.loads((folder / "dataset_info.json").read_text())
        except (OSError, ValueError):
            continue
        if info.get("config_name") == folder.parts[-3]:
            prepared.append((folder.stat().st_mtime, info))
    if not prepared:
        return False
    latest = max(prepared, key=lambda p: p[0])[1]
    return set(item.splits) <= set(latest.get("splits") or {})
