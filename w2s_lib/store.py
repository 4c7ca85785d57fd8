"""A content-addressed artifact store: expensive results are computed once and reused.

An artifact's key is a hash of everything that determines it: the producing step and
its version, the result-relevant config, the keys of the artifacts it was built from,
the split fingerprint and the seed. Folder names never enter a key, so a renamed
folder cannot serve a stale result, and a change invalidates exactly what depends on it.

Writes are atomic: a step builds into a private temporary folder, the manifest (with a
SHA-256 of every file) is written last, and the folder is renamed into place. A killed
process leaves only a temporary folder, which is never read. A damaged artifact (missing
manifest, missing file, wrong size or checksum) is moved to ``.trash/`` and rebuilt.
"""
from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .fingerprint import sha256_file as _sha256
from .locks import exclusive
from .paths import cache_dir
from .provenance import provenance

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
LOCKS = ".locks"
CHECKPOINTS = ".checkpoints"
TMP_PREFIX = ".tmp-"
_CHECKPOINT_DIR: ContextVar[Path | None] = ContextVar("w2s_checkpoint_dir", default=None)


def current_checkpoint_dir() -> Path | None:
    """Where the build running in this context may keep mid-step checkpoints (``None`` outside a build)."""
    return _CHECKPOINT_DIR.get()


class StoreError(RuntimeError):
    """The store could not keep an artifact; it holds nothing half-written."""


def _owner() -> str:
    return f"{socket.gethostname().replace('-', '_')}~{os.getpid()}"


def _parse_owner(name: str) -> tuple[str, int] | None:
    """(host, pid) of a build folder named by :func:`_owner`, or ``None`` for an old name."""
    for part in name.split("-"):
        host, sep, pid = part.partition("~")
        if sep and pid.isdigit():
            return host.replace("_", "-"), int(pid)
    return None


def _world_size() -> int:
    """How many processes a distributed launcher started (1 without one)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def _held(lock: Path) -> bool:
    """Whether a build holds this key's lock right now."""
    if not lock.exists():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def canonical_json(value: Any) -> str:
    """JSON with sorted keys; tuples, sets, paths and dataclasses in a fixed form."""

    def default(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        if isinstance(obj, (set, frozenset)):
            return sorted(obj)
        if isinstance(obj, Path):
            return str(obj)
        if hasattr(obj, "model_dump"):  # pydantic models
            return obj.model_dump()
        if hasattr(obj, "item"):  # numpy scalars
            return obj.item()
        raise TypeError(f"cannot put {type(obj).__name__} into an artifact key")

    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=default)


@dataclass(frozen=True)
class ArtifactSpec:
    """Everything that determines an artifact. Two equal specs always name the same result."""

    step: str                      # e.g. "train_weak", "weak_labels", "pretrain_lm"
    version: int                   # bump when the step's code changes its results
    config: dict = field(default_factory=dict)
    inputs: tuple[str, ...] = ()   # keys of the artifacts this one is built from
    splits: str | None = None      # Splits.fingerprint() where data splits matter
    seed: int | None = None

    @property
    def key(self) -> str:
        payload = canonical_json({"step": self.step, "version": self.version, "config": self.config,
                                  "inputs": list(self.inputs), "splits": self.splits, "seed": self.seed})
        return f"{self.step}-{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


@dataclass(frozen=True)
class Artifact:
    key: str
    path: Path
    manifest: dict

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def meta(self) -> dict:
        return self.manifest.get("meta", {})


