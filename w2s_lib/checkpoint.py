"""Mid-step checkpoints: a long build (pretraining, finetuning) that is killed resumes where it
stopped instead of from step 0.

The artifact store gives each build a checkpoint folder (``<cache>/.checkpoints/<key>/``,
outside the build's temporary folder, so it survives a kill) and removes it once the artifact
is stored. A loop saves its state there every ``W2S_CHECKPOINT_SECONDS`` (60 by default), at a
step boundary, written to a temporary name and renamed, so a kill during a save leaves the
previous checkpoint intact. Resuming restores the model, optimizer, schedule and the position
in the data order, so the result equals an uninterrupted run.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

STATE = "state.pt"


def checkpoint_interval() -> float:
    return float(os.environ.get("W2S_CHECKPOINT_SECONDS", "60"))


class Checkpointer:
    """Save and restore one training loop's state in the current build's checkpoint folder."""

    def __init__(self, folder: Path | None, every_s: float | None = None):
        self.folder = folder
        self.every_s = checkpoint_interval() if every_s is None else every_s
        self._last = time.monotonic()
        self.saves = 0

    @classmethod
    def for_current_build(cls) -> "Checkpointer":
        from .store import current_checkpoint_dir

        return cls(current_checkpoint_dir())

    def load(self) -> dict | None:
        """The saved state, or ``None`` (no folder, nothing saved yet, or an unreadable file)."""
        import torch

        if self.folder is None or not (self.folder / STATE).exists():
            return None
        try:
            return torch.load(self.folder / STATE, weights_only=False)
        except Exception:  # noqa: BLE001 - a damaged checkpoint only costs the work since the last one
            return None

    def maybe_save(self, state: Callable[[], dict], force: bool = False) -> bool:
        """Save ``state()`` when the interval has passed (or ``force``); returns whether it did."""
        import torch

        if self.folder is None or not (force or time.monotonic() - self._last >= self.every_s):
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{STATE}.tmp-{os.getpid()}"
        torch.save(state(), tmp)
        os.replace(tmp, self.folder / STATE)
        self._last = time.monotonic()
        self.saves += 1
        return True
