"""Training losses for weak-to-strong students, as pure functions of tensors.

Every classification loss takes ``logits`` of shape (N, C) and the supervisor's soft
labels ``weak_probs`` of shape (N, C) (rows sum to 1) and returns a scalar averaged over
the batch. Targets built from the student's own predictions are always detached: the
student is pulled towards them, never the other way round.

Pairwise (reward-model) losses take two reward vectors of shape (N,) and the
probability that ``a`` is preferred, and model P(a > b) = sigmoid(r_a - r_b)
(Bradley–Terry).

The trainer selects a loss by name: :func:`make_loss` / :func:`make_pairwise_loss` return
a callable ``fn(logits, weak_probs, step_frac)`` (pairwise:
``fn(reward_a, reward_b, weak_prob, step_frac)``); ``step_frac`` is the fraction of
training done, in [0, 1], which only the auxiliary-confidence losses use.

Only torch is imported; nothing here touches a GPU by itself.
"""
from __future__ import annotations

import contextlib
import contextvars
import math
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

import torch
import torch.nn.functional as F

_ROW_SUM_TOLERANCE = 1e-3


# --------------------------------------------------------------------------- checks

def _check_batch(logits: torch.Tensor, target_probs: torch.Tensor) -> None:
    """Shapes must match as (N, C) with N >= 1 and C >= 2; target rows must be distributions."""
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C); got shape {tuple(logits.shape)}")
    if target_probs.shape != logits.shape:
        raise ValueError(
            f"target/weak probabilities must have the logits' shape {tuple(logits.shape)}; "
            f"got {tuple(target_probs.shape)}"
        )
    n, c = logits.shape
    if n == 0:
        raise ValueError("empty batch: logits have N = 0 rows")
    if c < 2:
        raise ValueError(f"need at least 2 classes; logits have C = {c}")
    _check_distribution(target_probs.reshape(n, c), "target/weak probabilities")


_TARGETS_VALIDATED = contextvars.ContextVar("w2s_targets_validated", default=False)


@contextlib.contextmanager
def validated_targets(targets: torch.Tensor, what: str = "target/weak probabilities") -> Iterator[None]:
    """Check a whole target tensor once; inside, batches cut from it are not re-checked.

    The distribution check reads every value back to Python; on a linear probe that costs
    more than the step's arithmetic (three checks a step for aux-confidence). Shapes are still
    checked batch by batch, and student probabilities inside are softmax outputs."""
    _check_distribution(targets, what)
    token = _TARGETS_VALIDATED.set(True)
    try:
        yield
    finally:
        _TARGETS_VALIDATED.reset(token)


def _check_distribution(probs: torch.Tensor, what: str) -> None:
    if _TARGETS_VALIDATED.get():
        return
    # half-precision labels (bf16 eps = 2^-7) cannot sum to 1 more exactly than their rounding
    eps = torch.finfo(probs.dtype).eps if probs.is_floating_point() else 0.0
    tolerance = max(_ROW_SUM_TOLERANCE, eps * probs.shape[-1])
    probs = probs.detach().float()
    if bool(torch.isnan(probs).any()):
        raise ValueError(f"{what} contain NaN")
    low, high = float(probs.min()), float(probs.max())
    if low < -tolerance or high > 1 + tolerance:
        raise ValueError(f"{what} must lie in [0, 1]; got values in [{low:.4g}, {high:.4g}]")
    if probs.ndim == 2:
        sums = probs.sum(dim=1)
        worst = float((sums - 1).abs().max())
        if worst > tolerance:
            raise ValueError(f"{what}: every row must sum to 1; worst row is off by {worst:.4g}")


def _check_coef(coef: float) -> float:
    coef = float(coef)
    if not 0.0 <= coef <= 1.0:
        raise ValueError(f"coef must be in [0, 1]; got {coef}")
    return coef


def _check_step_frac(step_frac: float) -> float:
    step_frac = float(step_frac)
    if not 0.0 <= step_frac <= 1.0:  # also rejects NaN
        raise ValueError(f"step_frac must be in [0, 1] (fraction of training done); got {step_frac}")
    return step_frac


def _check_pairwise(reward_a: torch.Tensor, reward_b: torch.Tensor, prob: torch.Tensor) -> None:
    if reward_a.ndim != 1:
        raise ValueError(f"reward_a must have shape (N,); got {tuple(reward_a.shape)}")
    if reward_b.shape != reward_a.shape or prob.shape != reward_a.shape:
        raise ValueError(
            f"reward_a, reward_b and the preference probabilities must share shape (N,); got "
            f"{tuple(reward_a.shape)}, {tuple(reward_b.shape)}, {tuple(prob.shape)}"
        )
    if reward_a.shape[0] == 0:
        raise ValueError("empty batch: rewards have N = 0 entries")
    _check_distribution(prob, "preference probabilities")


