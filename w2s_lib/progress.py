"""Progress of long steps, where the user can see it.

In a notebook a step shows a ``tqdm`` bar (``TQDM_DISABLE=1`` turns bars off, as CI does). A
notebook run by ``w2s reproduce`` runs in a kernel whose output the terminal does not see, so
every step also reports to the file named by ``W2S_PROGRESS_FILE`` (when set): one JSON line
per start, close, and at most twice a second per update. The runner reads it and shows, on a
terminal, which notebook and step is running, how far along, and the time left.
"""
from __future__ import annotations

import itertools
import json
import os
import time
from typing import Iterable, Iterator

PROGRESS_ENV = "W2S_PROGRESS_FILE"
_ids = itertools.count()
_REPORT_EVERY_S = 0.5


def _report(event: dict) -> None:
    path = os.environ.get(PROGRESS_ENV)
    if not path:
        return
    try:
        with open(path, "a") as f:
            f.write(json.dumps(event) + "\n")
    except OSError:
        pass  # progress is a courtesy: never a reason to fail


class progress:
    """A progress bar over ``iterable`` or up to ``total``: ``for x in progress(xs, desc=...)`` or
    ``with progress(total=n, desc=...) as bar: bar.update()``."""

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, desc: str = "",
                 initial: int = 0, leave: bool = False, disable: bool | None = None):
        from tqdm.auto import tqdm

        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.iterable, self.total, self.desc, self.n = iterable, total, desc, initial
        extra = {"disable": True} if disable else {}
        self._bar = tqdm(total=total, initial=initial, desc=desc, leave=leave, **extra)
        self._id = f"{os.getpid()}-{next(_ids)}"
        self._last, self._closed = 0.0, False
        _report({"id": self._id, "event": "start", "desc": desc, "n": initial, "total": total, "t": time.time()})

    def update(self, n: int = 1) -> None:
        self.n += n
        self._bar.update(n)
        now = time.monotonic()
        if now - self._last >= _REPORT_EVERY_S:
            self._last = now
            _report({"id": self._id, "event": "update", "desc": self.desc, "n": self.n, "total": self.total,
                     "t": time.time()})

    def __iter__(self) -> Iterator:
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:  # also when the loop is left early
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._bar.close()
        _report({"id": self._id, "event": "close", "desc": self.desc, "n": self.n, "total": self.total,
                 "t": time.time()})

    def __enter__(self) -> "progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
