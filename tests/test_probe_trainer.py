"""The probe trainer writes AdamW out and checks targets once; its autograd path must train exactly
what the straightforward torch.optim version (kept in benchmarks/probe_speed.py) trains, and its
closed-form path (xent, aux-confidence, Bradley–Terry and its aux-confidence form) the same probes
to float32 rounding."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from w2s_lib.training import probe

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "probe_speed.py"


@pytest.fixture(scope="module")
def reference_trainer():
    spec = importlib.util.spec_from_file_location("probe_speed", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.torch_optim_train_steps


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 24)).astype(np.float32)
    truth = (x[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(np.float32)
    return {"x": x, "x2": rng.normal(size=(300, 24)).astype(np.float32),
            "soft": np.clip(truth * 0.8 + 0.1 + 0.05 * rng.normal(size=300), 0, 1).astype(np.float32)}


def _fit(kind, data, seed):
    if kind in ("bt", "bt_aux_conf"):
        loss = "bt" if kind == "bt" else "aux_conf"
        return probe.train_reward_probe(data["x"], data["x2"], data["soft"],
                                        probe.ProbeConfig(loss=loss, seed=seed, epochs=4, weight_decay=3.0))
    cfg = probe.ProbeConfig(loss=kind, seed=seed, epochs=6, batch_size=32, weight_decay=3.0, select="weak_val")
    return probe.train_probe(data["x"], data["soft"], cfg, data["x"][:80], data["soft"][:80])


@pytest.mark.parametrize("kind", ["xent", "aux_conf", "bt", "bt_aux_conf"])
def test_the_autograd_path_is_bit_identical_to_torch_optim(kind, data, reference_trainer, monkeypatch):
    monkeypatch.setattr(probe, "CLOSED_FORM_LOSSES", frozenset())
    ours = [_fit(kind, data, seed) for seed in (0, 1)]
    monkeypatch.setattr(probe, "_train_steps", reference_trainer)
    theirs = [_fit(kind, data, seed) for seed in (0, 1)]
    for a, b in zip(ours, theirs):
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias)
    assert not np.array_equal(ours[0].weight, ours[1].weight)  # the seed reaches the batch order


@pytest.mark.parametrize("kind", ["xent", "aux_conf", "bt", "bt_aux_conf"])
def test_the_closed_form_path_trains_what_torch_optim_trains(kind, data, reference_trainer, monkeypatch):
    closed = [_fit(kind, data, seed) for seed in (0, 1)]  # early stopping on val included (xent)
    monkeypatch.setattr(probe, "CLOSED_FORM_LOSSES", frozenset())
    monkeypatch.setattr(probe, "_train_steps", reference_trainer)
    reference = [_fit(kind, data, seed) for seed in (0, 1)]
    for a, b in zip(closed, reference):
        np.testing.assert_allclose(a.weight, b.weight, atol=1e-5)
        np.testing.assert_allclose(a.bias, b.bias, atol=1e-5)
    assert not np.array_equal(closed[0].weight, closed[1].weight)


def test_targets_are_still_checked_once(data):
    bad = data["soft"].copy()
    bad[17] = 1.5
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        probe.train_probe(data["x"], bad, probe.ProbeConfig(epochs=1))
    bad[17] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        probe.train_reward_probe(data["x"], data["x2"], bad, probe.ProbeConfig(loss="bt", epochs=1))


def test_per_example_weights_weigh_the_loss_and_zero_weights_ignore_examples():
    from w2s_lib.training.probe import ProbeConfig, train_probe

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    noise = rng.normal(size=(100, 5)).astype(np.float32)
    flipped = (noise[:, 0] <= 0).astype(np.float32)  # the opposite rule
    cfg = ProbeConfig(epochs=20, seed=1)
    alone = train_probe(x, y, cfg)
    ignored = train_probe(np.concatenate([x, noise]), np.concatenate([y, flipped]), cfg,
                          weights=np.concatenate([np.ones(200), np.zeros(100)]))
    agree = ((alone.predict_proba(x) > 0.5) == (ignored.predict_proba(x) > 0.5)).mean()
    assert agree > 0.95 and ((ignored.predict_proba(x) > 0.5) == y).mean() > 0.9
    swayed = train_probe(np.concatenate([x, noise]), np.concatenate([y, flipped]), cfg,
                         weights=np.concatenate([np.full(200, 0.1), np.full(100, 10.0)]))
    assert ((swayed.predict_proba(noise) > 0.5) == flipped).mean() > 0.8  # the heavy examples win
    with pytest.raises(ValueError, match="weights"):
        train_probe(x, y, ProbeConfig(loss="aux_conf"), weights=np.ones(200))
    with pytest.raises(ValueError, match="weights"):
        train_probe(x, y, cfg, weights=np.ones(3))


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)


def test_closed_form_probes_train_and_predict_on_one_blas_thread():
    """numpy's BLAS follows OMP_NUM_THREADS, which `w2s reproduce` sets to 1 per notebook when it runs
    two at a time; two threads round some products differently, and aux_conf's batch quantile made
    that a different model. Probes train and predict on one BLAS thread, whatever the process has."""
    from threadpoolctl import threadpool_limits

    seen = []

    def gradient(weight, bias, batch):
        seen.append(_blas_threads())
        return np.zeros_like(weight), np.zeros_like(bias)

    class Recorder:  # stands for standardised features: records the threads of the product
        def __len__(self):
            return 1000

        def __sub__(self, other):
            return self

        def __truediv__(self, other):
            return self

        def __matmul__(self, weight):
            seen.append(_blas_threads())
            return np.zeros((1, weight.shape[1]), np.float32)

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype(np.float32), np.eye(2, dtype=np.float32)[rng.integers(0, 2, 64)]
    with threadpool_limits(limits=2, user_api="blas"):
        head = probe._train_closed_form((x, y), 2, gradient, probe.ProbeConfig(epochs=1, batch_size=32))
        fitted = probe._as_probe(head, np.zeros(4, np.float32), np.ones(4, np.float32))
        fitted.outputs(Recorder())
    assert seen and set(seen) == {1}
