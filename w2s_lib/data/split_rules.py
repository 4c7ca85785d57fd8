"""The rules every task obeys before any split is drawn: which examples form its fixed test
pool (a salted hash of the id, so loaders can exclude the test pool up front), and the sizes a
preset gives each split (:mod:`w2s_lib.data.splits` draws them), the dev split included: every
setting the package chooses is chosen on dev, and test is read only to report."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..fingerprint import stable_unit

TEST_POOL_FRACTION = 0.2
SPLIT_NAMES = ("A", "B", "val", "Q", "test")  # Q: unlabelled instances for facilitation (Φ)
HELD_OUT_SPLITS = ("test", "dev")  # where a model is scored: test to report, dev to choose


def id_hash01(task: str, example_id: str) -> float:
    """A stable number in [0, 1) for an example: the same on every machine and run."""
    return stable_unit("w2s-test-pool", task, example_id, sep=":")


def test_pool_mask(task: str, ids: pd.Series) -> np.ndarray:
    return np.array([id_hash01(task, i) < TEST_POOL_FRACTION for i in ids])


@dataclass(frozen=True)
class SplitSizes:
    n_a: int
    n_b: int
    n_val: int
    n_test: int
    n_q: int = 0                     # unlabelled task instances for facilitation Φ (no model sees their labels)
    working_pool: int | None = None  # see make_splits
    n_dev: int = 0                   # the dev split, for choosing settings (never trained on, never reported)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if name == "working_pool" and value is None:
                continue
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"split size {name} must be a non-negative int, got {value!r}")


# Split sizes per preset: caps that shrink to what a task's pool can give.
PRESET_CAPS: dict[str, SplitSizes] = {
    "smoke": SplitSizes(n_a=200, n_b=200, n_val=100, n_test=300, n_q=100, working_pool=600, n_dev=200),
    "micro": SplitSizes(n_a=2000, n_b=2000, n_val=400, n_test=1000, n_q=600, working_pool=5000, n_dev=1000),
    "paper": SplitSizes(n_a=10_000, n_b=10_000, n_val=1000, n_test=5000, n_q=5000,  # Burns: 20k docs, 50/50
                        n_dev=2000),
}
