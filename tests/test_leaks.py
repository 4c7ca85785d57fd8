"""No ground truth of B, Q, val or test reaches any supervisor: with every label of those splits
flipped, the targets each supervisor hands on — the weak supervisor's, Φ's (the teacher's labels
of Q, and M'_W's labels of B), the jury's and the Φ → Ψ jury's — stay bit for bit the same. A check
on 0/1 targets alone would miss smoothed ground truth (a ceiling's probabilities); this one does
not, as the last test shows."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from w2s_lib import ablation, pipeline
from w2s_lib.alignment import jury
from w2s_lib.debate import Protocol
from w2s_lib.facilitation import facilitate
from w2s_lib.methods import METHODS
from w2s_lib.models import get_ladder
from w2s_lib.pipeline import labels_artifact, read_labels, student_targets, w2s_student, weak_supervisor
from w2s_lib.store import ArtifactStore

FLIPPED = ("B", "Q", "val", "test")


@pytest.fixture
def flip_ground_truth(monkeypatch):
    """Call it to make every split drawn from then on carry flipped labels in B, Q, val and test."""
    real = pipeline.make_splits

    def flipped(task, seed, sizes, balance=False):
        splits = real(task, seed, sizes, balance)
        frames = {s: splits[s].assign(label=1 - splits[s]["label"]) for s in FLIPPED if len(splits[s])}
        return dataclasses.replace(splits, **frames)

    return lambda: monkeypatch.setattr(pipeline, "make_splits", flipped)


def _sentiment_targets(store: ArtifactStore) -> dict[str, np.ndarray]:
    weak_rung, strong_rung = get_ladder("smoke")[0], get_ladder("smoke")[-1]
    data = pipeline.task_data("sentiment", "smoke", 0)
    weak = weak_supervisor(weak_rung, data, 0, store)
    teacher = w2s_student(strong_rung, data, 0, weak, METHODS["baseline"], store=store)
    facilitated = facilitate(weak_rung, data, 0, teacher, store)
    both_terms = facilitate(weak_rung, data, 0, teacher, store, teacher_weight=0.5)  # + ground truth of A
    return {"weak": np.concatenate(student_targets(data, weak)),
            "phi teacher on Q": read_labels(teacher, "Q").loc[data.splits.Q["id"]].to_numpy(),
            "phi (M'_W)": np.concatenate(student_targets(data, facilitated)),
            "phi, both terms (M'_W)": np.concatenate(student_targets(data, both_terms))}


def _jury_targets(store: ArtifactStore) -> dict[str, np.ndarray]:
    models = ablation.debate_models("debate_wordnet", "smoke", "smoke", store=store)
    dq, _ = models.data(0)
    teacher = ablation.teacher_artifact(models, 0, "student", store)
    scorer = ablation.teacher_scorer(models, 0, "student", store)
    psi = jury(dq, models.setup, 0, Protocol("debate"), members=2, store=store)
    phi_psi = jury(dq, models.setup, 0, Protocol("debate"), members=2, teacher=teacher, teacher_scorer=scorer,
                   store=store)
    return {"jury": np.concatenate(student_targets(dq, psi)), "phi -> psi jury": np.concatenate(student_targets(dq, phi_psi))}


def _fresh_store_with_features_of(store: ArtifactStore, root: Path) -> ArtifactStore:
    """A store holding only ``store``'s frozen features: they are functions of texts, read no label,
    and are the slow part; everything that could carry a label is built again."""
    shutil.copytree(store.root / "features", root / "features")
    return ArtifactStore(root)


def _assert_bit_identical(before: dict, after: dict) -> None:
    changed = [name for name in before if not np.array_equal(before[name], after[name])]
    assert changed == [], f"targets that moved with the ground truth of {FLIPPED}: {changed}"


def test_flipping_ground_truth_of_b_q_val_and_test_moves_no_weak_or_phi_target(small_splits, flip_ground_truth,
                                                                               tmp_path):
    first = ArtifactStore(tmp_path / "before")
    before = _sentiment_targets(first)
    flip_ground_truth()
    after = _sentiment_targets(_fresh_store_with_features_of(first, tmp_path / "after"))
    _assert_bit_identical(before, after)


def test_flipping_ground_truth_of_b_q_val_and_test_moves_no_jury_target(small_splits, flip_ground_truth, tmp_path):
    first = ArtifactStore(tmp_path / "before")
    before = _jury_targets(first)
    flip_ground_truth()
    after = _jury_targets(_fresh_store_with_features_of(first, tmp_path / "after"))
    _assert_bit_identical(before, after)


def test_the_check_catches_a_supervisor_that_reads_smoothed_ground_truth_of_b(small_splits, flip_ground_truth,
                                                                             tmp_path: Path):
    """A supervisor whose labels of B are a ceiling-like smoothing of B's ground truth (never 0 or 1)."""
    def leaky(store: ArtifactStore) -> dict[str, np.ndarray]:
        data = pipeline.task_data("sentiment", "smoke", 0)
        probs = lambda: {s: 0.1 + 0.8 * data.labels(s) for s in data.emitted}  # noqa: E731
        art = labels_artifact("leaky", {}, data, 0, probs, store=store)
        return {"leaky": np.concatenate(student_targets(data, art))}

    before = leaky(ArtifactStore(tmp_path / "before"))
    assert set(np.unique(before["leaky"])) == {np.float32(0.1), np.float32(0.9)}  # soft: a 0/1 check passes it
    flip_ground_truth()
    after = leaky(ArtifactStore(tmp_path / "after"))
    with pytest.raises(AssertionError, match="leaky"):
        _assert_bit_identical(before, after)
