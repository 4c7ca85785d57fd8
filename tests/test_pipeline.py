"""The weak-to-strong pipeline: who sees which labels, reuse, determinism, emitted labels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from w2s_lib import grid, methods, pipeline
from w2s_lib.models import get_ladder
from w2s_lib.store import default_store



def test_student_never_sees_ground_truth_of_B(tiny_corpus, small_splits, monkeypatch):
    seen = []
    real_fit = pipeline.fit_and_label

    def spy(rung, data, train_split, targets, **kw):
        seen.append((train_split, np.asarray(targets).copy(), kw.get("val_weak")))
        return real_fit(rung, data, train_split, targets, **kw)

    monkeypatch.setattr(pipeline, "fit_and_label", spy)
    runs = grid.run_grid(["sentiment"], "tiny-test", [0], "smoke")
    assert len(runs) == 1
    data = pipeline.task_data("sentiment", "smoke", 0)
    truth_b = data.labels("B").astype(float)
    weak_art = pipeline.weak_supervisor(get_ladder("tiny-test")[0], data, 0)
    weak_b = pipeline.read_labels(weak_art, "B").loc[data.splits.B["id"]].to_numpy()
    # calls: weak (A, ground truth), ceiling (B, ground truth), student (B, weak labels)
    (weak_call,) = [c for c in seen if c[0] == "A"]
    b_calls = [c for c in seen if c[0] == "B"]
    np.testing.assert_array_equal(weak_call[1], data.labels("A"))
    students = [c for c in b_calls if not np.array_equal(c[1], truth_b)]
    assert len(students) == 1, "exactly one student, trained on something other than B's ground truth"
    np.testing.assert_allclose(students[0][1], weak_b, rtol=1e-6)
    assert not set(np.unique(students[0][1])) <= {0.0, 1.0}, "student targets are soft weak labels"


def test_student_targets_come_only_from_the_supervisor(tiny_corpus, small_splits):
    data = pipeline.task_data("sentiment", "smoke", 0)
    rung = get_ladder("tiny-test")[0]
    weak = pipeline.weak_supervisor(rung, data, 0)
    b, v = pipeline.student_targets(data, weak)
    labels = pd.read_parquet(weak.file("labels.parquet"))
    assert b.tolist() == pytest.approx(labels[labels.split == "B"].set_index("id").loc[data.splits.B.id, "prob"].tolist())
    assert len(v) == len(data.splits.val)


def test_every_trained_model_emits_labels_for_B_val_Q_and_test(tiny_corpus, small_splits):
    grid.run_grid(["sentiment"], "tiny-test", [0], "smoke")
    arts = [e for e in default_store().entries("model_labels")]
    assert len(arts) == 3  # weak, ceiling, student
    for entry in arts:
        labels = pd.read_parquet(default_store().path_for(entry["key"]) / "labels.parquet")
        assert labels.groupby("split").size().to_dict() == {"B": 80, "Q": 30, "test": 100, "val": 40}
        assert labels["prob"].between(0, 1).all()


def test_weak_supervisors_and_ceilings_are_trained_once_and_reused(tiny_corpus, small_splits, monkeypatch):
    calls = []
    real_fit = pipeline.fit_and_label
    monkeypatch.setattr(pipeline, "fit_and_label", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    grid.run_grid(["sentiment"], "tiny-test", [0], "smoke", methods=["baseline"])
    assert len(calls) == 3
    grid.run_grid(["sentiment"], "tiny-test", [0], "smoke", methods=["baseline", "aux_conf"])
    assert len(calls) == 4  # only the new aux_conf student is trained


def test_same_preset_and_seed_give_identical_metric_tables(tiny_corpus, small_splits, tmp_path, monkeypatch):
    tables = []
    for run in range(2):
        monkeypatch.setenv("W2S_CACHE", str(tmp_path / f"cache{run}"))  # cold each time
        tables.append(grid.run_grid(["sentiment"], "tiny-test", [0, 1], "smoke"))
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_finetuning_mode_runs_binary_and_pairwise_tasks(tiny_corpus, small_splits, monkeypatch):
    from dataclasses import replace

    from w2s_lib.models import ladder

    rungs = tuple(replace(r, train_mode="full", lr=1e-3, epochs=1, batch_size=32, max_length=32)
                  for r in ladder.LADDERS["tiny-test"])
    monkeypatch.setitem(ladder.LADDERS, "tiny-full", rungs)
    for task in ("sentiment", "rm_sentiment_pairs"):
        runs = grid.run_grid([task], "tiny-full", [0], "smoke")
        assert runs[["weak_acc", "student_acc", "ceiling_acc"]].notna().all().all()


def test_pairwise_probe_task_runs(tiny_corpus, small_splits):
    runs = grid.run_grid(["rm_sentiment_pairs"], "tiny-test", [0], "smoke")
    assert runs.loc[0, "domain"] == "reward_modeling" and 0 <= runs.loc[0, "student_acc"] <= 1


def test_unknown_method_is_rejected_with_the_accepted_names():
    with pytest.raises(KeyError, match="accepted: baseline, aux_conf"):
        methods.get_method("boost")


def test_an_interrupted_grid_resumes_from_the_store_and_gives_the_same_table(tiny_corpus, small_splits,
                                                                             tmp_path, monkeypatch):
    monkeypatch.setenv("W2S_CACHE", str(tmp_path / "clean"))
    clean = grid.run_grid(["sentiment"], "tiny-test", [0, 1], "smoke")

    monkeypatch.setenv("W2S_CACHE", str(tmp_path / "interrupted"))
    real_fit, calls = pipeline.fit_and_label, []

    def dies_on_the_fourth_model(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-run
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(pipeline, "fit_and_label", dies_on_the_fourth_model)
    with pytest.raises(KeyboardInterrupt):
        grid.run_grid(["sentiment"], "tiny-test", [0, 1], "smoke")
    assert len(default_store().entries("model_labels")) == 3  # what finished is stored, nothing half-written

    calls.clear()
    monkeypatch.setattr(pipeline, "fit_and_label", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    resumed = grid.run_grid(["sentiment"], "tiny-test", [0, 1], "smoke")
    assert len(calls) == 3  # only the three models of seed 1 are trained again
    pd.testing.assert_frame_equal(clean, resumed)
