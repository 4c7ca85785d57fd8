"""One call seeds everything that draws random numbers."""
from __future__ import annotations

import os
import random
from contextlib import contextmanager

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (and CUDA when present, without initialising it otherwise)."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import torch

    threads = os.environ.get("W2S_NUM_THREADS")  # e.g. 1 on a machine shared with other jobs
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)  # also seeds every CUDA device lazily


@contextmanager
def torch_threads(n: int):
    """Run a block with ``n`` torch threads. Small models (linear probes) train faster on one
    thread — their tensors are too small to share, and waiting for a busy second core costs
    milliseconds a step — and one thread gives the same numbers on every machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def one_blas_thread():
    """Run a block with numpy's BLAS on one thread. The closed-form probes do their matrix products
    in numpy, whose BLAS follows ``OMP_NUM_THREADS`` — one per notebook when `w2s reproduce` runs
    two at a time, both cores otherwise — and two threads round some sums differently. The
    auxiliary-confidence loss hardens at a batch quantile, which turns a last-bit difference into a
    different model: `board-l` → `board-xl` came out 1 point apart between the two ways of running
    notebook 03, until its probes ran on one BLAS thread in both."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def train_threads() -> int:
    """Torch threads for training on a CPU (``W2S_TRAIN_THREADS``, 1 by default). A gradient summed
    over 1 or 2 threads differs in its last bits, so the count is fixed — and recorded in the
    artifact keys of everything trained with it — instead of following the machine. One, because
    the models trained on CPUs here are small: a second thread gains little on an idle 2-core
    machine and costs up to 8× when the other core is busy (measured: a tiny GPT-2 finetune took
    6.5 s on one thread and 52 s on two beside another job)."""
    return int(os.environ.get("W2S_TRAIN_THREADS", "1"))
