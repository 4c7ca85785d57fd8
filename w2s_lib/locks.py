"""One exclusive lock on a file across processes (``flock``), re-entrant within a thread.

The store locks each artifact key with it (one process builds, the others wait and read), and
notebooks running side by side update the shared tables and figures under one lock per preset.
"""
from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

_held: dict[tuple[str, int], int] = {}   # (lock file, thread) -> depth
_guard = threading.Lock()


@contextmanager
def exclusive(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold ``path``'s lock; ``on_wait`` is called once if another process holds it first.
    Re-entering in the same thread does not wait on itself (``flock`` locks per open file)."""
    name = (str(path), threading.get_ident())
    with _guard:
        depth = _held.get(name, 0)
        _held[name] = depth + 1
    try:
        if depth:
            yield
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        with _guard:
            _held[name] -= 1
            if not _held[name]:
                del _held[name]
