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


@pytest.fixture
def tiny_corpus(monkeypatch):
    """A small English corpus for the tiny-decoder path, so tests pretrain in seconds."""
    from w2s_lib.models import pretrain

    words = ("good bad great awful movie film plot acting story dull brilliant boring fun sad happy "
             "a the is was very not really quite kind of thing dog animal tool made").split()
    import random

    rng = random.Random(0)
    docs = tuple(" ".join(rng.choice(words) for _ in range(rng.randint(5, 20))) for _ in range(400))
    monkeypatch.setattr(pretrain, "corpus_documents", lambda corpus: docs)
    pretrain.corpus_fingerprint.cache_clear()
    yield docs
    pretrain.corpus_fingerprint.cache_clear()


@pytest.fixture
def small_splits(monkeypatch):
    """Tiny split sizes for every task and preset, so pipelines run in seconds; yields them."""
    from w2s_lib import pipeline
    from w2s_lib.data.splits import SplitSizes

    sizes = SplitSizes(n_a=80, n_b=80, n_val=40, n_test=100, n_q=30, working_pool=240)
    monkeypatch.setattr(pipeline, "sizes_for_preset", lambda task, preset: sizes)
    pipeline._universe.cache_clear()
    yield sizes
    pipeline._universe.cache_clear()
