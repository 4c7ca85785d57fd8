"""Which device computes: the environment variable ``W2S_DEVICE`` (default ``auto``).

Accepted values: ``auto`` (the GPU when torch sees one, else the CPU), ``cpu``, ``cuda`` (the
current GPU) and ``cuda:N`` (GPU number N). A GPU asked for where there is none is an error that
names the setting, what was asked, what this machine has and what would be accepted — raised by
:func:`check_device` before any compute (``w2s reproduce``, ``w2s grid`` and ``w2s check-params``
call it first), and by :func:`resolve_device` wherever a step picks its device.

Checking imports torch and nothing else (no model, no data): it asks
``torch.cuda.is_available()`` and ``torch.cuda.device_count()``.
"""
from __future__ import annotations

import os
import re

DEVICE_ENV = "W2S_DEVICE"
ACCEPTED = "auto (a GPU when there is one, else the CPU), cpu, cuda, cuda:N (N = a GPU number)"
_CUDA = re.compile(r"cuda(?::(\d+))?")


class DeviceError(ValueError):
    """A device that cannot be used here, or a value that names no device."""


def requested_device() -> str:
    """The value of ``W2S_DEVICE`` (``auto`` when unset or empty)."""
    return os.environ.get(DEVICE_ENV, "").strip() or "auto"


def _available(torch) -> tuple[int, str]:
    """(GPU count, a description of what this machine offers)."""
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if not count:
        build = "a CPU-only build of torch" if torch.version.cuda is None else \
            f"torch built for CUDA {torch.version.cuda}, but no GPU or driver is visible"
        return 0, f"only the CPU ({build})"
    gpus = ", ".join(f"cuda:{i}" for i in range(count))
    return count, f"the CPU and {count} GPU(s): {gpus}"


def check_device(requested: str | None = None) -> str:
    """Validate a device setting (``None``: ``W2S_DEVICE``) and return it normalised (lower case,
    no spaces); raise :class:`DeviceError` with a message saying what to change."""
    import torch

    value = requested_device() if requested is None else (requested.strip() or "auto")
    name = value.lower()
    setting = f"{DEVICE_ENV}={value}"
    if name in ("auto", "cpu"):
        return name
    match = _CUDA.fullmatch(name)
    if match is None:
        raise DeviceError(f"{setting}: unknown device {value!r}; accepted: {ACCEPTED}")
    count, available = _available(torch)
    if count == 0:
        raise DeviceError(f"{setting} asks for a GPU, but this machine has {available}; accepted here: "
                          f"auto or cpu (or leave {DEVICE_ENV} unset, which picks the CPU on this machine)")
    index = match.group(1)
    if index is not None and int(index) >= count:
        accepted = ", ".join(["auto", "cpu", "cuda"] + [f"cuda:{i}" for i in range(count)])
        raise DeviceError(f"{setting} asks for GPU {index}, but this machine has {available}; "
                          f"accepted here: {accepted}")
    return name


def device_problems(requested: str | None = None) -> list[str]:
    """``[]`` when the device setting can be used here, else its one-line problem (for the lists of
    problems that ``w2s reproduce`` and ``w2s check-params`` print before running anything)."""
    try:
        check_device(requested)
    except DeviceError as err:
        return [str(err)]
    return []


def resolve_device(requested: str | None = None):
    """The ``torch.device`` to compute on: ``requested``, or ``W2S_DEVICE`` when it is ``None``
    (``auto``: CUDA when available, else the CPU). Raises :class:`DeviceError` like
    :func:`check_device`."""
    import torch

    name = check_device(requested)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def make_accelerator():
    """bf16 autocast on a GPU, plain fp32 on a CPU; multi-GPU through ``accelerate launch``."""
    import torch
    from accelerate import Accelerator


    device = resolve_device()  # W2S_DEVICE (default auto)
    gpu = device.type == "cuda"
    if gpu and device.index is not None and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        torch.cuda.set_device(device)  # accelerate trains on the current GPU: make it the one asked for
    # cpu=True lets several CPU processes (torchrun / accelerate launch) train together over gloo
    return Accelerator(mixed_precision="bf16" if gpu else "no", cpu=not gpu)
