"""Artifact keys cover the content they depend on: editing data retrains exactly what it must."""
from __future__ import annotations

import pandas as pd
import pytest
from test_task_cards import CARD, reviews_csv, task_dir, write_card  # noqa: F401 - fixture

from w2s_lib import grid, pipeline
from w2s_lib.store import default_store


def _flip(csv, text):
    frame = pd.read_csv(csv)
    row = frame.index[frame["review"] == text][0]
    frame.loc[row, "verdict"] = {"good": "bad", "bad": "good"}[frame.loc[row, "verdict"]]
    frame.to_csv(csv, index=False)


def _built_roles(store):
    return sorted(store.get(k).manifest["spec"]["config"].get("role", k.split("-")[0]) for k in store.built)


@pytest.fixture
def my_task(task_dir):  # noqa: F811
    reviews_csv(task_dir / "reviews.csv", n=700)
    write_card(task_dir, CARD)
    return task_dir / "reviews.csv"


def test_one_label_edit_retrains_what_depends_on_it_and_nothing_else(my_task):
    store = default_store()
    first = grid.run_grid(["my_reviews"], "smoke", [0], "smoke")
    assert {k.split("-")[0] for k in store.built} == {"features", "model_labels"}

    store.built.clear()
    grid.run_grid(["my_reviews"], "smoke", [0], "smoke")
    assert store.built == [], "unchanged data: nothing retrains"

    data = pipeline.task_data("my_reviews", "smoke", 0)
    _flip(my_task, data.splits.A["text"].iloc[0])  # a ground-truth label the weak supervisor learns from
    grid.run_grid(["my_reviews"], "smoke", [0], "smoke")
    assert _built_roles(store) == ["student", "weak"], "not the ceiling (B), not the features (texts)"

    store.built.clear()
    _flip(my_task, data.splits.B["text"].iloc[0])  # a ground-truth label only the ceiling learns from
    before = grid.run_grid(["my_reviews"], "smoke", [0], "smoke")
    assert _built_roles(store) == ["ceiling"]

    store.built.clear()
    item = data.splits.test["text"].iloc[0]  # no model learns from test labels: only the scores change
    _flip(my_task, item)
    after = grid.run_grid(["my_reviews"], "smoke", [0], "smoke")
    assert store.built == []
    for role in ("weak", "student", "ceiling"):  # the same predictions, one item's truth flipped
        change = after.loc[0, f"{role}_acc"] - before.loc[0, f"{role}_acc"]
        assert abs(change) == pytest.approx(1 / first.loc[0, "n_test"]), role
