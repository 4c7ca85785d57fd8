"""Burns-style splits: A (weak supervisor's ground truth), B (transfer), val, test.

* The **test set** is fixed for a task: an example belongs to the test pool when a salted
  hash of its id falls below :data:`TEST_POOL_FRACTION`, and a preset's test set is the
  ``n_test`` pool members with the smallest hashes. It does not depend on the seed, the
  model or its tokenizer, so every model of every run is scored on the same items, and
  the pretraining corpus can exclude the whole test pool up front.
* A, B, val and Q (unlabelled instances for facilitation) are drawn from the rest **after** a
  seeded shuffle (shuffle before select), so they are disjoint by construction;
  :meth:`Splits.assert_disjoint` checks it anyway.
* The **dev split** is fixed for a task too: the ``n_dev`` non-test examples with the largest
  working-pool hashes, outside the working pool, so adding it moved no example of A, B, val or Q.
  Settings are chosen by scoring on dev (:func:`scored_on_dev`: every split is drawn as usual and
  the held-out split is dev instead of test); the test set is read only to report.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from ..fingerprint import frame_fingerprint
from .registry import get_task, load_pool, pool_stamp
from .split_rules import (HELD_OUT_SPLITS, PRESET_CAPS, SPLIT_NAMES, TEST_POOL_FRACTION, SplitSizes,  # noqa: F401
                          id_hash01, test_pool_mask)

_HELD_OUT: contextvars.ContextVar[str] = contextvars.ContextVar("w2s_held_out", default="test")


@contextlib.contextmanager
def scored_on_dev() -> Iterator[None]:
    """Inside this block every task's held-out split is its dev split: models train exactly as they
    would (same A, B, val, Q) and are scored on dev, under artifact keys of their own. This is how
    settings are chosen without reading a test label."""
    token = _HELD_OUT.set("dev")
    try:
        yield
    finally:
        _HELD_OUT.reset(token)


def held_out_split() -> str:
    """``test`` (to report) or ``dev`` (inside :func:`scored_on_dev`, to choose)."""
    return _HELD_OUT.get()


@dataclass
class Splits:
    task: str
    seed: int
    A: pd.DataFrame
    B: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    Q: pd.DataFrame = field(default_factory=pd.DataFrame)
    dev: pd.DataFrame = field(default_factory=pd.DataFrame)
    held_out: str = "test"  # what ``test`` holds: the test set, or the dev set when choosing
    _fingerprints: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def ids(self) -> dict[str, list[str]]:
        return {name: self[name]["id"].tolist() for name in SPLIT_NAMES}

    def fingerprint(self, labels: Iterable[str] = SPLIT_NAMES) -> str:
        """Hash of what the splits hold: part of every artifact key built on them.

        It covers the ids and every input column of every split, and the ``label`` column
        only of the splits named in ``labels``: a weak supervisor depends on A's labels
        but not on B's, so editing a label of B retrains the ceiling and leaves it alone.
        """
        labels = tuple(sorted(set(labels)))
        unknown = set(labels) - set(SPLIT_NAMES)
        if unknown:
            raise ValueError(f"unknown split(s) {sorted(unknown)}; accepted: {', '.join(SPLIT_NAMES)}")
        if labels not in self._fingerprints:
            h = hashlib.sha256(self.task.encode())
            for name in SPLIT_NAMES:
                frame = self[name]
                columns = sorted(c for c in frame.columns if c != "label" or name in labels)
                h.update(f"\x1d{name}:{frame_fingerprint(frame, columns)}".encode())
            self._fingerprints[labels] = h.hexdigest()[:16]
        return self._fingerprints[labels]

    def assert_disjoint(self) -> None:
        seen: dict[str, str] = {}
        for name in (*SPLIT_NAMES, "dev"):
            for i in self[name].get("id", ()):
                if i in seen:
                    raise AssertionError(f"{self.task}: id {i!r} is in both {seen[i]} and {name}")
                seen[i] = name

    def sizes(self) -> dict[str, int]:
        return {name: len(self[name]) for name in (*SPLIT_NAMES, "dev")}

    def scored_on_dev(self) -> "Splits":
        """The same splits with dev in the held-out place: what choosing a setting may read."""
        if self.held_out == "dev":
            return self
        if not len(self.dev):
            raise ValueError(f"task {self.task!r} has no dev split at this preset (its pool is used up by the "
                             "working pool and the test set); choose settings on a task that has one")
        return replace(self, test=self.dev, dev=self.dev.iloc[:0], held_out="dev")


def _take(frame: pd.DataFrame, n: int, balance: bool, what: str, task: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First ``n`` rows of an already shuffled frame (50/50 by label when ``balance``)."""
    if not balance or "label" not in frame.columns:
        if len(frame) < n:
            raise ValueError(f"task {task!r}: split {what} needs {n} examples, only {len(frame)} left")
        return frame.iloc[:n], frame.iloc[n:]
    per_class = n // 2
    picked = []
    for label in (0, 1):
        rows = frame.index[frame["label"] == label][: per_class + (n % 2 if label == 1 else 0)]
        if len(rows) < per_class:
            raise ValueError(f"task {task!r}: split {what} needs {per_class} of label {label}, "
                             f"only {len(rows)} left")
        picked.extend(rows)
    chosen = frame.loc[sorted(picked, key=frame.index.get_loc)]
    return chosen, frame.drop(index=picked)


