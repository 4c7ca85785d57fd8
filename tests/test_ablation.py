"""Φ and Ψ: what reaches their training targets, Q kept apart, and the error taxonomy's rules."""
from __future__ import annotations

import numpy as np
import pytest

from w2s_lib import ablation as fw
from w2s_lib import pipeline
from w2s_lib.alignment import ERROR_TYPES, attribute_error, jury
from w2s_lib.debate import Protocol
from w2s_lib.debate.trained_judges import PairJudge
from w2s_lib.facilitation import facilitate
from w2s_lib.pipeline import read_labels


@pytest.fixture(scope="module")
def models():
    return fw.debate_models("debate_wordnet", "smoke", "smoke")


def test_q_is_a_split_of_its_own(models):
    dq, _ = models.data(0)
    dq.splits.assert_disjoint()
    q = set(dq.splits.Q["id"])
    assert q and all(not q & set(dq.splits[s]["id"]) for s in ("A", "B", "val", "test"))


def test_phi_trains_only_on_the_teachers_outputs_on_q(models, monkeypatch):
    seen = []
    real = pipeline.fit_and_label
    monkeypatch.setattr(pipeline, "fit_and_label", lambda rung, data, split, targets, **kw: seen.append(
        (split, np.asarray(targets).copy(), kw.get("val_weak"))) or real(rung, data, split, targets, **kw))
    dq, _ = models.data(0)
    teacher = fw.teacher_artifact(models, 0, "student")
    seen.clear()
    facilitate(models.weak, dq, 0, teacher)
    ((split, targets, val_weak),) = seen
    assert split == "Q" and val_weak is None
    np.testing.assert_allclose(targets, read_labels(teacher, "Q").loc[dq.splits.Q["id"]].to_numpy(), rtol=1e-6)
    assert not set(np.unique(targets)) <= {0.0, 1.0}, "soft teacher outputs, not Q's ground truth"


@pytest.mark.parametrize("with_teacher", [False, True])
def test_judges_of_psi_learn_ground_truth_of_a_only(models, monkeypatch, with_teacher):
    calls = []
    real_fit = PairJudge.fit

    def spy(self, records, targets=None):
        calls.append(([r["id"] for r in records], None if targets is None else list(targets), records))
        return real_fit(self, records, targets)

    monkeypatch.setattr(PairJudge, "fit", spy)
    dq, _ = models.data(1)
    teacher = fw.teacher_artifact(models, 1, "student") if with_teacher else None
    scorer = fw.teacher_scorer(models, 1, "student") if with_teacher else None
    art = jury(dq, models.setup, 1, Protocol("debate"), members=2, teacher=teacher, teacher_scorer=scorer)
    a, q = set(dq.splits.A["id"]), set(dq.splits.Q["id"])
    assert len(calls) == 2
    for ids, targets, records in calls:
        on_a = [i in a for i in ids]
        assert set(ids) <= (a | q if with_teacher else a)
        assert not set(ids) & (set(dq.splits.B["id"]) | set(dq.splits.val["id"]) | set(dq.splits.test["id"]))
        if with_teacher:  # Q's targets are the teacher's verdicts, never Q's ground truth
            truth = [1.0 if r["correct"] == 0 else 0.0 for r in records]
            q_targets = [t for t, inside in zip(targets, on_a) if not inside]
            q_truth = [t for t, inside in zip(truth, on_a) if not inside]
            assert q_targets and not set(q_targets) <= {0.0, 1.0} and q_targets != q_truth
    # the student supervised by the jury learns its labels of B, not B's ground truth
    b = read_labels(art, "B").loc[dq.splits.B["id"]].to_numpy()
    assert not set(np.unique(b)) <= {0.0, 1.0}


def test_errors_are_attributed_by_the_first_rule_that_applies():
    assert attribute_error(gold_shown=False, jury_right=False, repeats_weak_error=True) == "poor quote selection"
    assert attribute_error(True, False, True) == "evidence extraction"
    assert attribute_error(True, True, True) == "overfitting to weak labels"
    assert attribute_error(True, True, False) == "other"
    assert len(ERROR_TYPES) == 4