class ArtifactStore:
    """Artifacts under ``root/<step>/<key>/``; see the module docstring."""

    def __init__(self, root: str | Path | None = None, verify: str | None = None):
        self.root = Path(root) if root is not None else cache_dir()
        self.verify = verify or os.environ.get("W2S_VERIFY", "sha256")  # "sha256" or "size"
        if self.verify not in ("sha256", "size"):
            raise ValueError(f"verify must be 'sha256' or 'size', got {self.verify!r}")
        self._verified: dict[str, float] = {}
        self.built: list[str] = []  # keys this store built in this process, in order (tests, progress)
        self.clean_stale_temporary()

    # -- locating and checking -------------------------------------------------------
    def path_for(self, key: str) -> Path:
        return self.root / key.rsplit("-", 1)[0] / key

    def _check(self, path: Path) -> dict | None:
        """The manifest when the artifact at ``path`` is intact, else ``None``."""
        try:
            manifest = json.loads((path / MANIFEST).read_text())
            files = manifest["files"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        stamp = (path / MANIFEST).stat().st_mtime
        if self._verified.get(str(path)) == stamp:
            return manifest
        for name, info in files.items():
            f = path / name
            if not f.is_file() or f.stat().st_size != info["size"]:
                return None
            if self.verify == "sha256" and _sha256(f) != info["sha256"]:
                return None
        self._verified[str(path)] = stamp
        return manifest

    def get(self, spec_or_key: ArtifactSpec | str) -> Artifact | None:
        """The stored artifact, or ``None`` when it is absent or damaged (a damaged one is moved
        to the trash and rebuilt by the next :meth:`get_or_build`, under the key's lock)."""
        key = spec_or_key if isinstance(spec_or_key, str) else spec_or_key.key
        path = self.path_for(key)
        if not path.exists():
            return None
        manifest = self._check(path)
        return None if manifest is None else Artifact(key, path, manifest)

    def _discard(self, path: Path, reason: str) -> None:
        """Move an artifact folder to the trash under a name no other process can pick."""
        trash = self.root / ".trash"
        trash.mkdir(parents=True, exist_ok=True)
        target = trash / f"{path.name}-{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(path, target)
        except FileNotFoundError:  # already moved away
            return
        log.warning("artifact %s is %s; moved to %s and will be rebuilt", path.name, reason, target)

    # -- locking --------------------------------------------------------------------
    @contextmanager
    def lock(self, key: str):
        """An exclusive lock on one key across processes (``flock``): one builds, the others wait
        and then read what it built."""
        with exclusive(self.root / LOCKS / f"{key}.lock",
                       on_wait=lambda: log.info("waiting for another process to finish building %s", key)):
            yield

    # -- building -------------------------------------------------------------------
    def get_or_build(self, spec: ArtifactSpec, build: Callable[[Path], dict | None]) -> Artifact:
        """Return the artifact for ``spec``, building it with ``build(tmp_dir)`` if needed.

        ``build`` writes its files into the folder it is given and may return a small dict
        of metadata (metrics, sizes) stored in the manifest. Two processes asking for the same
        missing key never both build it: the second waits on the key's lock and reads the first's.
        """
        if _world_size() > 1:
            return self._get_or_build_together(spec, build)
        found = self.get(spec)
        if found is not None:
            return found
        with self.lock(spec.key):
            found = self.get(spec)  # built by another process while we waited
            if found is not None:
                return found
            final = self.path_for(spec.key)
            if final.exists():
                self._discard(final, reason="damaged")
            self._build(spec, build, final)
            found = self.get(spec)
        if found is None:
            raise StoreError(f"artifact {spec.key} was written to {final} but does not read back intact")
        return found

    def _get_or_build_together(self, spec: ArtifactSpec, build: Callable[[Path], dict | None]) -> Artifact:
        """Under ``accelerate launch`` / ``torchrun`` every process runs the same build (training is
        data-parallel across them); the first process stores the result, the others drop theirs."""
        from .devices import make_accelerator

        accelerator = make_accelerator()
        accelerator.wait_for_everyone()
        found = self.get(spec)
        if found is None:
            final = self.path_for(spec.key)
            if accelerator.is_main_process:
                if final.exists():
                    self._discard(final, reason="damaged")
                self._build(spec, build, final)
            else:
                scratch = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{spec.key}-{_owner()}-", dir=self.root))
                try:
                    build(scratch)
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
            accelerator.wait_for_everyone()
            found = self.get(spec)
        if found is None:
            raise StoreError(f"artifact {spec.key} was not stored by the main process")
        return found

    def _build(self, spec: ArtifactSpec, build: Callable[[Path], dict | None], final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{spec.key}-{_owner()}-", dir=final.parent))
        checkpoints = self.root / CHECKPOINTS / spec.key
        token = _CHECKPOINT_DIR.set(checkpoints)
        try:
            start = time.perf_counter()
            try:
                meta = build(tmp) or {}
            finally:
                _CHECKPOINT_DIR.reset(token)
            wall = time.perf_counter() - start
            files = {}
            for f in sorted(p for p in tmp.rglob("*") if p.is_file()):
                rel = f.relative_to(tmp).as_posix()
                files[rel] = {"size": f.stat().st_size, "sha256": _sha256(f)}
            manifest = {"key": spec.key, "spec": json.loads(canonical_json(dataclasses.asdict(spec))),
                        "files": files, "meta": meta,
                        "provenance": provenance(wall_time_s=round(wall, 3))}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
            os.rename(tmp, final)
            self.built.append(spec.key)
            shutil.rmtree(checkpoints, ignore_errors=True)  # stored: the mid-step state is no longer needed
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
                raise StoreError(f"could not write artifact {spec.key} under {self.root}: {err.strerror}; nothing "
                                 f"was stored (free space, or move the store with W2S_CACHE) and a rerun "
                                 f"resumes from what is there") from err
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def clean_stale_temporary(self) -> int:
        """Remove build folders of processes of this host that are no longer running; returns how
        many. A folder of a live process, or of another host, is never touched."""
        removed = 0
        if not self.root.exists():
            return removed
        for tmp in self.root.glob(f"*/{TMP_PREFIX}*"):
            owner = _parse_owner(tmp.name)
            if owner is not None and owner[0] == socket.gethostname() and not _alive(owner[1]):
                shutil.rmtree(tmp, ignore_errors=True)
                removed += 1
        return removed

    # -- conveniences for common payloads -------------------------------------------------
    def frame(self, spec: ArtifactSpec, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A cached DataFrame (parquet)."""

        def build(tmp: Path) -> dict:
            df = compute()
            df.to_parquet(tmp / "frame.parquet", index=False)
            return {"rows": len(df)}

        return pd.read_parquet(self.get_or_build(spec, build).file("frame.parquet"))

    def json(self, spec: ArtifactSpec, compute: Callable[[], Any]) -> Any:
        """A cached JSON-serialisable value."""

        def build(tmp: Path) -> None:
            (tmp / "value.json").write_text(canonical_json(compute()))

        return json.loads(self.get_or_build(spec, build).file("value.json").read_text())

    # -- housekeeping (w2s cache ...) ---------------------------------------------------------
    def entries(self, step: str | None = None) -> list[dict]:
        rows = []
        if not self.root.exists():
            return rows
        for step_dir in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if step is not None and step_dir.name != step:
                continue
            for art in sorted(p for p in step_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
                size = sum(f.stat().st_size for f in art.rglob("*") if f.is_file())
                try:
                    manifest = json.loads((art / MANIFEST).read_text())
                    created = manifest["provenance"]["created"]
                except (OSError, ValueError, KeyError):
                    created = "damaged"
                rows.append({"step": step_dir.name, "key": art.name, "bytes": size, "created": created})
        return rows

    def _leftovers(self) -> list[Path]:
        """Build folders of processes that are not running here (or of unknown owner), the trash,
        and lock files nobody holds: what a killed run leaves behind."""
        out = [self.root / ".trash"]
        out += [f for f in (self.root / CHECKPOINTS).glob("*") if not _held(self.root / LOCKS / f"{f.name}.lock")]
        for tmp in self.root.glob(f"*/{TMP_PREFIX}*"):
            owner = _parse_owner(tmp.name)
            if owner is None or (owner[0] == socket.gethostname() and not _alive(owner[1])):
                out.append(tmp)
        out += [lock for lock in (self.root / LOCKS).glob("*.lock") if not _held(lock)]
        return out

    def clean(self, step: str | None = None, temporary_only: bool = False) -> int:
        """Remove artifacts (of one step, or all) or only leftovers; returns bytes freed."""
        freed = 0
        if not self.root.exists():
            return freed
        targets = self._leftovers() if temporary_only else (
            [self.root / step] if step else [p for p in self.root.iterdir()])
        for t in targets:
            if t.exists():
                freed += sum(f.stat().st_size for f in t.rglob("*") if f.is_file()) if t.is_dir() else t.stat().st_size
                shutil.rmtree(t) if t.is_dir() else t.unlink()
        return freed


_default_store: ArtifactStore | None = None


def default_store() -> ArtifactStore:
    """The store at :func:`w2s_lib.paths.cache_dir` (re-created when ``W2S_CACHE`` changes)."""
    global _default_store
    if _default_store is None or _default_store.root != cache_dir():
        _default_store = ArtifactStore()
    return _default_store
