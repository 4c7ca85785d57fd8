"""Specification of the student losses in w2s_lib.losses."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from w2s_lib import losses
from w2s_lib.losses import (
    AuxConfSchedule,
    aux_conf_coef,
    aux_confidence_bt_loss,
    aux_confidence_loss,
    bradley_terry_loss,
    harden_to_weak_balance,
    kl_loss,
    make_loss,
    make_pairwise_loss,
    product_loss,
    product_target,
    soft_cross_entropy,
)


def _soft_labels(n: int, seed: int) -> torch.Tensor:
    p1 = torch.rand(n, generator=torch.Generator().manual_seed(seed))
    return torch.stack([1 - p1, p1], dim=1)


def _logits(n: int, seed: int, classes: int = 2) -> torch.Tensor:
    return torch.randn(n, classes, generator=torch.Generator().manual_seed(seed), requires_grad=True)


# --------------------------------------------------------------------------- basic losses

def test_soft_cross_entropy_equals_torch_cross_entropy_with_probability_targets():
    logits, target = _logits(16, 0, classes=3), torch.softmax(torch.randn(16, 3), dim=1)
    expected = F.cross_entropy(logits, target)
    assert torch.allclose(soft_cross_entropy(logits, target), expected, atol=1e-6)


def test_soft_cross_entropy_of_hard_targets_is_mean_negative_log_likelihood():
    logits = _logits(8, 1)
    labels = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1])
    hard = F.one_hot(labels, 2).float()
    assert torch.allclose(soft_cross_entropy(logits, hard), F.cross_entropy(logits, labels), atol=1e-6)


def test_soft_cross_entropy_rejects_targets_that_are_not_distributions():
    with pytest.raises(ValueError, match="sum to 1"):
        soft_cross_entropy(torch.zeros(2, 2), torch.tensor([[0.5, 0.6], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="shape"):
        soft_cross_entropy(torch.zeros(2, 2), torch.ones(2, 3) / 3)
    with pytest.raises(ValueError, match="empty"):
        soft_cross_entropy(torch.zeros(0, 2), torch.zeros(0, 2))


def test_kl_loss_is_zero_when_student_matches_supervisor_and_differs_from_xent_by_entropy():
    weak = _soft_labels(32, 2)
    matching_logits = weak.log()
    assert kl_loss(matching_logits, weak).abs() < 1e-6
    logits = _logits(32, 3)
    entropy = -(weak * weak.log()).sum(dim=1).mean()
    assert torch.allclose(kl_loss(logits, weak), soft_cross_entropy(logits, weak) - entropy, atol=1e-5)


def test_kl_loss_is_finite_for_hard_weak_labels():
    weak = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert torch.isfinite(kl_loss(torch.zeros(2, 2), weak))


# --------------------------------------------------------------------------- product loss

def test_product_loss_target_is_normalised_and_detached():
    logits, weak = _logits(16, 4), _soft_labels(16, 5)
    target = product_target(logits, weak)
    assert not target.requires_grad
    assert torch.allclose(target.sum(dim=1), torch.ones(16), atol=1e-6)
    unnormalised = torch.softmax(logits.detach(), dim=1) * weak
    assert torch.allclose(target, unnormalised / unnormalised.sum(dim=1, keepdim=True), atol=1e-6)
    # gradient flows only through the cross-entropy's log-softmax, as with a fixed target
    product_loss(logits, weak).backward()
    fixed = logits.detach().clone().requires_grad_(True)
    soft_cross_entropy(fixed, target).backward()
    assert torch.allclose(logits.grad, fixed.grad, atol=1e-6)


def test_product_loss_with_zero_student_weight_is_plain_xent():
    logits, weak = _logits(8, 6), _soft_labels(8, 7)
    assert torch.allclose(product_loss(logits, weak, alpha=1.0, beta=0.0),
                          soft_cross_entropy(logits, weak), atol=1e-6)


def test_product_target_falls_back_to_weak_labels_when_product_is_zero_everywhere():
    logits = torch.tensor([[0.0, -1e4]])  # student certain of class 0 (p1 underflows to 0)
    weak = torch.tensor([[0.0, 1.0]])  # supervisor certain of class 1
    assert torch.equal(product_target(logits, weak), weak)


# --------------------------------------------------------------------------- aux-confidence schedules

def test_paper_schedule_reaches_075_at_20_percent():
    assert aux_conf_coef(0.0, "paper") == 0.0
    assert aux_conf_coef(0.1, "paper") == pytest.approx(0.375)
    assert aux_conf_coef(0.2, "paper") == pytest.approx(0.75)
    assert aux_conf_coef(0.6, "paper") == pytest.approx(0.75)
    assert aux_conf_coef(1.0, "paper") == pytest.approx(0.75)


def test_openai_schedule_jumps_at_10_percent():
    just_before = aux_conf_coef(0.0999, "openai")
    at = aux_conf_coef(0.1, "openai")
    assert just_before == pytest.approx(0.5 * 0.0999)
    assert at == 0.5
    assert at - just_before > 0.4
    assert aux_conf_coef(0.9, "openai") == 0.5


def test_smooth_schedule_is_continuous_at_the_end_of_warmup():
    assert aux_conf_coef(0.05, "smooth") == pytest.approx(0.25)
    assert aux_conf_coef(0.0999, "smooth") == pytest.approx(0.4995)
    assert aux_conf_coef(0.1, "smooth") == 0.5
    steps = [i / 1000 for i in range(1001)]
    coefs = [aux_conf_coef(s, "smooth") for s in steps]
    assert max(b - a for a, b in zip(coefs, coefs[1:])) < 0.01


def test_custom_schedule_with_zero_warmup_starts_at_full_weight():
    assert aux_conf_coef(0.0, AuxConfSchedule(max_coef=0.3, warmup_frac=0.0)) == 0.3


def test_unknown_schedule_name_lists_the_accepted_ones():
    with pytest.raises(ValueError, match="paper, openai, smooth"):
        aux_conf_coef(0.5, "cosine")


def test_schedule_rejects_step_fraction_outside_unit_interval():
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="step_frac"):
            aux_conf_coef(bad, "paper")


# --------------------------------------------------------------------------- hardening and aux-conf loss

@pytest.mark.parametrize("share_of_class_1", [0.1, 0.25, 0.5, 0.8])
def test_aux_conf_hardening_matches_weak_class_balance(share_of_class_1):
    n = 200
    student = torch.softmax(torch.randn(n, 2, generator=torch.Generator().manual_seed(8)), dim=1)
    weak_p1 = torch.full((n,), share_of_class_1)
    weak = torch.stack([1 - weak_p1, weak_p1], dim=1)
    hardened = harden_to_weak_balance(student, weak)
    assert hardened.shape == (n, 2)
    assert torch.equal(hardened.sum(dim=1), torch.ones(n))
    assert abs(hardened[:, 1].mean().item() - share_of_class_1) <= 1 / n + 1e-6


def test_hardening_keeps_the_students_ranking():
    student = torch.softmax(_logits(50, 9).detach(), dim=1)
    hardened = harden_to_weak_balance(student, _soft_labels(50, 10))
    class_1 = hardened[:, 1].bool()
    assert student[class_1, 1].min() > student[~class_1, 1].max()


def test_hardening_is_detached_and_binary_only():
    logits = _logits(10, 11)
    hardened = harden_to_weak_balance(torch.softmax(logits, dim=1), _soft_labels(10, 12))
    assert not hardened.requires_grad
    with pytest.raises(ValueError, match="2 classes"):
        harden_to_weak_balance(torch.ones(4, 3) / 3, torch.ones(4, 3) / 3)


def test_aux_conf_equals_xent_when_coef_zero():
    logits, weak = _logits(32, 13), _soft_labels(32, 14)
    assert torch.allclose(aux_confidence_loss(logits, weak, 0.0), soft_cross_entropy(logits, weak))


def test_aux_conf_at_full_coef_trains_towards_the_hardened_student():
    logits, weak = _logits(32, 15), _soft_labels(32, 16)
    hardened = harden_to_weak_balance(torch.softmax(logits, dim=1), weak)
    assert torch.allclose(aux_confidence_loss(logits, weak, 1.0), soft_cross_entropy(logits, hardened))


def test_aux_conf_target_mixes_weak_and_hardened_and_is_detached():
    logits, weak, coef = _logits(32, 17), _soft_labels(32, 18), 0.3
    hardened = harden_to_weak_balance(torch.softmax(logits, dim=1), weak)
    expected_target = (1 - coef) * weak + coef * hardened
    aux_confidence_loss(logits, weak, coef).backward()
    fixed = logits.detach().clone().requires_grad_(True)
    soft_cross_entropy(fixed, expected_target).backward()
    assert torch.allclose(logits.grad, fixed.grad, atol=1e-6)


def test_aux_conf_rejects_coef_outside_unit_interval():
    with pytest.raises(ValueError, match="coef"):
        aux_confidence_loss(torch.zeros(4, 2), torch.full((4, 2), 0.5), 1.5)


def test_aux_conf_lowers_the_pull_towards_confident_disagreements():
    # The student is sure of class 1 on item 0 where the weak label says 0.8 for class 0:
    # with aux-conf the gradient pushing item 0 towards the weak label is smaller.
    logits = torch.tensor([[-3.0, 3.0], [2.0, -2.0], [1.0, -1.0], [-1.0, 1.0]], requires_grad=True)
    weak = torch.tensor([[0.8, 0.2], [0.9, 0.1], [0.7, 0.3], [0.2, 0.8]])
    xent_grad = torch.autograd.grad(soft_cross_entropy(logits, weak), logits)[0]
    aux_grad = torch.autograd.grad(aux_confidence_loss(logits, weak, 0.75), logits)[0]
    assert aux_grad[0, 1].abs() < xent_grad[0, 1].abs()


# --------------------------------------------------------------------------- pairwise

def test_bt_loss_is_log2_at_equal_rewards_and_half_target():
    rewards = torch.tensor([0.3, -1.2, 4.0])
    assert bradley_terry_loss(rewards, rewards.clone(), torch.full((3,), 0.5)).item() == pytest.approx(math.log(2))


def test_bt_loss_decreases_as_preferred_reward_grows():
    b, target = torch.zeros(1), torch.ones(1)
    values = [bradley_terry_loss(torch.tensor([r]), b, target).item() for r in (-2.0, 0.0, 2.0)]
    assert values[0] > values[1] > values[2]


def test_bt_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        bradley_terry_loss(torch.zeros(3), torch.zeros(2), torch.zeros(3))


def test_aux_conf_bt_equals_bt_when_coef_zero_and_hardens_to_weak_balance_at_one():
    gen = torch.Generator().manual_seed(19)
    r_a, r_b = torch.randn(100, generator=gen), torch.randn(100, generator=gen)
    weak = torch.full((100,), 0.3)
    assert torch.allclose(aux_confidence_bt_loss(r_a, r_b, weak, 0.0), bradley_terry_loss(r_a, r_b, weak))
    margin = r_a - r_b
    order = torch.argsort(margin, descending=True)
    hardened = torch.zeros(100)
    hardened[order[:30]] = 1.0  # the 30 % of pairs the student most prefers as "a"
    assert torch.allclose(aux_confidence_bt_loss(r_a, r_b, weak, 1.0),
                          bradley_terry_loss(r_a, r_b, hardened), atol=1e-6)


# --------------------------------------------------------------------------- registries

def test_loss_registry_builds_uniform_callables():
    logits, weak = _logits(16, 20), _soft_labels(16, 21)
    assert set(losses.LOSSES) == {"xent", "aux_conf", "product", "kl"}
    for name in losses.LOSSES:
        value = make_loss(name)(logits, weak, 0.5)
        assert value.ndim == 0 and torch.isfinite(value)
    assert torch.allclose(make_loss("xent")(logits, weak, 0.3), soft_cross_entropy(logits, weak))


def test_aux_conf_from_registry_follows_its_schedule():
    logits, weak = _logits(16, 22), _soft_labels(16, 23)
    loss = make_loss("aux_conf", schedule="openai")
    assert torch.allclose(loss(logits, weak, 0.05), aux_confidence_loss(logits, weak, 0.025))
    assert torch.allclose(loss(logits, weak, 0.5), aux_confidence_loss(logits, weak, 0.5))
    assert torch.allclose(make_loss("aux_conf", schedule="paper")(logits, weak, 0.0),
                          soft_cross_entropy(logits, weak))


def test_unknown_loss_names_and_options_are_rejected_with_the_accepted_ones():
    with pytest.raises(ValueError, match="xent, aux_conf, product, kl"):
        make_loss("focal")
    with pytest.raises(ValueError, match="schedule"):
        make_loss("aux_conf", warmup=0.1)
    with pytest.raises(ValueError, match="paper, openai, smooth"):
        make_loss("aux_conf", schedule="linear")
    with pytest.raises(ValueError, match="bt, aux_conf"):
        make_pairwise_loss("hinge")


def test_pairwise_registry_builds_uniform_callables():
    r_a, r_b, weak = torch.zeros(4), torch.zeros(4), torch.full((4,), 0.5)
    assert make_pairwise_loss("bt")(r_a, r_b, weak, 0.2).item() == pytest.approx(math.log(2))
    assert torch.isfinite(make_pairwise_loss("aux_conf", schedule="smooth")(r_a, r_b, weak, 0.7))


def test_losses_accept_half_precision_logits_and_labels_and_compute_in_float32():
    logits = _logits(8, 24).detach().bfloat16().requires_grad_(True)
    weak = _soft_labels(8, 25).bfloat16()  # rows sum to 1 only up to bfloat16 rounding
    for name in losses.LOSSES:
        value = make_loss(name)(logits, weak, 0.5)
        assert value.dtype == torch.float32 and torch.isfinite(value)
