"""The weak-to-strong methods beyond the baseline: bootstrapping, generative finetuning, human
raters as supervisors, and the ladder report (w2s_lib.methods, w2s_lib.tables)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from w2s_lib import grid, methods, pipeline, tables
from w2s_lib.models.ladder import get_ladder

LADDER = "minilm:1,minilm:2,minilm:3"   # three real rungs: one MiniLM pass serves all of them


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("methods-cache")


@pytest.fixture
def store(shared_cache, monkeypatch):
    """One store for the module: the MiniLM features and weak supervisors are computed once."""
    from w2s_lib.store import default_store

    monkeypatch.setenv("W2S_CACHE", str(shared_cache))
    return default_store()


def test_bootstrap_parts_are_disjoint_and_each_labels_the_next():
    data = pipeline.task_data("sentiment", "smoke", 0)
    parts = methods.bootstrap_parts(data, 3)
    ids = [set(p.splits.B["id"]) for p in parts]
    assert sum(map(len, ids)) == len(data.splits.B) and set().union(*ids) == set(data.splits.B["id"])
    assert all(not (a & b) for i, a in enumerate(ids) for b in ids[i + 1:])
    for k in range(2):  # step k's model labels step k + 1's examples
        assert set(parts[k].splits.Q["id"]) == ids[k + 1]
    assert parts[-1].splits.Q.empty
    for p in parts:  # test, val and A are untouched
        assert p.splits.test["id"].tolist() == data.splits.test["id"].tolist()
        assert p.splits.A["id"].tolist() == data.splits.A["id"].tolist()


def test_bootstrap_chain_passes_each_students_labels_on(store):
    rungs = get_ladder(LADDER)
    data = pipeline.task_data("sentiment", "smoke", 0)
    final, direct, steps = methods.bootstrap_student(rungs, data, 0, store=store)
    weak, middle = steps[0], steps[1]
    parts = methods.bootstrap_parts(data, 2)
    # the intermediate learned from the weak supervisor's labels of part 0 only...
    assert middle.meta["n_train"] == len(parts[0].splits.B)
    # ...and the final student's targets are the intermediate's labels of part 1, not the weak ones
    targets, _ = pipeline.student_targets(parts[1], middle)
    direct_targets, _ = pipeline.student_targets(parts[1], weak)
    assert np.allclose(targets, pipeline.read_labels(middle, "Q").loc[parts[1].splits.B["id"]].to_numpy())
    assert not np.allclose(targets, direct_targets)
    assert final.key != direct.key and final.meta["n_train"] == direct.meta["n_train"] == len(parts[1].splits.B)
    with pytest.raises(ValueError, match="intermediate"):
        methods.bootstrap_student(rungs[:2], data, 0, store=store)


def test_run_grid_runs_each_method_where_it_applies(store):
    runs = grid.run_grid(["sentiment"], LADDER, [0], "smoke",
                             methods=["baseline", "aux_conf", "bootstrap", "generative"], pairs="all", lm_steps=2)
    pairs = lambda m: set(zip(runs[runs.method == m].weak_model, runs[runs.method == m].strong_model))  # noqa: E731
    assert pairs("baseline") == pairs("aux_conf") == {("minilm-l1", "minilm-l2"), ("minilm-l1", "minilm-l3"),
                                                      ("minilm-l2", "minilm-l3")}
    assert pairs("bootstrap") == {("minilm-l1", "minilm-l3")}            # the only pair with a rung between
    assert pairs("generative") == {("minilm-l1", "minilm-l3"), ("minilm-l2", "minilm-l3")}  # largest strong only
    boot = runs[runs.method == "bootstrap"].iloc[0]
    assert 0 <= boot["direct_student_acc"] <= 1 and boot["chain"] == "minilm-l1 → minilm-l2 → minilm-l3"
    gen = runs[runs.method == "generative"].iloc[0]
    base = runs[(runs.method == "baseline") & (runs.strong_model == "minilm-l3")].iloc[0]
    assert gen["plain_ceiling_acc"] == pytest.approx(base["ceiling_acc"])
    table = tables.summarize(runs)
    assert set(table["method"]) == {"baseline", "aux_conf", "bootstrap", "generative"}
    comparison = tables.method_comparison(runs)
    assert len(comparison) == len(table) - 3  # every method row of a pair that has a baseline row
    assert comparison[["ci_low", "ci_high"]].notna().all().all()  # one seed: items alone give the interval
    assert (comparison["ci_low"] <= comparison["student − baseline"]).all()
    assert (comparison["student − baseline"] <= comparison["ci_high"]).all()


def test_generative_finetune_reads_no_test_text_and_is_reused(store):
    rung = get_ladder(LADDER)[0]
    data = pipeline.task_data("sentiment", "smoke", 0)
    texts = set(methods.unlabelled_inputs(data))
    assert texts and not texts & set(data.splits.test["text"])
    assert set(data.splits.B["text"]) <= texts  # unlabelled inputs include the training examples
    adapted = methods.generative_finetune(rung, data, steps=3, store=store)
    assert adapted.name == "minilm-l1+gen" and adapted.identity() != rung.identity()
    from safetensors.numpy import load_file
    from pathlib import Path

    weights = load_file(str(Path(adapted.source) / "model.safetensors"))
    assert any("encoder.layer.0" in k for k in weights) and not any("encoder.layer.1." in k for k in weights)
    built = len(store.built)
    again = methods.generative_finetune(rung, data, steps=3, store=store)
    assert again == adapted and len(store.built) == built


def test_human_rater_supervises_like_a_model(store):
    data = pipeline.task_data("rm_sentiment_pairs", "smoke", 0)
    human = methods.human_supervisor(data, store)
    b = pipeline.read_labels(human, "B").loc[data.splits.B["id"]].to_numpy()
    assert np.allclose(b, data.splits.B[methods.HUMAN_COLUMN].to_numpy())
    assert not np.allclose(b, data.labels("B"))  # one rater is not the oracle
    with pytest.raises(ValueError, match="no 'human_weak_prob'"):
        methods.human_supervisor(pipeline.task_data("gloss_topic", "smoke", 0), store)


def _table(ceilings, weak_acc, pgr_ci=(0.1, 0.3)):
    """A hand-made table 1: rungs r0 < r1 < ... with the given ceilings; r0 supervises every rung."""
    rows = []
    for i, c in enumerate(ceilings[1:], start=1):
        rows.append({"domain": "nlp", "task": "t", "method": "baseline", "weak_model": "r0", "strong_model": f"r{i}",
                     "weak_size": 1, "strong_size": 10 ** i, "weak_acc": weak_acc, "student_acc": weak_acc,
                     "ceiling_acc": c, "pgr": 0.2, "pgr_ci_low": pgr_ci[0], "pgr_ci_high": pgr_ci[1]})
    return pd.DataFrame(rows)


def test_ladder_check_reports_the_conditions_as_measured():
    good = tables.ladder_check(_table([0.6, 0.62, 0.7, 0.8], weak_acc=0.6)).iloc[0]
    assert good["rises ≥ 1 pt each rung"] and good["gap ≥ 5 pts"] and good["PGR CI excludes 0"]
    assert good["smallest step (pts)"] == pytest.approx(2.0)
    flat = tables.ladder_check(_table([0.6, 0.605, 0.63, 0.64], weak_acc=0.6, pgr_ci=(-0.2, 0.4))).iloc[0]
    assert not flat["rises ≥ 1 pt each rung"] and not flat["gap ≥ 5 pts"] and not flat["PGR CI excludes 0"]
