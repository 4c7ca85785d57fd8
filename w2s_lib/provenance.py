"""What made an artifact or a figure: code version, packages, device, time."""
from __future__ import annotations

import functools
import importlib.metadata
import platform
import subprocess
import sys
from datetime import datetime, timezone

from .paths import REPO_ROOT

TRACKED_PACKAGES = ("w2s_lib", "torch", "transformers", "datasets", "accelerate", "tokenizers",
                    "numpy", "pandas", "scikit-learn", "chess")


_COMMIT: list[str] = []  # HEAD's commit once known in this process (a failure is not remembered)


def git_commit() -> str:
    """HEAD's commit, with ``-dirty`` when the working tree has uncommitted changes.

    In a fresh clone, git's first status pass runs the notebooks' nbstripout filter on every
    notebook (seconds each), hence the generous timeout; ``make`` refreshes the index once after
    installing the filter so that this is fast."""
    if _COMMIT:
        return _COMMIT[0]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=120).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    _COMMIT.append(head + ("-dirty" if dirty else ""))
    return _COMMIT[0]


@functools.cache
def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def device_description() -> str:
    """The compute device, without initialising CUDA in processes that never imported torch."""
    if "torch" not in sys.modules:
        return f"cpu ({platform.processor() or platform.machine()})"
    import torch

    from .devices import resolve_device

    try:
        device = resolve_device()  # the device W2S_DEVICE picks, not merely one that exists
    except Exception:  # noqa: BLE001 - a bad W2S_DEVICE is reported elsewhere, before any compute
        device = torch.device("cpu")
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)}, {torch.cuda.device_count()} visible)"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def provenance(**extra) -> dict:
    """A provenance record; ``extra`` adds fields such as preset, seeds or wall time."""
    return {"git_commit": git_commit(), "created": now_iso(), "packages": package_versions(),
            "device": device_description(), "host": platform.node(), **extra}