# --------------------------------------------------------------------------- basic losses

def soft_cross_entropy(logits: torch.Tensor, target_probs: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of softmax(logits) against soft targets, averaged over the batch.

    Computed in float32 so half-precision logits do not lose the small differences that
    soft labels carry.
    """
    _check_batch(logits, target_probs)
    log_p = F.log_softmax(logits.float(), dim=-1)
    return -(target_probs.float() * log_p).sum(dim=-1).mean()


def kl_loss(logits: torch.Tensor, weak_probs: torch.Tensor) -> torch.Tensor:
    """KL(weak || student), averaged over the batch.

    Same gradient as cross-entropy but zero when the student matches the supervisor
    exactly, which makes its value readable as "distance from imitation".
    """
    _check_batch(logits, weak_probs)
    weak = weak_probs.float()
    log_p = F.log_softmax(logits.float(), dim=-1)
    # xlogy makes 0 * log 0 = 0 for hard labels.
    return (torch.xlogy(weak, weak) - weak * log_p).sum(dim=-1).mean()


def product_target(logits: torch.Tensor, weak_probs: torch.Tensor, alpha: float = 1.0,
                   beta: float = 1.0) -> torch.Tensor:
    """The detached target ∝ p^beta · weak^alpha that :func:`product_loss` trains towards.

    Computed in log space; a row where the product is zero everywhere (student certain
    of a class the supervisor rules out) falls back to the weak labels.
    """
    _check_batch(logits, weak_probs)
    if not (0.0 <= alpha < math.inf and 0.0 <= beta < math.inf):
        raise ValueError(f"alpha and beta must be finite and >= 0; got alpha={alpha}, beta={beta}")
    with torch.no_grad():
        weak = weak_probs.detach().float()
        log_p = F.log_softmax(logits.detach().float(), dim=-1)
        # xlogy: weak^0 = 1 even where weak = 0
        log_target = beta * log_p + torch.xlogy(torch.tensor(float(alpha)), weak)
        target = torch.softmax(log_target, dim=-1)
        empty_rows = torch.isneginf(log_target).all(dim=-1)
        target[empty_rows] = weak[empty_rows]
    return target


def product_loss(
    logits: torch.Tensor, weak_probs: torch.Tensor, alpha: float = 1.0, beta: float = 1.0
) -> torch.Tensor:
    """Cross-entropy against target ∝ p^beta · weak^alpha (normalised per row, detached).

    The student's own confidence reweights the weak labels, so a confident disagreement
    is not pulled all the way back to the supervisor.
    """
    return soft_cross_entropy(logits, product_target(logits, weak_probs, alpha=alpha, beta=beta))


# --------------------------------------------------------------------------- aux confidence

@dataclass(frozen=True)
class AuxConfSchedule:
    """How the auxiliary-confidence weight α grows with the fraction of training done.

    ``kind="ramp"``: α = max_coef · min(1, step_frac / warmup_frac) (continuous).
    ``kind="jump"``: α = max_coef · step_frac while step_frac < warmup_frac, then max_coef —
    the discontinuity of OpenAI's public code, kept so its runs can be reproduced.
    """

    max_coef: float
    warmup_frac: float
    kind: str = "ramp"

    KINDS = ("ramp", "jump")

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown schedule kind {self.kind!r}; accepted: {', '.join(self.KINDS)}")
        if not 0.0 <= self.max_coef <= 1.0:
            raise ValueError(f"max_coef must be in [0, 1]; got {self.max_coef}")
        if not 0.0 <= self.warmup_frac <= 1.0:
            raise ValueError(f"warmup_frac must be in [0, 1]; got {self.warmup_frac}")

    def coef(self, step_frac: float) -> float:
        step_frac = _check_step_frac(step_frac)
        if step_frac >= self.warmup_frac:
            return self.max_coef
        if self.kind == "jump":
            return self.max_coef * step_frac
        return self.max_coef * step_frac / self.warmup_frac


AUX_CONF_SCHEDULES: dict[str, AuxConfSchedule] = {
    # Burns et al. (paper): linear to 0.75 over the first 20 % of steps.
    "paper": AuxConfSchedule(max_coef=0.75, warmup_frac=0.2, kind="ramp"),
    # openai/weak-to-strong code: 0.5 · step_frac, then a jump to 0.5 at 10 %.
    "openai": AuxConfSchedule(max_coef=0.5, warmup_frac=0.1, kind="jump"),
    # The code's constants with the jump fixed (as EleutherAI's w2s does).
    "smooth": AuxConfSchedule(max_coef=0.5, warmup_frac=0.1, kind="ramp"),
}


def resolve_schedule(schedule: str | AuxConfSchedule) -> AuxConfSchedule:
    """A schedule object from its name (see :data:`AUX_CONF_SCHEDULES`) or itself."""
    if isinstance(schedule, AuxConfSchedule):
        return schedule
    try:
        return AUX_CONF_SCHEDULES[schedule]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown aux-confidence schedule {schedule!r}; accepted: "
            f"{', '.join(AUX_CONF_SCHEDULES)} (or an AuxConfSchedule)"
        ) from None


def aux_conf_coef(step_frac: float, schedule: str | AuxConfSchedule = "paper") -> float:
    """Weight α of the student's hardened predictions at ``step_frac`` of training."""
    return resolve_schedule(schedule).coef(step_frac)


def harden_to_weak_balance(student_probs: torch.Tensor, weak_probs: torch.Tensor) -> torch.Tensor:
    """One-hot (N, 2) student predictions thresholded to the weak labels' class balance.

    The threshold t is the quantile of p[:, 0] at q = mean(weak[:, 1]); rows with
    p0 < t become class 1, so about a fraction q of the batch is hardened to class 1
    whatever the student's calibration. This follows Burns et al.'s code, including its
    tie rule (p0 == t goes to class 0): when many probabilities are equal — e.g. a
    zero-initialised head at step 0 — the balance is not met. Small batches give a noisy
    quantile. The result is detached.
    """
    _check_batch(student_probs, weak_probs)
    if student_probs.shape[1] != 2:
        raise ValueError(
            f"hardening to the weak class balance needs 2 classes; got C = {student_probs.shape[1]}"
        )
    _check_distribution(student_probs, "student probabilities")
    with torch.no_grad():
        p0 = student_probs.detach().float()[:, 0]
        share_of_class_1 = weak_probs.detach().float()[:, 1].mean().clamp(0.0, 1.0)
        threshold = torch.quantile(p0, share_of_class_1)
        is_class_1 = p0 < threshold
        return torch.stack([~is_class_1, is_class_1], dim=1).float()


def aux_confidence_loss(logits: torch.Tensor, weak_probs: torch.Tensor, coef: float) -> torch.Tensor:
    """Burns et al.'s auxiliary-confidence loss for binary tasks.

    target = (1 − coef) · weak + coef · harden(student) (detached), then cross-entropy:
    the student is encouraged to stay confident in its own predictions where they
    disagree with the supervisor, instead of imitating its errors.
    """
    coef = _check_coef(coef)
    _check_batch(logits, weak_probs)
    with torch.no_grad():
        hardened = harden_to_weak_balance(torch.softmax(logits.detach().float(), dim=-1), weak_probs)
        target = (1.0 - coef) * weak_probs.detach().float() + coef * hardened
    return soft_cross_entropy(logits, target)


# --------------------------------------------------------------------------- pairwise

def bradley_terry_loss(reward_a: torch.Tensor, reward_b: torch.Tensor,
                       target_prob: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of P(a preferred) = sigmoid(r_a − r_b) against a soft target."""
    _check_pairwise(reward_a, reward_b, target_prob)
    margin = reward_a.float() - reward_b.float()
    return F.binary_cross_entropy_with_logits(margin, target_prob.float())


def aux_confidence_bt_loss(reward_a: torch.Tensor, reward_b: torch.Tensor,
                           weak_prob: torch.Tensor, coef: float) -> torch.Tensor:
    """The auxiliary-confidence idea on preference pairs.

    P(a > b) = sigmoid(r_a − r_b) is hardened so the share of pairs hardened to "a
    preferred" matches the mean weak preference in the batch; the target is
    (1 − coef) · weak + coef · hardened (detached); loss as :func:`bradley_terry_loss`.
    """
    coef = _check_coef(coef)
    _check_pairwise(reward_a, reward_b, weak_prob)
    with torch.no_grad():
        p_a = torch.sigmoid(reward_a.detach().float() - reward_b.detach().float())
        weak = weak_prob.detach().float()
        hardened = harden_to_weak_balance(
            torch.stack([1.0 - p_a, p_a], dim=1), torch.stack([1.0 - weak, weak], dim=1)
        )[:, 1]
        target = (1.0 - coef) * weak + coef * hardened
    return bradley_terry_loss(reward_a, reward_b, target)


# --------------------------------------------------------------------------- registries

class ClassificationLoss(Protocol):
    def __call__(self, logits: torch.Tensor, weak_probs: torch.Tensor,
                 step_frac: float) -> torch.Tensor: ...


class PairwiseLoss(Protocol):
    def __call__(self, reward_a: torch.Tensor, reward_b: torch.Tensor, weak_prob: torch.Tensor,
                 step_frac: float) -> torch.Tensor: ...


@dataclass(frozen=True)
class XentLoss:
    """Plain imitation of the weak soft labels (the W2S baseline)."""

    def __call__(self, logits: torch.Tensor, weak_probs: torch.Tensor, step_frac: float) -> torch.Tensor:
        _check_step_frac(step_frac)
        return soft_cross_entropy(logits, weak_probs)


@dataclass(frozen=True)
class KLLoss:
    """KL(weak || student); the baseline's gradient with a zero floor."""

    def __call__(self, logits: torch.Tensor, weak_probs: torch.Tensor, step_frac: float) -> torch.Tensor:
        _check_step_frac(step_frac)
        return kl_loss(logits, weak_probs)


@dataclass(frozen=True)
class ProductLoss:
    """Target ∝ p^beta · weak^alpha."""

    alpha: float = 1.0
    beta: float = 1.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.alpha < math.inf and 0.0 <= self.beta < math.inf):
            raise ValueError(f"alpha and beta must be finite and >= 0; got alpha={self.alpha}, "
                             f"beta={self.beta}")

    def __call__(self, logits: torch.Tensor, weak_probs: torch.Tensor, step_frac: float) -> torch.Tensor:
        _check_step_frac(step_frac)
        return product_loss(logits, weak_probs, alpha=self.alpha, beta=self.beta)


@dataclass(frozen=True)
class AuxConfLoss:
    """Auxiliary-confidence loss whose weight follows ``schedule`` (name or AuxConfSchedule)."""

    schedule: str | AuxConfSchedule = "paper"

    def __post_init__(self) -> None:
        resolve_schedule(self.schedule)  # fail at construction, not at the first step

    def __call__(self, logits: torch.Tensor, weak_probs: torch.Tensor, step_frac: float) -> torch.Tensor:
        return aux_confidence_loss(logits, weak_probs, aux_conf_coef(step_frac, self.schedule))


@dataclass(frozen=True)
class BradleyTerryLoss:
    """Bradley–Terry imitation of the weak preference probabilities."""

    def __call__(self, reward_a: torch.Tensor, reward_b: torch.Tensor, weak_prob: torch.Tensor,
                 step_frac: float) -> torch.Tensor:
        _check_step_frac(step_frac)
        return bradley_terry_loss(reward_a, reward_b, weak_prob)


@dataclass(frozen=True)
class AuxConfBTLoss:
    """Pairwise auxiliary-confidence loss whose weight follows ``schedule``."""

    schedule: str | AuxConfSchedule = "paper"

    def __post_init__(self) -> None:
        resolve_schedule(self.schedule)

    def __call__(self, reward_a: torch.Tensor, reward_b: torch.Tensor, weak_prob: torch.Tensor,
                 step_frac: float) -> torch.Tensor:
        return aux_confidence_bt_loss(reward_a, reward_b, weak_prob,
                                      aux_conf_coef(step_frac, self.schedule))


# name -> constructor taking the loss's options as keyword arguments
LOSSES: dict[str, Callable[..., ClassificationLoss]] = {
    "xent": XentLoss,
    "aux_conf": AuxConfLoss,
    "product": ProductLoss,
    "kl": KLLoss,
}

PAIRWISE_LOSSES: dict[str, Callable[..., PairwiseLoss]] = {
    "bt": BradleyTerryLoss,
    "aux_conf": AuxConfBTLoss,
}


def _build(registry: dict[str, Callable], kind: str, name: str, options: dict):
    if name not in registry:
        raise ValueError(f"unknown {kind} loss {name!r}; accepted: {', '.join(registry)}")
    constructor = registry[name]
    accepted = tuple(getattr(constructor, "__dataclass_fields__", {}))
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"{kind} loss {name!r} has no option(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(accepted) or 'none'}"
        )
    return constructor(**options)


def make_loss(name: str, **options) -> ClassificationLoss:
    """The loss ``fn(logits, weak_probs, step_frac) -> scalar`` registered as ``name``.

    Options: ``aux_conf``: ``schedule`` ("paper", "openai", "smooth" or an
    AuxConfSchedule); ``product``: ``alpha``, ``beta``; ``xent``/``kl``: none.
    """
    return _build(LOSSES, "classification", name, options)


def make_pairwise_loss(name: str, **options) -> PairwiseLoss:
    """The loss ``fn(reward_a, reward_b, weak_prob, step_frac) -> scalar`` registered as ``name``."""
    return _build(PAIRWISE_LOSSES, "pairwise", name, options)
