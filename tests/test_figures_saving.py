"""Figures are drawn from tables and saved with provenance; tables merge per domain."""
from __future__ import annotations

import json

import matplotlib
import pandas as pd

matplotlib.use("Agg")

from w2s_lib import figures  # noqa: E402
from w2s_lib.saving import merge_table, save_figure, save_table  # noqa: E402


def _table1(domain="nlp", pgr=0.3):
    rows = []
    for weak, ws in (("w1", 1e5), ("w2", 1e6)):
        for strong, ss in (("s1", 2e6), ("s2", 1e7)):
            rows.append({"domain": domain, "task": "t", "method": "baseline", "weak_model": weak, "weak_size": ws,
                         "strong_model": strong, "strong_size": ss, "weak_acc": 0.6, "student_acc": 0.65,
                         "ceiling_acc": 0.8, "pgr": pgr, "pgr_ci_low": pgr - 0.1, "pgr_ci_high": pgr + 0.1,
                         "pgr_flag": "ok"})
    return pd.DataFrame(rows)


def test_figures_have_one_panel_per_domain_and_save_pdf_png_and_sidecar(tmp_path, monkeypatch):
    table = pd.concat([_table1("nlp"), _table1("chess")])
    fig = figures.pgr_vs_size(table)
    assert len(fig.axes) == 2 and [a.get_title() for a in fig.axes] == ["NLP tasks", "Chess puzzles"]
    paths = save_figure(fig, "fig1_pgr_vs_size", preset="smoke", seeds=[0, 1], tables=["table1_main"])
    assert paths["pdf"].stat().st_size > 0 and paths["png"].stat().st_size > 0
    sidecar = json.loads(paths["json"].read_text())
    assert sidecar["preset"] == "smoke" and sidecar["seeds"] == [0, 1] and "git_commit" in sidecar
    assert len(figures.accuracy_vs_size(table).axes) == 2


def test_flagged_pgrs_are_not_drawn():
    table = _table1()
    table.loc[0, "pgr_flag"] = "unreliable"
    table.loc[0, "pgr"] = 36.0
    fig = figures.pgr_vs_size(table)
    drawn = [y for line in fig.axes[0].get_lines() for y in line.get_ydata()]
    assert 36.0 not in drawn


def test_a_panel_whose_reliable_pgrs_share_one_size_still_shows_them():
    """A domain with one reliable pair (every other PGR flagged) once drew an empty log axis."""
    table = pd.concat([_table1("nlp"), _table1("chess")], ignore_index=True)
    chess = table["domain"] == "chess"
    table.loc[chess & (table["strong_size"] == 1e7), "pgr_flag"] = "unreliable"
    fig = figures.pgr_vs_size_by_method(table)
    low, high = fig.axes[1].get_xlim()
    assert low < 2e6 < high and high / low > 2


def test_merge_table_replaces_only_the_rows_of_the_same_domain_and_method():
    save_table(pd.concat([_table1("nlp", 0.1), _table1("chess", 0.2)]), "table1_main", preset="smoke")
    merged = merge_table(_table1("nlp", 0.9), "table1_main", preset="smoke", replace_on=["domain", "method"])
    assert sorted(merged.groupby("domain")["pgr"].first().round(1).items()) == [("chess", 0.2), ("nlp", 0.9)]
    assert len(merged) == 8


def test_a_run_on_one_task_keeps_the_rows_of_every_other_task():
    builtin = _table1("nlp", 0.1)
    save_table(builtin, "table1_main", preset="smoke")
    mine = _table1("nlp", 0.9).assign(task="my_reviews")
    keys = ["domain", "task", "method", "weak_model", "strong_model"]
    merged = merge_table(mine, "table1_main", preset="smoke", replace_on=keys)
    assert len(merged) == 8 and sorted(merged.groupby("task")["pgr"].first().round(1).items()) == [
        ("my_reviews", 0.9), ("t", 0.1)]
    rerun = merge_table(_table1("nlp", 0.5), "table1_main", preset="smoke", replace_on=keys)
    assert len(rerun) == 4  # the same task again replaces its own rows only


def test_error_types_of_two_tasks_keep_both_in_the_table_and_get_a_panel_each():
    """Running notebook 07 on a task of one's own adds its taxonomy beside the built-in one."""
    from types import SimpleNamespace

    from w2s_lib import experiments
    from w2s_lib.alignment import ERROR_TYPES
    from w2s_lib.paths import tables_dir

    def errors(task, share):
        return pd.DataFrame({"task": task, "error_type": list(ERROR_TYPES), "count": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                             "fraction": share, "fraction_ci_low": [s - 0.05 for s in share],
                             "fraction_ci_high": [s + 0.05 for s in share], "n_seeds": 3})

    for task, share in (("debate_wordnet", [0.1, 0.2, 0.3, 0.2, 0.1, 0.1]), ("my_debates", [0.4, 0.2, 0.1, 0.1, 0.1, 0.1])):
        cfg = SimpleNamespace(task=task, preset="smoke", seeds=[0])
        experiments.save_error_types(errors(task, share), cfg, wall_time_s=0.0)
    stored = pd.read_csv(tables_dir("smoke") / "error_types.csv")
    assert sorted(set(stored["task"])) == ["debate_wordnet", "my_debates"] and len(stored) == 12
    assert len(figures.error_types(stored).axes) == 2
