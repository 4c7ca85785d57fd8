"""Notebook 08's analyses: concept saliency, imitation vs generalization, overfitting to weak labels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from w2s_lib import metrics, pipeline
from w2s_lib.analyses import CONCEPTS, MODEL_STATES, concept_saliency, overfitting_curve, read_runs
from w2s_lib.findings import saliency_sentences
from w2s_lib.manifest import analysed_runs
from w2s_lib.tables import imitation_table, summarize_saliency
from w2s_lib.analyses import saliency as cs
from w2s_lib.analyses.overfitting import student_probe_config
from w2s_lib.store import default_store
from w2s_lib.training import engine
from w2s_lib.training.features import rung_features
from w2s_lib.training.probe import ProbeConfig, train_probe



def _saliency(**kw):
    args = dict(probe_train=30, probe_test=30, n_eval=50, epochs=1, lr=1e-3)
    return concept_saliency("sentiment", "tiny-test", [0], "smoke", **{**args, **kw})


# ----------------------------------------------------------------------------- concept saliency

def test_saliency_has_every_concept_in_every_state_and_a_rerun_reads_the_store(tiny_corpus, small_splits):
    first = _saliency()
    runs = first.runs
    assert set(runs["model_state"]) == set(MODEL_STATES) and set(runs["concept"]) == set(CONCEPTS)
    assert len(runs) == len(CONCEPTS) * len(MODEL_STATES)
    assert runs["probe_acc"].between(0, 1).all()
    assert (runs["n_probe_train"] == 30).all() and (runs["n_probe_test"] == 30).all()
    assert set(first.models["model_state"]) == {"weak", "w2s", "ceiling"}

    store = default_store()
    built = list(store.built)
    assert sum(k.startswith("finetuned_backbone-") for k in built) == 2
    assert sum(k.startswith("concept_reps-") for k in built) == 3
    again = _saliency()
    assert store.built == built, "a rerun trains and encodes nothing"
    pd.testing.assert_frame_equal(first.runs, again.runs)

    summary = summarize_saliency(runs)
    assert len(summary) == len(CONCEPTS) * len(MODEL_STATES)
    assert (summary.loc[summary["model_state"] == "before", "change_from_before"] == 0).all()
    sentences = saliency_sentences(summary)
    assert len(sentences) == len(CONCEPTS) and sentences[1].startswith("genre: probe accuracy")


def _saliency_runs(outcomes: dict, seeds=(0, 1)) -> pd.DataFrame:
    """A runs table of one concept from per-(state, seed) outcome vectors."""
    rows = []
    for state, per_seed in outcomes.items():
        for seed, out in zip(seeds, per_seed):
            out = np.asarray(out, dtype=bool)
            rows.append({"concept": "concept_genre", "model_state": state, "seed": seed,
                         "probe_acc": out.mean(), "probe_items": metrics.pack_outcomes(out),
                         "n_probe_test": len(out)})
    return pd.DataFrame(rows)


def test_saliency_intervals_resample_probe_items_and_pair_states_on_them():
    rng = np.random.default_rng(0)
    before = [rng.random(200) < 0.6 for _ in range(2)]
    after = [b.copy() for b in before]
    for a in after:  # the same items, 10 of them flipped from wrong to right: a small, exactly paired gain
        a[np.flatnonzero(~a)[:10]] = True
    summary = summarize_saliency(_saliency_runs({"before": before, "w2s": after})).set_index("model_state")
    w2s = summary.loc["w2s"]
    assert (summary["ci_over"] == "probe test items × seeds").all()
    assert w2s["change_from_before"] == pytest.approx(0.05)
    # paired on items: every resample keeps the gain positive; the accuracies' own intervals are wide
    assert 0 < w2s["change_ci_low"] <= 0.05 <= w2s["change_ci_high"]
    assert w2s["probe_acc_ci_high"] - w2s["probe_acc_ci_low"] > 0.05
    # the interval also covers test-sampling error, not only the two seeds
    assert summary.loc["before", "probe_acc_ci_high"] - summary.loc["before", "probe_acc_ci_low"] > 0.02

    seeds_only = summarize_saliency(_saliency_runs({"before": before, "w2s": after}).drop(columns="probe_items"))
    assert (seeds_only["ci_over"] == "seeds").all()


def test_w2s_backbone_learns_the_weak_labels_and_the_ceiling_the_ground_truth(tiny_corpus, small_splits,
                                                                               monkeypatch):
    seen = []
    real = engine.train_classifier

    def spy(model, tokenizer, texts, targets, cfg, *args, **kw):
        seen.append((list(texts), np.asarray(targets).copy()))
        return real(model, tokenizer, texts, targets, cfg, *args, **kw)

    monkeypatch.setattr(engine, "train_classifier", spy)
    _saliency(n_finetune=60)
    data = pipeline.task_data("sentiment", "smoke", 0)
    weak_rung, _ = cs.pick_rungs("tiny-test")
    weak_b, _ = pipeline.student_targets(data, pipeline.weak_supervisor(weak_rung, data, 0))
    (w2s_texts, w2s_targets), (ceil_texts, ceil_targets) = seen
    assert w2s_texts == ceil_texts == data.splits.B["text"].iloc[:60].tolist()
    np.testing.assert_allclose(w2s_targets, weak_b[:60], rtol=1e-6)
    assert not set(np.unique(w2s_targets)) <= {0.0, 1.0}, "soft weak labels, not B's ground truth"
    np.testing.assert_array_equal(ceil_targets, data.labels("B")[:60])


def test_finetuning_changes_only_the_last_block_and_the_head(tiny_corpus, small_splits):
    data = pipeline.task_data("sentiment", "smoke", 0)
    _, strong = cs.pick_rungs("tiny-test")
    tuned = cs.finetune_rung(strong, last_k=1, lr=1e-2, epochs=1)
    art = cs.finetuned_model(tuned, data, 0, "ceiling")
    trained = torch.load(art.file("trainable.pt"), weights_only=True)
    assert {n.split(".")[0] for n in trained} == {"backbone", "head"}
    assert {n.split(".")[2] for n in trained if n.startswith("backbone.")} == {str(strong.n_layer - 1)}
    before = cs.load_finetuned(tuned, None, "english").state_dict()
    after = cs.load_finetuned(tuned, art, "english").state_dict()
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    assert changed and changed <= set(trained)
    texts = data.splits.test["text"].tolist()[:20]
    assert not np.allclose(cs.representations(tuned, texts, "english"),
                           cs.representations(tuned, texts, "english", art))


def test_probe_sets_are_disjoint_and_leave_out_the_models_training_texts(small_splits):
    data = pipeline.task_data("sentiment", "smoke", 0)
    seen = set().union(*(data.splits[s]["text"] for s in ("A", "B", "val")))
    for concept in CONCEPTS:
        train, test = cs.probe_sets(concept, "smoke", 0, 30, 30, seen)
        assert len(train) == len(test) == 30
        assert not set(train["id"]) & set(test["id"]) and not set(train["text"]) & set(test["text"])
        assert not (set(train["text"]) | set(test["text"])) & seen
        splits = pipeline.make_splits(concept, 0, small_splits)
        assert set(train["id"]) <= set(splits.A["id"]) and set(test["id"]) <= set(splits.test["id"])
    with pytest.raises(ValueError, match="asked for 500"):
        cs.probe_sets("concept_genre", "smoke", 0, 500, 10)


def test_the_weak_supervisor_must_sit_below_the_strong_rung():
    assert [r.name for r in cs.pick_rungs("micro")] == ["tiny-s", "minilm-l3"]
    assert [r.name for r in cs.pick_rungs("smoke")] == ["minilm-l1", "minilm-l2"]
    assert cs.pick_rungs("micro", "minilm-l1")[0].name == "minilm-l1"
    with pytest.raises(ValueError, match="below the strongest"):
        cs.pick_rungs("smoke", "minilm-l2")


# ----------------------------------------------------------------------------- table 3

def _run_row(seed: int, student, weak, labels, **extra) -> dict:
    agree = metrics.agreement(np.array(student), np.array(weak), np.array(labels))
    return {"domain": "nlp", "task": "t", "method": "baseline", "weak_model": "w", "strong_model": "s",
            "weak_size": 1, "strong_size": 2, "seed": seed, "agreement": agree["agreement"],
            "agreement_weak_correct": agree["agreement_weak_correct"],
            "agreement_weak_wrong": agree["agreement_weak_wrong"], **extra}


def test_table3_splits_agreement_by_whether_the_supervisor_was_right():
    y = [1, 1, 1, 1, 0, 0, 0, 0]
    weak = [1, 1, 1, 0, 0, 0, 1, 1]          # right on items 0, 1, 2, 4, 5; wrong on 3, 6, 7
    seed0 = [1, 1, 0, 0, 0, 1, 0, 1]         # follows 3 of 5 right answers, 2 of 3 wrong ones
    seed1 = [1, 1, 1, 1, 0, 0, 0, 0]         # follows 5 of 5 right answers, 0 of 3 wrong ones
    runs = pd.DataFrame([_run_row(0, seed0, weak, y), _run_row(1, seed1, weak, y),
                         {**_run_row(0, seed1, weak, y), "method": "aux_conf"}])
    table = imitation_table(runs).set_index("method")
    base = table.loc["baseline"]
    assert base["n_seeds"] == 2
    assert base["agreement_weak_correct"] == pytest.approx((3 / 5 + 1) / 2)
    assert base["agreement_weak_wrong"] == pytest.approx((2 / 3 + 0) / 2)
    assert base["agreement_weak_wrong_ci_low"] <= base["agreement_weak_wrong"] <= base["agreement_weak_wrong_ci_high"]
    assert base["agreement_gap"] == pytest.approx(base["agreement_weak_correct"] - base["agreement_weak_wrong"])
    one = table.loc["aux_conf"]
    assert one["agreement_weak_correct"] == 1 and one["agreement_weak_wrong"] == 0
    assert np.isnan(one["agreement_weak_wrong_ci_low"]), "one seed: no interval"
    with pytest.raises(ValueError, match="more than one run for seed"):
        imitation_table(pd.concat([runs, runs.iloc[:1]]))


def test_read_runs_names_missing_tables_and_the_notebooks_that_write_them(tmp_path):
    y, weak = [1, 0, 1, 0], [1, 0, 0, 0]
    pd.DataFrame([_run_row(0, [1, 0, 0, 1], weak, y)]).to_csv(tmp_path / "runs_nlp.csv", index=False)
    pd.DataFrame({"task": ["d"], "variant": ["psi"], "seed": [0], "acc": [0.7]}).to_csv(
        tmp_path / "runs_framework.csv", index=False)
    runs, report = read_runs("micro", analysed_runs(), tmp_path)
    assert len(runs) == 1 and set(runs["source"]) == {"runs_nlp"}
    status = report.set_index("table")["status"]
    assert status["runs_nlp.csv"] == "read"
    assert "03_chess_w2s" in status["runs_chess.csv"] and "04_reward_modeling_w2s" in status["runs_rm.csv"]
    assert status["runs_framework.csv"].startswith("skipped")


# ----------------------------------------------------------------------------- overfitting

def test_on_epoch_observes_without_changing_the_probe():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(120, 8)), rng.uniform(size=120)
    xv, yv = rng.normal(size=(40, 8)), rng.uniform(size=40)
    cfg = ProbeConfig(epochs=5, select="weak_val", seed=3)
    seen = []
    observed = train_probe(x, y, cfg, xv, yv, on_epoch=lambda e, s, p, loss: seen.append((e, s, p.weight.copy(), loss)))
    plain = train_probe(x, y, cfg, xv, yv)
    np.testing.assert_array_equal(observed.weight, plain.weight)
    assert [e for e, *_ in seen] == [1, 2, 3, 4, 5] and [s for _, s, *_ in seen] == [2, 4, 6, 8, 10]
    best = int(np.argmin([loss for *_, loss in seen]))
    np.testing.assert_array_equal(seen[best][2], plain.weight, err_msg="weak_val returns the lowest-loss epoch")


def test_overfitting_curve_marks_the_epoch_that_select_weak_val_returns(tiny_corpus, small_splits):
    curve = overfitting_curve("sentiment", "tiny-test", [0, 1], "smoke", epochs=12)
    assert (curve.groupby("seed")["selected"].sum() == 1).all()
    assert curve.groupby("seed")["epoch"].apply(list).map(lambda e: e == list(range(1, 13))).all()
    weak_rung, strong = cs.pick_rungs("tiny-test")
    for seed, c in curve.groupby("seed"):
        data = pipeline.task_data("sentiment", "smoke", seed)
        feats = rung_features(strong, "english", data.universe)
        targets, val_weak = pipeline.student_targets(data, pipeline.weak_supervisor(weak_rung, data, seed))
        x = {s: feats[data.rows(s)["text"]] for s in ("B", "val", "test")}
        y = data.labels("test")
        stopped = train_probe(x["B"], targets, student_probe_config(strong, seed, "weak_val", 12), x["val"], val_weak)
        last = train_probe(x["B"], targets, student_probe_config(strong, seed, "last", 12))
        assert metrics.accuracy(stopped.predict_proba(x["test"]), y) == c.loc[c["selected"], "test_acc"].item()
        assert metrics.accuracy(last.predict_proba(x["test"]), y) == c["test_acc"].iloc[-1]
