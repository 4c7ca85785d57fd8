"""One call seeds everything that draws random numbers."""
from __future__ import annotations

import os
import random

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
