"""Probes on frozen, cached features: the cheap training mode of the micro preset.

A probe is a zero-initialised linear head on standardised features, trained with the same
losses (by name) as full finetuning. For pairwise preferences the reward is linear in the
features, so P(a preferred) = sigmoid(w·(x_a − x_b)): a logistic model on differences.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from ..losses import aux_conf_coef, make_loss, make_pairwise_loss, validated_targets
from .engine import probability_rows
from ..seeding import one_blas_thread, seed_everything, torch_threads


@dataclass(frozen=True)
class ProbeConfig:
    lr: float = 1e-2
    epochs: int = 30
    batch_size: int = 64
    weight_decay: float = 1e-2
    loss: str = "xent"
    loss_options: dict = field(default_factory=dict)
    select: str = "last"  # or "weak_val": the epoch whose val predictions best fit the weak labels
    seed: int = 0


@dataclass
class LinearProbe:
    weight: np.ndarray   # (D, n_out)
    bias: np.ndarray     # (n_out,)
    mean: np.ndarray     # (D,) feature standardisation fitted on the training features
    scale: np.ndarray

    def outputs(self, features: np.ndarray) -> np.ndarray:
        if len(features) < 64:  # too few rows for BLAS to share out; the limit costs half a millisecond
            return ((features - self.mean) / self.scale) @ self.weight + self.bias
        with one_blas_thread():  # the same rounding however many threads the process has
            return ((features - self.mean) / self.scale) @ self.weight + self.bias

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """P(class 1) for a classifier probe."""
        logits = self.outputs(features)
        return 1.0 / (1.0 + np.exp(-(logits[:, 1] - logits[:, 0])))

    def save(self, path) -> None:
        np.savez(path, weight=self.weight, bias=self.bias, mean=self.mean, scale=self.scale)

    @classmethod
    def load(cls, path) -> "LinearProbe":
        with np.load(path) as z:
            return cls(z["weight"], z["bias"], z["mean"], z["scale"])

    def preference_proba(self, feats_a: np.ndarray, feats_b: np.ndarray) -> np.ndarray:
        """P(a preferred over b) for a reward probe."""
        diff = self.outputs(feats_a)[:, 0] - self.outputs(feats_b)[:, 0]
        return 1.0 / (1.0 + np.exp(-diff))


def _standardiser(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = features.mean(0)
    scale = features.std(0)
    return mean, np.where(scale > 1e-6, scale, 1.0)


def _train(rows: tuple[torch.Tensor, ...], n_out: int, batch_loss, cfg: ProbeConfig, evaluate=None, on_epoch=None):
    """``rows``: tensors with one row per example, the features first and the targets last."""
    with torch_threads(1), validated_targets(rows[-1]):
        return _train_steps(rows, n_out, batch_loss, cfg, evaluate, on_epoch)


_BETAS, _EPS = (0.9, 0.999), 1e-8  # torch.optim.AdamW's defaults


def _adamw_update(params, grads, avgs, sqs, step: int, lr: float, weight_decay: float) -> None:
    """One AdamW step, operation for operation as ``torch.optim.AdamW`` takes it on a CPU.

    A probe's step is a few microseconds of arithmetic; the optimizer's and the scheduler's
    bookkeeping took longer than that, so the update is written out (results are bit-identical,
    which ``tests/test_probe_speed.py`` checks against torch's optimizer)."""
    b1, b2 = _BETAS
    step_size, bc2_sqrt = lr / (1 - b1 ** step), (1 - b2 ** step) ** 0.5
    with torch.no_grad():
        for p, g, avg, sq in zip(params, grads, avgs, sqs):
            p.mul_(1 - lr * weight_decay)
            avg.lerp_(g, 1 - b1)
            sq.mul_(b2).addcmul_(g, g, value=1 - b2)
            p.addcdiv_(avg, (sq.sqrt() / bc2_sqrt).add_(_EPS), value=-step_size)


def _cosine(step: int, steps: int) -> float:
    return 0.5 * (1 + math.cos(math.pi * min(1.0, step / steps)))


def _train_steps(rows, n_out: int, batch_loss, cfg: ProbeConfig, evaluate=None, on_epoch=None):
    """Minibatch AdamW with a cosine schedule from a zero head; the batch order is seeded.

    Each epoch shuffles the rows once, so its batches are views rather than gathers."""
    seed_everything(cfg.seed)
    n, d = rows[0].shape
    head = torch.nn.Linear(d, n_out)
    torch.nn.init.zeros_(head.weight), torch.nn.init.zeros_(head.bias)
    params = [head.weight, head.bias]
    avgs, sqs = [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]
    steps = math.ceil(n / cfg.batch_size) * cfg.epochs
    gen = torch.Generator().manual_seed(cfg.seed)
    step, best = 0, (math.inf, None)
    for epoch in range(cfg.epochs):
        order = torch.randperm(n, generator=gen)
        for batch in zip(*(t[order].split(cfg.batch_size) for t in rows)):
            loss = batch_loss(head, batch, min(1.0, step / max(1, steps - 1)))
            grads = torch.autograd.grad(loss, params)
            lr = cfg.lr * _cosine(step, steps)
            step += 1
            _adamw_update(params, grads, avgs, sqs, step, lr, cfg.weight_decay)
        score = None
        if evaluate is not None and cfg.select == "weak_val":
            score = evaluate(head)
            if score < best[0]:
                best = (score, {k: v.clone() for k, v in head.state_dict().items()})
        if on_epoch is not None:  # an observer: it reads the head, never changes training
            on_epoch(epoch + 1, step, head, score)
    if best[1] is not None:
        head.load_state_dict(best[1])
    return head


# --------------------------------------------------------------------------- the closed-form path
# A linear head under the soft cross-entropy or the Bradley–Terry loss has a closed-form gradient,
# so a step is a handful of numpy operations on a few hundred numbers instead of an autograd pass:
# the same minibatches (torch's seeded permutation), the same zero start, cosine schedule and AdamW
# update, about four times faster (benchmarks/probe_speed.py); results agree with the autograd path
# to float32 rounding (tests/test_probe_trainer.py).

CLOSED_FORM_LOSSES = frozenset({"xent", "bt", "aux_conf"})  # the losses that take the closed-form path


def _adamw_numpy(params, grads, avgs, sqs, step: int, lr: float, weight_decay: float) -> None:
    b1, b2 = _BETAS
    step_size, bc2_sqrt = lr / (1 - b1 ** step), (1 - b2 ** step) ** 0.5
    for p, g, avg, sq in zip(params, grads, avgs, sqs):
        p *= np.float32(1 - lr * weight_decay)
        avg += (g - avg) * np.float32(1 - b1)
        sq *= np.float32(b2)
        sq += np.float32(1 - b2) * g * g
        p -= np.float32(step_size) * avg / (np.sqrt(sq) / np.float32(bc2_sqrt) + np.float32(_EPS))


def _softmax_rows(x, weight, bias):
    logits = x @ weight.T + bias
    logits -= logits.max(1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(1, keepdims=True)


def _hardened(p1: np.ndarray, weak1: np.ndarray) -> np.ndarray:
    """P(class 1) hardened to the weak labels' class balance in the batch, with
    :func:`w2s_lib.losses.harden_to_weak_balance`'s threshold and tie rule (on p(class 0))."""
    p0 = (1 - p1).astype(np.float32)
    threshold = np.quantile(p0, min(max(float(weak1.astype(np.float32).mean()), 0.0), 1.0))
    return (p0 < threshold).astype(np.float32)


def _aux_conf_gradient(schedule):
    """The auxiliary-confidence loss: soft cross-entropy against (1 − α)·weak + α·harden(student),
    the target detached (as in :func:`w2s_lib.losses.aux_confidence_loss`), so its gradient is the
    soft cross-entropy's with that target."""
    def gradient(weight, bias, batch, frac):
        x, y = batch
        p = _softmax_rows(x, weight, bias)
        coef = np.float32(aux_conf_coef(frac, schedule))
        hard1 = _hardened(p[:, 1], y[:, 1])
        target = (1 - coef) * y + coef * np.stack([1 - hard1, hard1], 1)
        g = (p * target.sum(1, keepdims=True) - target) * np.float32(1 / len(x))
        return g.T @ x, g.sum(0)
    return gradient


def _aux_conf_bt_gradient(schedule):
    """Pairwise auxiliary confidence: Bradley–Terry against (1 − α)·weak + α·harden(P(a ≻ b))."""
    def gradient(weight, bias, batch, frac):
        xa, xb, y = batch
        margin = (xa @ weight[0]) - (xb @ weight[0])
        p_a = 1 / (1 + np.exp(-margin))
        coef = np.float32(aux_conf_coef(frac, schedule))
        target = (1 - coef) * y + coef * _hardened(p_a, y)
        g = (p_a - target) / np.float32(len(y))
        return (g @ xa - g @ xb)[None, :].astype(np.float32), np.zeros_like(bias)
    return gradient


def _xent_gradient(weight, bias, batch):
    """Soft cross-entropy of softmax(x·Wᵀ + b) against the targets (a weighted mean when the
    batch carries weights): d/dlogits = p·Σy − y per example."""
    x, *w, y = batch
    logits = x @ weight.T + bias
    logits -= logits.max(1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    g = p * y.sum(1, keepdims=True) - y
    g *= (w[0] / max(float(w[0].sum()), 1e-12))[:, None] if w else np.float32(1 / len(x))
    return g.T @ x, g.sum(0)


def _bt_gradient(weight, bias, batch):
    """Bradley–Terry: σ(r_a − r_b) against P(a preferred); the bias cancels in the margin."""
    xa, xb, y = batch
    margin = (xa @ weight[0]) - (xb @ weight[0])
    g = (1 / (1 + np.exp(-margin)) - y) / np.float32(len(y))
    return (g @ xa - g @ xb)[None, :].astype(np.float32), np.zeros_like(bias)


def _linear(weight: np.ndarray, bias: np.ndarray) -> torch.nn.Linear:
    head = torch.nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weight)), head.bias.copy_(torch.from_numpy(bias))
    return head


def _train_closed_form(arrays: tuple[np.ndarray, ...], n_out: int, gradient, cfg: ProbeConfig, evaluate=None,
                       on_epoch=None, with_frac: bool = False) -> torch.nn.Linear:
    """:func:`_train_steps` with ``gradient(weight, bias, batch)`` in place of autograd (``with_frac``:
    ``gradient(weight, bias, batch, step_frac)``, for a loss whose weight follows the schedule)."""
    with one_blas_thread():  # the same sums whichever way the notebook runs
        return _closed_form_steps(arrays, n_out, gradient, cfg, evaluate, on_epoch, with_frac)


def _closed_form_steps(arrays, n_out, gradient, cfg, evaluate, on_epoch, with_frac) -> torch.nn.Linear:
    seed_everything(cfg.seed)
    n, d = arrays[0].shape
    params = [np.zeros((n_out, d), np.float32), np.zeros(n_out, np.float32)]
    avgs, sqs = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    steps = math.ceil(n / cfg.batch_size) * cfg.epochs
    gen = torch.Generator().manual_seed(cfg.seed)
    step, best = 0, (math.inf, None)
    for epoch in range(cfg.epochs):
        order = torch.randperm(n, generator=gen).numpy()
        shuffled = [a[order] for a in arrays]
        for start in range(0, n, cfg.batch_size):
            batch = [a[start: start + cfg.batch_size] for a in shuffled]
            grads = gradient(*params, batch, min(1.0, step / max(1, steps - 1))) if with_frac else \
                gradient(*params, batch)
            lr = cfg.lr * _cosine(step, steps)
            step += 1
            _adamw_numpy(params, [g.astype(np.float32, copy=False) for g in grads], avgs, sqs, step, lr,
                         cfg.weight_decay)
        score = None
        if evaluate is not None and cfg.select == "weak_val":
            score = evaluate(_linear(*params))
            if score < best[0]:
                best = (score, [p.copy() for p in params])
        if on_epoch is not None:
            on_epoch(epoch + 1, step, _linear(*params), score)
    return _linear(*(best[1] if best[1] is not None else params))


def _as_probe(head: torch.nn.Linear, mean: np.ndarray, scale: np.ndarray) -> LinearProbe:
    return LinearProbe(head.weight.detach().numpy().T.copy(), head.bias.detach().numpy().copy(), mean, scale)


def train_probe(features: np.ndarray, targets: np.ndarray, cfg: ProbeConfig,
                val_features: np.ndarray | None = None, val_weak: np.ndarray | None = None,
                on_epoch: Callable[[int, int, LinearProbe, float | None], None] | None = None,
                weights: np.ndarray | None = None) -> LinearProbe:
    """Fit a classifier probe on (soft) targets: P(class 1) vectors or (N, 2) rows.

    ``on_epoch(epoch, step, probe, val_weak_loss)``, when given, is called after every epoch
    (1-based; ``step``: optimizer steps so far) with a copy of the probe as it stands and, under
    ``select="weak_val"``, the validation loss against the weak labels that selection compares
    (``None`` otherwise). It observes only: training and the returned probe are unchanged.
    ``weights``: one non-negative weight per example (the soft cross-entropy only), each batch's
    loss their weighted mean — e.g. Φ's two terms, ground truth and a teacher's outputs."""
    mean, scale = _standardiser(features)
    x = torch.from_numpy(((features - mean) / scale).astype(np.float32))
    y = torch.from_numpy(probability_rows(targets))
    loss_fn = make_loss(cfg.loss, **cfg.loss_options)

    def batch_loss(head, batch, frac):
        features, weak = batch
        return loss_fn(head(features), weak, frac)

    rows = (x, y)
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float32)
        if cfg.loss != "xent" or weights.shape != (len(x),) or (weights < 0).any() or not weights.sum() > 0:
            raise ValueError("weights: one non-negative weight per example, not all 0, with the xent loss")

        def batch_loss(head, batch, frac):  # noqa: F811 (the weighted form of the same loss)
            features, w, weak = batch
            per_example = -(weak * torch.log_softmax(head(features), -1)).sum(-1)
            return (w * per_example).sum() / w.sum().clamp_min(1e-12)

        rows = (x, torch.from_numpy(weights), y)  # the targets stay last (_train checks them)

    evaluate = None
    if cfg.select == "weak_val":
        if val_features is None or val_weak is None:
            raise ValueError("select='weak_val' needs validation features and their weak labels")
        xv = torch.from_numpy(((val_features - mean) / scale).astype(np.float32))
        yv = torch.from_numpy(probability_rows(val_weak))

        def evaluate(head):
            with torch.no_grad():
                return float(-(yv * torch.log_softmax(head(xv), -1)).sum(-1).mean())

    observe = None
    if on_epoch is not None:
        def observe(epoch, step, head, score):
            on_epoch(epoch, step, _as_probe(head, mean, scale), score)

    if cfg.loss in CLOSED_FORM_LOSSES and (cfg.loss == "xent" or weights is None):
        # the closed-form gradient (the same training, several times faster)
        with validated_targets(y):
            arrays = tuple(t.numpy() for t in rows)
            if cfg.loss == "aux_conf":
                gradient = _aux_conf_gradient(cfg.loss_options.get("schedule", "paper"))
                return _as_probe(_train_closed_form(arrays, 2, gradient, cfg, evaluate, observe, with_frac=True),
                                 mean, scale)
            return _as_probe(_train_closed_form(arrays, 2, _xent_gradient, cfg, evaluate, observe), mean, scale)
    return _as_probe(_train(rows, 2, batch_loss, cfg, evaluate, observe), mean, scale)


