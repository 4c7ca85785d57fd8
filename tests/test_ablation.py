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

    dq, _ = models.data(1)
    teacher = fw.teacher_artifact(models, 1, "student") if with_teacher else None
    scorer = fw.teacher_scorer(models, 1, "student") if with_teacher else None
    monkeypatch.setattr(PairJudge, "fit", spy)  # only the jury's judges from here (the ceiling is a judge too)
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
    def rule(ceiling_right=True, gold_shown=True, jury_right=True, jury_unsure=False, follows_blind=False):
        return attribute_error(ceiling_right, gold_shown, jury_right, jury_unsure, follows_blind)

    assert rule(ceiling_right=False, gold_shown=False, jury_right=False, jury_unsure=True) == \
        "beyond the student's reach"
    assert rule(gold_shown=False, jury_right=False, follows_blind=True) == "poor quote selection"
    assert rule(jury_right=False, jury_unsure=True) == "evidence extraction"
    assert rule(gold_shown=False, jury_unsure=True, follows_blind=True) == "unsure supervisor"  # quotes: jury wrong only
    assert rule(follows_blind=True) == "follows the answer prior"
    assert rule() == "other"
    assert len(ERROR_TYPES) == 6


def test_error_shares_have_intervals_over_items_and_seeds():
    import pandas as pd

    from w2s_lib.tables import error_table

    ids = [f"i{k}" for k in range(200)]
    per_seed = {s: pd.DataFrame({"id": ids[: 20 + 10 * s], "error_type": [ERROR_TYPES[k % 5] for k in range(20 + 10 * s)]})
                for s in range(3)}  # five of the six types: the sixth has share 0
    table = error_table(per_seed, ids).set_index("error_type")
    assert table["fraction"].sum() == pytest.approx(1.0)
    assert (table["fraction_ci_low"] <= table["fraction"]).all() and (table["fraction"] <= table["fraction_ci_high"]).all()
    seen = table.drop(index="other")
    assert (seen["fraction_ci_high"] - seen["fraction_ci_low"] > 0.02).all()  # item resampling widens them
    assert table.loc[ERROR_TYPES[4], "count"] == pytest.approx(np.mean([4, 6, 8]))
    assert table.loc["other", "fraction"] == 0


def test_the_controls_of_psi_change_one_thing_at_a_time(models):
    controls = fw.control_variants(models, 0, Protocol("debate"), members=2)
    assert set(controls) == {"weak_pairwise", "w2s_pairwise", "blind_jury", "psi_blind", "retrieval_jury",
                             "psi_retrieval"}
    dq, _ = models.data(0)
    for name in ("weak_pairwise", "blind_jury", "retrieval_jury"):
        probs = read_labels(controls[name].model, "B")
        assert len(probs) == len(dq.splits.B) and probs.between(0, 1).all()
    for student, supervisor in (("w2s_pairwise", "weak_pairwise"), ("psi_blind", "blind_jury"),
                                ("psi_retrieval", "retrieval_jury")):
        assert controls[student].supervisor.key == controls[supervisor].model.key
    assert len({controls[n].model.key for n in ("weak_pairwise", "blind_jury", "retrieval_jury")}) == 3


def test_the_pairwise_ceiling_learns_ground_truth_of_b_and_reads_the_passage(models, monkeypatch):
    calls = []
    real_fit = PairJudge.fit

    def spy(self, records, targets=None):
        calls.append(([r["id"] for r in records], targets, self.passages is not None))
        return real_fit(self, records, targets)

    monkeypatch.setattr(PairJudge, "fit", spy)
    from w2s_lib.alignment import pairwise_ceiling
    from w2s_lib.store import ArtifactStore

    dq, _ = models.data(2)
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        art = pairwise_ceiling(dq, models.setup, 2, models.strong_units, store=ArtifactStore(root))
        ((ids, targets, reads_passage),) = calls
        assert set(ids) == set(dq.splits.B["id"]) and targets is None and reads_passage
        assert art.manifest["spec"]["config"]["role"] == "ceiling_pairwise"
        rows = fw.baseline_variants(models, 2)
        assert rows["ceiling_pairwise"].model.manifest["spec"]["config"]["train_split"] == "B"


def test_phi_with_both_terms_learns_ground_truth_of_a_and_the_teacher_on_q(models, monkeypatch, tmp_path):
    from w2s_lib.store import ArtifactStore
    from w2s_lib.training import probe as probe_module

    seen = {}
    real = probe_module.train_probe

    def spy(features, targets, cfg, *args, weights=None, **kw):
        seen.update(targets=np.asarray(targets).copy(), weights=None if weights is None else np.asarray(weights))
        return real(features, targets, cfg, *args, weights=weights, **kw)

    monkeypatch.setattr(probe_module, "train_probe", spy)
    dq, _ = models.data(0)
    teacher = fw.teacher_artifact(models, 0, "student")
    facilitate(models.weak, dq, 0, teacher, ArtifactStore(tmp_path), teacher_weight=0.25)  # built afresh
    n_a = len(dq.splits.A)
    np.testing.assert_array_equal(seen["targets"][:n_a], dq.labels("A"))
    np.testing.assert_allclose(seen["targets"][n_a:], read_labels(teacher, "Q").loc[dq.splits.Q["id"]], rtol=1e-6)
    w = seen["weights"]  # each term a mean over its split, weighted 0.75 and 0.25
    assert w[:n_a].sum() / w.sum() == pytest.approx(0.75) and w[n_a:].sum() / w.sum() == pytest.approx(0.25)
    with pytest.raises(ValueError, match="teacher_weight"):
        facilitate(models.weak, dq, 0, teacher, teacher_weight=1.5)
