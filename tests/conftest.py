"""Test-wide settings: artifacts and results of tests go to temporary folders, never the user's."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_outputs(tmp_path_factory, monkeypatch):
    """Each test writes its artifacts, results and build copies under a private folder."""
    base = tmp_path_factory.mktemp("w2s")
    monkeypatch.setenv("W2S_CACHE", str(base / "cache"))
    monkeypatch.setenv("W2S_RESULTS", str(base / "results"))
    monkeypatch.setenv("W2S_BUILD", str(base / "build"))
    yield