def train_reward_probe(feats_a: np.ndarray, feats_b: np.ndarray, targets: np.ndarray,
                       cfg: ProbeConfig) -> LinearProbe:
    """Fit a linear reward on P(a preferred) targets (Bradley–Terry or its aux-confidence variant)."""
    mean, scale = _standardiser(np.concatenate([feats_a, feats_b]))
    xa = torch.from_numpy(((feats_a - mean) / scale).astype(np.float32))
    xb = torch.from_numpy(((feats_b - mean) / scale).astype(np.float32))
    y = torch.from_numpy(np.array(targets, dtype=np.float32))
    loss_fn = make_pairwise_loss(cfg.loss, **cfg.loss_options)

    def batch_loss(head, batch, frac):
        a, b, weak = batch
        return loss_fn(head(a)[:, 0], head(b)[:, 0], weak, frac)

    if cfg.loss in CLOSED_FORM_LOSSES:  # the closed-form gradient (the same training, several times faster)
        with validated_targets(y):
            arrays = (xa.numpy(), xb.numpy(), y.numpy())
            if cfg.loss == "aux_conf":
                gradient = _aux_conf_bt_gradient(cfg.loss_options.get("schedule", "paper"))
                return _as_probe(_train_closed_form(arrays, 1, gradient, cfg, with_frac=True), mean, scale)
            return _as_probe(_train_closed_form(arrays, 1, _bt_gradient, cfg), mean, scale)
    return _as_probe(_train((xa, xb, y), 1, batch_loss, cfg), mean, scale)
