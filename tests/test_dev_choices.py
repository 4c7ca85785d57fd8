"""The dev split and the settings chosen on it: dev is fixed, disjoint from every other split and
outside the working pool (so A, B, val and Q did not move when it was added); choosing on dev
reads no test label (flipping every test label leaves the search's table bit for bit the same,
while flipping dev's changes it); the rules pick what they say."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from w2s_lib import choices, pipeline
from w2s_lib.data import splits as splits_mod
from w2s_lib.data.splits import SplitSizes, make_splits, scored_on_dev, sizes_for_preset
from w2s_lib.models import get_ladder
from w2s_lib.store import ArtifactStore
from w2s_lib.training.probe import ProbeConfig

DEV_SIZES = SplitSizes(n_a=80, n_b=80, n_val=40, n_test=100, n_q=30, working_pool=240, n_dev=60)


@pytest.fixture
def dev_splits(monkeypatch):
    monkeypatch.setattr(pipeline, "sizes_for_preset", lambda task, preset: DEV_SIZES)
    pipeline._universe.cache_clear()
    yield DEV_SIZES
    pipeline._universe.cache_clear()


def test_dev_is_fixed_disjoint_and_outside_the_working_pool():
    sizes = sizes_for_preset("sentiment", "micro")
    assert sizes.n_dev == 1000
    a, b = make_splits("sentiment", 0, sizes), make_splits("sentiment", 1, sizes)
    assert a.dev["id"].tolist() == b.dev["id"].tolist()  # like test, the same for every seed
    a.assert_disjoint()
    without_dev = make_splits("sentiment", 0, SplitSizes(**{**vars(sizes), "n_dev": 0}))
    for name in ("A", "B", "val", "Q", "test"):  # adding dev moved no example of any other split
        assert a[name]["id"].tolist() == without_dev[name]["id"].tolist(), name


def test_scored_on_dev_puts_dev_where_test_was():
    sizes = sizes_for_preset("gloss_topic", "micro")
    plain = make_splits("gloss_topic", 0, sizes)
    with scored_on_dev():
        chosen = make_splits("gloss_topic", 0, sizes)
    assert chosen.held_out == "dev" and plain.held_out == "test"
    assert chosen.test["id"].tolist() == plain.dev["id"].tolist()
    assert not set(chosen.test["id"]) & set(plain.test["id"])
    assert not set(chosen.ids()["test"]) & set().union(*(chosen.ids()[s] for s in ("A", "B", "val", "Q")))
    assert chosen.fingerprint() != plain.fingerprint()  # models scored on dev are stored apart


def test_a_task_with_no_dev_left_says_so():
    splits = make_splits("sentiment", 0, SplitSizes(n_a=50, n_b=50, n_val=10, n_test=50, working_pool=200))
    with pytest.raises(ValueError, match="no dev split"):
        splits.scored_on_dev()


def test_dev_features_are_a_pass_of_their_own_appended_to_the_universe(dev_splits, tmp_path):
    store = ArtifactStore(tmp_path)
    rung = get_ladder("smoke")[0]
    plain = pipeline.task_data("sentiment", "smoke", 0)
    with scored_on_dev():
        dev = pipeline.task_data("sentiment", "smoke", 0)
    assert dev.universe[: len(plain.universe)] == plain.universe and len(dev.parts) == 2
    together = dev.features(rung, store)
    from w2s_lib.training.features import rung_features

    alone = rung_features(rung, "english", dev.universe[len(plain.universe):], store)
    np.testing.assert_array_equal(together[: len(plain.universe)], plain.features(rung, store))
    np.testing.assert_array_equal(together[len(plain.universe):], alone)


def _search(store: ArtifactStore) -> pd.DataFrame:
    table, _ = choices.choose_on_dev(["sentiment"], "smoke", [0], "smoke", store=store)
    return table


@pytest.fixture
def short_grids(monkeypatch):
    """Two settings a choice: every search still runs, in half the time."""
    monkeypatch.setattr(choices, "PROBE_CHOICES", tuple(
        choices.ProbeChoice(c.name, c.option, c.grid[1:3]) for c in choices.PROBE_CHOICES))
    monkeypatch.setattr(choices, "PHI_WEIGHTS", (0.5, 1.0))


def _flip(monkeypatch, which: str) -> None:
    real = splits_mod._held_out_and_working_pool

    def flipped(task, sizes, balance):
        test, dev, rest = real(task, sizes, balance)
        frames = {"test": test, "dev": dev}
        frames[which] = frames[which].assign(label=1 - frames[which]["label"])
        return frames["test"], frames["dev"], rest

    monkeypatch.setattr(splits_mod, "_held_out_and_working_pool", flipped)


def test_choosing_on_dev_reads_no_test_label(dev_splits, short_grids, monkeypatch, tmp_path):
    real_pools = splits_mod._held_out_and_working_pool
    first = ArtifactStore(tmp_path / "before")
    before = _search(first)
    assert set(before["choice"]) == {c.name for c in choices.PROBE_CHOICES} | {"MiniLM depths",
                                                                               "Φ's weight on the teacher's term"}

    def fresh(name: str) -> ArtifactStore:  # only the frozen features (functions of texts) carry over
        shutil.copytree(first.root / "features", tmp_path / name / "features")
        return ArtifactStore(tmp_path / name)

    _flip(monkeypatch, "test")
    pd.testing.assert_frame_equal(before, _search(fresh("test flipped")))
    monkeypatch.setattr(splits_mod, "_held_out_and_working_pool", real_pools)
    _flip(monkeypatch, "dev")  # the negative control: the search does read dev
    flipped_dev = _search(fresh("dev flipped"))
    assert not np.allclose(before["ceiling_acc"], flipped_dev["ceiling_acc"], equal_nan=True)


def _probe_rows(settings, gain, gap, ceiling, preset):
    """One pair per setting on one task: weak 0.5, student 0.5 + gain, ceiling 0.5 + gap (or ``ceiling``)."""
    return pd.DataFrame({"setting": settings, "task": "t", "weak_acc": 0.5, "student_acc": 0.5 + np.array(gain),
                         "ceiling_acc": ceiling if ceiling is not None else 0.5 + np.array(gap),
                         "preset_setting": preset})


def test_the_probe_rule_takes_the_best_pooled_pgr_among_near_best_ceilings():
    rows = _probe_rows([0.1, 1.0, 10.0], gain=[0.03, 0.09, 0.1], gap=None, ceiling=[0.80, 0.795, 0.70], preset=0.1)
    assert choices.pick(rows) == 1.0  # 10.0 recovers most of its gap, but its ceiling fell 10 points
    tie = _probe_rows([0.1, 1.0], gain=[0.1, 0.1], gap=[0.3, 0.3], ceiling=None, preset=1.0)
    assert choices.pick(tie) == 1.0  # ties go to the preset's setting


def test_pooling_keeps_a_pair_with_a_tiny_gap_from_ruling_the_pgr():
    rows = pd.DataFrame({"setting": ["a", "a", "b", "b"], "task": "t", "weak_acc": [0.5, 0.9, 0.5, 0.9],
                         "student_acc": [0.65, 0.88, 0.62, 0.905], "ceiling_acc": 0.905, "preset_setting": "b"})
    # per-pair PGRs: a = 0.37 and -4.0, b = 0.30 and 1.0 (a mean picks b); pooled: a = 0.13/0.41, b = 0.125/0.41
    assert choices.rule_scores(rows).loc["a", "score"] == pytest.approx(0.13 / 0.41)
    assert choices.pick(rows) == "a"


def test_a_rule_with_no_defined_score_keeps_the_presets_setting():
    rows = _probe_rows([0.1, 1.0], gain=[0.1, 0.1], gap=[-0.1, 0.0], ceiling=None, preset=1.0)
    assert choices.pick(rows) == 1.0  # no ceiling above its weak model: no PGR to compare


def test_the_depth_rule_takes_the_largest_smallest_step():
    rows = pd.DataFrame({"setting": ["1+2", "1+3", "2+3"], "task": "t", "ceiling_acc": 0.8,
                         "smallest_step": [0.001, 0.02, 0.01], "preset_setting": "2+3"})
    assert choices.pick(rows) == "1+3"


def test_a_setting_equal_to_the_presets_leaves_every_rung_as_the_preset_has_it():
    rungs = get_ladder("micro")
    for choice in choices.PROBE_CHOICES:
        same = choice.ladder_with(rungs, choice.preset_value(rungs))
        assert [r.key_config() for r in same] == [r.key_config() for r in rungs], choice.name
    by_option = {c.option: c for c in choices.PROBE_CHOICES}
    assert by_option["weight_decay"].preset_value(rungs) == 3.0
    assert all(r.extra["probe"]["epochs"] == 10 for r in by_option["epochs"].ladder_with(rungs, 10))
    default = by_option["lr"].ladder_with(rungs, ProbeConfig().lr)  # a default is left out of the key
    assert all("lr" not in r.extra["probe"] for r in default)


def test_the_debate_settings_are_chosen_on_dev_and_dev_units_leave_the_rest_alone(tmp_path):
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.debate.items import items_from_frame
    from w2s_lib.data.registry import load_pool

    items = items_from_frame(load_pool("debate_wordnet").head(30))
    rung = get_ladder("smoke")[0]
    alone, more = UnitEmbeddings(rung, items[:20]), UnitEmbeddings(rung, items[:20], extra_items=items[20:])
    units = alone.texts[:50]
    np.testing.assert_array_equal(alone(units, centred=True), more(units, centred=True))
    assert len(more.texts) > len(alone.texts) and more.key() != alone.key()

    rows = choices.debate_search("debate_wordnet", "smoke", [0], "smoke", jury_size=3, store=ArtifactStore(tmp_path))
    assert set(rows["choice"]) == {"debater's contrast term", "judge's features", "jury size"}
    assert rows["dev_acc"].between(0, 1).all() and (rows["rule"] == "dev accuracy").all()
    picked = {name: choices.pick(part) for name, part in rows.groupby("choice")}
    assert picked["jury size"] in {"1", "3", "5"} and picked["judge's features"] in choices.JUDGE_PARTS
