"""Specification of the evaluation metrics and run summaries in w2s_lib.metrics."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from w2s_lib import metrics
from w2s_lib.metrics import (
    PGR,
    accuracy,
    agreement,
    auroc,
    bootstrap_ci,
    bootstrap_pgr_ci,
    pgr,
    summarize_runs,
    to_predictions,
)


# --------------------------------------------------------------------------- accuracy / AUROC

def test_accuracy_accepts_indices_class1_probabilities_and_class_probabilities():
    labels = [0, 1, 1, 0]
    assert accuracy([0, 1, 0, 0], labels) == 0.75
    assert accuracy(np.array([0.2, 0.9, 0.4, 0.1]), labels) == 0.75
    assert accuracy(np.array([[0.8, 0.2], [0.1, 0.9], [0.6, 0.4], [0.9, 0.1]]), labels) == 0.75


def test_probability_of_exactly_half_predicts_class_0_like_argmax():
    assert to_predictions(np.array([0.5]))[0] == to_predictions(np.array([[0.5, 0.5]]))[0] == 0


def test_accuracy_rejects_mismatched_lengths_and_empty_input():
    with pytest.raises(ValueError, match="shape"):
        accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="empty"):
        accuracy(np.array([], dtype=int), np.array([], dtype=int))


def test_auroc_matches_pairwise_ranking_and_is_nan_for_one_class():
    scores, labels = np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])
    # 3 of the 4 (positive, negative) pairs are ordered correctly
    assert auroc(scores, labels) == pytest.approx(0.75)
    assert auroc(np.column_stack([1 - scores, scores]), labels) == pytest.approx(0.75)
    assert math.isnan(auroc(scores, np.ones(4, dtype=int)))


# --------------------------------------------------------------------------- PGR

def test_pgr_is_fraction_of_the_gap_recovered():
    result = pgr(weak=0.6, student=0.7, ceiling=0.8)
    assert result == PGR(pytest.approx(0.5), "ok")


def test_pgr_is_nan_when_ceiling_not_above_weak():
    for ceiling in (0.7, 0.65):
        result = pgr(weak=0.7, student=0.75, ceiling=ceiling)
        assert math.isnan(result.value) and result.flag == "undefined"
    assert pgr(weak=float("nan"), student=0.7, ceiling=0.8).flag == "undefined"


def test_pgr_flagged_unreliable_below_two_points():
    below = pgr(weak=0.70, student=0.71, ceiling=0.715)
    assert below.flag == "unreliable" and below.value == pytest.approx(2 / 3)
    assert pgr(weak=0.70, student=0.71, ceiling=0.72).flag == "ok"  # exactly two points
    assert pgr(weak=0.55, student=0.56, ceiling=0.57).flag == "ok"  # 0.57 - 0.55 < 0.02 in floats
    assert pgr(weak=0.70, student=0.71, ceiling=0.715, min_gap=0.001).flag == "ok"


# --------------------------------------------------------------------------- bootstrap

def test_bootstrap_ci_contains_mean_and_is_deterministic():
    values = [0.61, 0.64, 0.58, 0.66, 0.63]
    first, second = bootstrap_ci(values, seed=3), bootstrap_ci(values, seed=3)
    assert first == second
    assert first.mean == pytest.approx(np.mean(values))
    assert first.low < first.mean < first.high
    assert min(values) <= first.low and first.high <= max(values)
    assert bootstrap_ci(values, seed=4) != first


def test_bootstrap_ci_narrows_with_lower_confidence_level():
    values = np.linspace(0.5, 0.7, 8)
    wide, narrow = bootstrap_ci(values, level=0.95), bootstrap_ci(values, level=0.5)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_bootstrap_ci_ignores_nan_and_gives_nan_interval_for_a_single_value():
    assert bootstrap_ci([0.6, float("nan"), 0.7]) == bootstrap_ci([0.6, 0.7])
    single = bootstrap_ci([0.62, float("nan")])
    assert single.mean == 0.62 and single.n == 1
    assert math.isnan(single.low) and math.isnan(single.high)
    empty = bootstrap_ci([])
    assert empty.n == 0 and math.isnan(empty.mean)


def test_bootstrap_pgr_ci_resamples_seeds_jointly():
    # Per seed the student recovers exactly half the gap, whatever the accuracies:
    # resampling seeds together keeps PGR at 0.5; resampling columns separately would not.
    weak = [0.60, 0.70, 0.55, 0.65]
    ceiling = [0.80, 0.90, 0.75, 0.85]
    student = [(w + c) / 2 for w, c in zip(weak, ceiling)]
    low, high, defined = bootstrap_pgr_ci(weak, student, ceiling, n_boot=2000)
    assert low == pytest.approx(0.5) and high == pytest.approx(0.5) and defined == 1.0


# --------------------------------------------------------------------------- agreement

def test_agreement_split_by_weak_correctness():
    labels = np.array([1, 1, 1, 0, 0, 0])
    weak = np.array([1, 1, 0, 0, 1, 1])  # correct on items 0, 1, 3; wrong on 2, 4, 5
    student = np.array([1, 0, 1, 0, 1, 0])
    result = agreement(student, weak, labels)
    assert result["agreement"] == pytest.approx(3 / 6)
    assert result["agreement_weak_correct"] == pytest.approx(2 / 3)  # items 0, 3
    assert result["agreement_weak_wrong"] == pytest.approx(1 / 3)  # item 4
    assert (result["n"], result["n_weak_correct"], result["n_weak_wrong"]) == (6, 3, 3)


def test_agreement_is_nan_for_an_empty_split_and_accepts_probabilities():
    labels = np.array([0, 1])
    result = agreement(np.array([0.3, 0.9]), np.array([[0.9, 0.1], [0.2, 0.8]]), labels)
    assert result["agreement_weak_correct"] == 1.0
    assert math.isnan(result["agreement_weak_wrong"]) and result["n_weak_wrong"] == 0


# --------------------------------------------------------------------------- summaries

def _runs() -> pd.DataFrame:
    rows = []
    for seed, (w, s, c) in enumerate([(0.60, 0.70, 0.80), (0.62, 0.70, 0.82), (0.58, 0.66, 0.78)]):
        rows.append(dict(task="sst", method="baseline", seed=seed, weak_acc=w, student_acc=s,
                         ceiling_acc=c, agreement_weak_wrong=0.5 + seed / 10))
    for seed, (w, s, c) in enumerate([(0.70, 0.71, 0.70), (0.72, 0.73, 0.71)]):
        rows.append(dict(task="sst", method="aux_conf", seed=seed, weak_acc=w, student_acc=s,
                         ceiling_acc=c, agreement_weak_wrong=0.3))
    return pd.DataFrame(rows)


def test_summarize_runs_gives_one_row_per_group_with_pgr_of_mean_accuracies():
    table = summarize_runs(_runs(), by=["task", "method"], n_boot=2000).set_index("method")
    baseline = table.loc["baseline"]
    assert baseline["n_seeds"] == 3
    assert baseline["weak_acc"] == pytest.approx(0.60)
    assert baseline["student_acc"] == pytest.approx((0.70 + 0.70 + 0.66) / 3)
    assert baseline["pgr"] == pytest.approx((0.68667 - 0.60) / 0.20, abs=1e-4)
    assert baseline["pgr_flag"] == "ok"
    assert baseline["pgr_ci_low"] <= baseline["pgr"] <= baseline["pgr_ci_high"]
    assert baseline["student_minus_weak"] == pytest.approx(0.08667, abs=1e-4)
    assert baseline["student_minus_weak_ci_low"] <= 0.08667 <= baseline["student_minus_weak_ci_high"]
    assert baseline["agreement_weak_wrong"] == pytest.approx(0.6)


def test_summarize_runs_flags_groups_whose_ceiling_is_not_above_weak():
    aux = summarize_runs(_runs(), by=["task", "method"], n_boot=500).set_index("method").loc["aux_conf"]
    assert aux["pgr_flag"] == "undefined"
    assert math.isnan(aux["pgr"]) and math.isnan(aux["pgr_ci_low"]) and math.isnan(aux["pgr_ci_high"])


def test_summarize_runs_is_deterministic_and_has_the_table1_columns():
    first = summarize_runs(_runs(), by=["task", "method"], n_boot=500, seed=1)
    second = summarize_runs(_runs().sample(frac=1.0, random_state=0), by=["task", "method"], n_boot=500, seed=1)
    pd.testing.assert_frame_equal(first, second)
    for column in ("task", "method", "n_seeds", "weak_acc", "student_acc", "ceiling_acc",
                   "pgr", "pgr_ci_low", "pgr_ci_high", "pgr_flag", "student_minus_weak"):
        assert column in first.columns


def test_summarize_runs_adds_auroc_pgr_when_auroc_columns_are_present():
    runs = _runs().assign(weak_auroc=0.6, student_auroc=0.75, ceiling_auroc=0.9)
    table = summarize_runs(runs, by=["method"], n_boot=200)
    assert table["pgr_auroc"].tolist() == pytest.approx([0.5, 0.5])


def test_summarize_runs_rejects_duplicate_seeds_and_missing_columns():
    runs = _runs()
    with pytest.raises(ValueError, match="seed"):
        summarize_runs(pd.concat([runs, runs.iloc[[0]]]), by=["task", "method"], n_boot=10)
    with pytest.raises(ValueError, match="ceiling_acc"):
        summarize_runs(runs.drop(columns="ceiling_acc"), by=["task", "method"], n_boot=10)
    with pytest.raises(ValueError, match="NaN in 'weak_acc'"):
        summarize_runs(runs.assign(weak_acc=np.nan), by=["task", "method"], n_boot=10)


def test_summarize_runs_without_grouping_columns_summarises_all_runs():
    runs = _runs().query("method == 'baseline'").drop(columns=["task", "method"])
    table = summarize_runs(runs, by=[], n_boot=200)
    assert len(table) == 1 and table.loc[0, "n_seeds"] == 3
    assert table.loc[0, "ceiling_acc"] == pytest.approx(0.80)


def test_an_unreliable_or_undefined_pgr_never_shows_as_a_number_in_a_table():
    runs = pd.DataFrame({"method": ["tiny_gap"] * 2 + ["no_gap"] * 2, "seed": [0, 1, 0, 1],
                         "weak_acc": [0.700, 0.700, 0.70, 0.70], "student_acc": [0.718, 0.718, 0.75, 0.75],
                         "ceiling_acc": [0.701, 0.701, 0.70, 0.70]})
    table = summarize_runs(runs, by=["method"]).set_index("method")
    assert table.loc["tiny_gap", "pgr_flag"] == "unreliable" and table.loc["no_gap", "pgr_flag"] == "undefined"
    assert table[["pgr", "pgr_ci_low", "pgr_ci_high"]].isna().all().all()
    assert table.loc["tiny_gap", "pgr_unflagged"] == pytest.approx(18.0)  # the ratio, kept apart


# ----------------------------------------------------------------------------- items × seeds

def test_outcomes_survive_packing_for_any_length():
    rng = np.random.default_rng(0)
    for n in (1, 7, 8, 9, 988):
        hits = rng.random(n) < 0.6
        assert np.array_equal(metrics.unpack_outcomes(metrics.pack_outcomes(hits), n), hits)


def test_an_interval_over_items_is_wider_than_one_over_three_identical_seeds():
    """Three seeds that agree leave no seed spread: only resampling the test items shows the
    uncertainty of a 500-item test set (about ±4 points at 60 %)."""
    rng = np.random.default_rng(1)
    hits = rng.random(500) < 0.6
    matrix = np.stack([hits] * 3)[None]
    draws = metrics.item_seed_means(matrix)[0]
    low, high = np.percentile(draws, [2.5, 97.5])
    assert high - low > 0.06
    seeds_only = metrics.bootstrap_ci(matrix[0].mean(axis=1))
    assert seeds_only.high - seeds_only.low == 0


def test_paired_draws_cancel_what_two_roles_share():
    """A method equal to the baseline on every item has a difference of exactly 0 in every draw."""
    rng = np.random.default_rng(2)
    a = rng.random((3, 400)) < 0.7
    draws = metrics.item_seed_means(np.stack([a, a]))
    assert np.array_equal(draws[0], draws[1])


def test_summaries_use_items_and_seeds_when_runs_keep_outcomes():
    rng = np.random.default_rng(3)
    rows = []
    for seed in range(3):
        weak, student, ceiling = (rng.random(300) < p for p in (0.6, 0.7, 0.8))
        rows.append({"seed": seed, "weak_acc": weak.mean(), "student_acc": student.mean(),
                     "ceiling_acc": ceiling.mean(), "n_test": 300,
                     **{c: metrics.pack_outcomes(x) for c, x in zip(metrics.ITEM_COLUMNS.values(),
                                                                  (weak, student, ceiling))}})
    runs = pd.DataFrame(rows)
    row = metrics.summarize_runs(runs, by=[]).iloc[0]
    assert row["ci_over"] == "test items × seeds"
    assert row["student_acc_ci_low"] < row["student_acc"] < row["student_acc_ci_high"]
    assert row["pgr_ci_low"] < row["pgr"] < row["pgr_ci_high"]
    without = metrics.summarize_runs(runs.drop(columns=list(metrics.ITEM_COLUMNS.values())), by=[]).iloc[0]
    assert without["ci_over"] == "seeds"
    assert (row["pgr_ci_high"] - row["pgr_ci_low"]) > (without["pgr_ci_high"] - without["pgr_ci_low"])
