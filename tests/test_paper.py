"""Notebook 09's library: the paper assembled from stored tables only (w2s_lib.paper)."""
from __future__ import annotations

import pandas as pd
import pytest

from w2s_lib import metrics, paper
from w2s_lib.paths import figures_dir
from w2s_lib.saving import save_table


def _runs() -> pd.DataFrame:
    """Per-seed runs of two domains, three rungs, two methods (made-up accuracies)."""
    rows = []
    for domain, task in (("nlp", "sentiment"), ("reward_modeling", "rm_sentiment_pairs")):
        for method, lift in (("baseline", 0.02), ("aux_conf", 0.04)):
            for (weak, ws, wa), (strong, ss, ca) in (((("a", 1e5, 0.6), ("b", 1e6, 0.7))),
                                                      ((("a", 1e5, 0.6), ("c", 1e7, 0.8))),
                                                      ((("b", 1e6, 0.7), ("c", 1e7, 0.8)))):
                for seed in (0, 1, 2):
                    rows.append({"domain": domain, "task": task, "method": method, "weak_model": weak,
                                 "strong_model": strong, "weak_size": ws, "strong_size": ss, "seed": seed,
                                 "weak_acc": wa + 0.002 * seed, "student_acc": wa + lift + 0.003 * seed,
                                 "ceiling_acc": ca, "agreement_weak_correct": 0.9, "agreement_weak_wrong": 0.5})
    return pd.DataFrame(rows)


def test_a_missing_result_names_the_notebook_that_makes_it():
    with pytest.raises(paper.MissingResult, match="07_alignment"):
        paper.load("error_types", "smoke")
    status = paper.status("smoke")
    assert not status["present"].any() and set(paper.TABLES) <= set(status["result"])


def test_figures_1_to_3_are_redrawn_from_table_1_with_captions(tmp_path):
    table = metrics.summarize_runs(_runs(), by=["domain", "task", "method", "weak_model", "strong_model",
                                                "weak_size", "strong_size"])
    save_table(table, "table1_main", preset="smoke", seeds=[0, 1, 2])
    for fig in paper.FIGURES[:3]:
        drawn, caption = paper.draw(fig, "smoke")
        assert len(drawn.axes) == 2  # one panel per domain
        assert "Preset `smoke`, seeds [0, 1, 2]" in caption and "this package's own" in caption
        assert (figures_dir("smoke") / f"{fig.name}.png").exists()
    copied = paper.refresh_gallery("smoke", gallery=tmp_path / "gallery")
    assert sorted(p.name for p in copied) == sorted(f"{f.name}.png" for f in paper.FIGURES[:3])
    assert (tmp_path / "gallery" / "fig1_pgr_vs_size.provenance.json").exists()