def _held_out_and_working_pool(task: str, sizes: SplitSizes, balance: bool
                               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The fixed test set, the fixed dev set and the seed-independent pool that A, B, val and Q
    are drawn from. Dev takes the non-test examples with the largest working-pool hashes, the
    working pool the smallest: disjoint whenever both fit, as the preset's sizes ensure."""
    get_task(task)  # unknown names fail here with the list of registered tasks
    pool = load_pool(task).reset_index(drop=True)
    in_test_pool = test_pool_mask(task, pool["id"])

    test_pool = pool[in_test_pool].copy()
    test_pool["_u"] = [id_hash01(task, i) for i in test_pool["id"]]
    test_pool = test_pool.sort_values("_u", kind="stable").drop(columns="_u")
    test, _ = _take(test_pool, sizes.n_test, balance, "test", task)

    rest = pool[~in_test_pool]
    work_hash = np.array([id_hash01(task, f"work:{i}") for i in rest["id"]])
    dev, _ = _take(rest.iloc[np.argsort(-work_hash, kind="stable")], sizes.n_dev, balance, "dev", task)
    keep = ~rest.index.isin(dev.index)
    rest, work_hash = rest[keep], work_hash[keep]
    if sizes.working_pool is not None and sizes.working_pool < len(rest):
        order = np.argsort(work_hash, kind="stable")
        rest = rest.iloc[np.sort(order[: sizes.working_pool])]
    return test, dev, rest


def universe_parts(task: str, sizes: SplitSizes, balance: bool = False) -> tuple[pd.DataFrame, ...]:
    """The examples any seed's splits can contain, in parts whose features are cached apart: the
    working pool with the test set, and inside :func:`scored_on_dev` the dev set as well (so
    choosing on dev reuses every feature already computed)."""
    test, dev, rest = _held_out_and_working_pool(task, sizes, balance)
    base = pd.concat([rest, test], ignore_index=True)
    return (base, dev.reset_index(drop=True)) if held_out_split() == "dev" else (base,)


def working_universe(task: str, sizes: SplitSizes, balance: bool = False) -> pd.DataFrame:
    """Every example any seed's splits can contain, as one frame (:func:`universe_parts`).

    Frozen-model features are computed for this frame once and shared by all seeds.
    """
    return pd.concat(universe_parts(task, sizes, balance), ignore_index=True)


def make_splits(task: str, seed: int, sizes: SplitSizes, balance: bool = False) -> Splits:
    """Deterministic splits of a task for a seed. ``balance`` makes every split 50/50 by label.

    ``sizes.working_pool`` bounds where A, B and val may come from: the non-test examples with
    the smallest (seed-independent) hashes. Seeds then resample A/B/val inside one fixed pool,
    so features of frozen models are computed once for all seeds. Inside :func:`scored_on_dev`
    the held-out split (``test``) is the dev split.
    """
    test, dev, rest = _held_out_and_working_pool(task, sizes, balance)
    rest = rest.iloc[np.random.default_rng(seed).permutation(len(rest))]
    A, rest = _take(rest, sizes.n_a, balance, "A", task)
    B, rest = _take(rest, sizes.n_b, balance, "B", task)
    val, rest = _take(rest, sizes.n_val, balance, "val", task)
    Q, _ = _take(rest, sizes.n_q, balance, "Q", task)

    splits = Splits(task, seed, *(f.reset_index(drop=True) for f in (A, B, val, test, Q, dev)))
    splits.assert_disjoint()
    return splits.scored_on_dev() if held_out_split() == "dev" else splits


@functools.lru_cache(maxsize=64)
def _test_pool_count(task: str, stamp: object) -> int:
    """How many of the pool's examples the hash assigns to the test pool (``stamp``: the pool's state)."""
    return int(test_pool_mask(task, load_pool(task)["id"]).sum())


def sizes_for_preset(task: str, preset: str, pool_size: int | None = None) -> SplitSizes:
    """The preset's caps (or the task's own caps for that preset), scaled down proportionally
    when the task's pool is smaller."""
    if preset not in PRESET_CAPS:
        raise ValueError(f"unknown preset {preset!r}; accepted: {', '.join(PRESET_CAPS)}")
    caps = dict(get_task(task).caps).get(preset, PRESET_CAPS[preset])
    n = len(load_pool(task)) if pool_size is None else pool_size
    test_avail = int(n * TEST_POOL_FRACTION * 0.95)  # the hash split is only roughly 20 %
    train_avail = int(n * (1 - TEST_POOL_FRACTION) * 0.95)
    if pool_size is None:  # a small pool's hash split can fall below the estimate: never ask for more
        in_test = _test_pool_count(task, pool_stamp(task))
        test_avail, train_avail = min(test_avail, in_test), min(train_avail, n - in_test)
    want = caps.n_a + caps.n_b + caps.n_val + caps.n_q + (caps.n_dev if caps.working_pool is None else 0)
    scale = min(1.0, train_avail / want) if want else 1.0
    if caps.working_pool is None:  # dev comes out of the examples the splits share
        work, n_dev = None, int(caps.n_dev * scale)
    else:  # dev lies beyond the working pool: what is left of the non-test examples, up to n_dev
        work = min(caps.working_pool, train_avail)
        non_test = n - in_test if pool_size is None else train_avail
        n_dev = max(0, min(caps.n_dev, non_test - work))
    return SplitSizes(n_a=int(caps.n_a * scale), n_b=int(caps.n_b * scale), n_val=int(caps.n_val * scale),
                      n_test=min(caps.n_test, test_avail), n_q=int(caps.n_q * scale), working_pool=work,
                      n_dev=n_dev)
