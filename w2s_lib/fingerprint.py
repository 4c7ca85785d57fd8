"""Content fingerprints: short hashes of what a file, a model folder or a table holds.

Artifact keys are built from these, never from names or paths: a model folder edited in place
gets a new fingerprint, a renamed or moved one keeps its own. Hashing a multi-GB folder takes
a while, so each file's SHA-256 is remembered (in memory and in ``<cache>/.fingerprints.json``)
under its path, size and modification time, and recomputed only when one of them changes.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .paths import cache_dir

MEMO_FILE = ".fingerprints.json"
_memo: dict[str, dict] = {}
_memo_loaded_from: Path | None = None
_lock = threading.Lock()


def stable_int(*parts: object, sep: str = "\x1f") -> int:
    """A 64-bit number fixed by ``parts`` (joined by ``sep``, SHA-1): the project's seedless,
    machine-independent source of choices. Each caller names itself in the first part, so two
    callers never share a coin."""
    digest = hashlib.sha1(sep.join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def stable_unit(*parts: object, sep: str = "\x1f") -> float:
    """A number in [0, 1) fixed by ``parts``: :func:`stable_int` scaled."""
    return stable_int(*parts, sep=sep) / 2**64


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (read in 1 MB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _memo_path() -> Path:
    return cache_dir() / MEMO_FILE


def _load_memo() -> None:
    global _memo_loaded_from
    path = _memo_path()
    if _memo_loaded_from == path:
        return
    _memo.clear()
    try:
        _memo.update(json.loads(path.read_text()))
    except (OSError, ValueError):
        pass
    _memo_loaded_from = path


def _save_memo() -> None:
    path = _memo_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{MEMO_FILE}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(_memo, sort_keys=True))
        os.replace(tmp, path)
    except OSError:  # a read-only cache only costs a rehash next time
        pass


def remembered_sha256(path: str | Path) -> str:
    """:func:`sha256_file`, remembered while the file's size and modification time stay the same."""
    path = Path(path).resolve()
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    with _lock:
        _load_memo()
        known = _memo.get(str(path))
        if known and {k: known.get(k) for k in stamp} == stamp:
            return known["sha256"]
    digest = sha256_file(path)
    with _lock:
        _memo[str(path)] = {**stamp, "sha256": digest}
        _save_memo()
    return digest


def _model_files(folder: Path) -> list[Path]:
    """Every file that can change what loads from ``folder``: all but hidden files and prose."""
    files = []
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder)
        if not f.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if f.suffix.lower() == ".md":
            continue
        files.append(f)
    return files


def folder_fingerprint(folder: str | Path) -> str:
    """One hash over the relative names and contents of a model folder's files."""
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    h = hashlib.sha256()
    for f in _model_files(folder):
        h.update(f.relative_to(folder).as_posix().encode())
        h.update(b"\x00")
        h.update(remembered_sha256(f).encode())
    return h.hexdigest()[:20]


def hub_revision(repo_id: str) -> str | None:
    """The commit of a Hugging Face hub model: the cached snapshot's, else the hub's when online.

    ``None`` when neither is known (offline and not cached); loading will then fail with a
    clear message before any compute.
    """
    from huggingface_hub import constants, try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, "config.json")
    if isinstance(cached, str):
        return Path(cached).parent.name  # .../snapshots/<commit>/config.json
    if constants.HF_HUB_OFFLINE:
        return None
    try:
        from huggingface_hub import HfApi

        return HfApi().model_info(repo_id).sha
    except Exception:  # noqa: BLE001 - unknown revision is reported by the availability check
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def frame_fingerprint(frame, columns: Iterable[str]) -> str:
    """Hash of the given columns of a DataFrame, row order included (lists and arrays allowed)."""
    h = hashlib.sha256()
    for column in columns:
        h.update(column.encode() + b"\x1e")
        h.update(json.dumps(frame[column].tolist(), default=_plain, separators=(",", ":")).encode())
    return h.hexdigest()[:16]
