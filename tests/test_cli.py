"""The `w2s` command: check-params, tasks, cache and reproduce (failures gathered, not fatal)."""
from __future__ import annotations

import json
import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from w2s_lib import cli, runner


def _w2s(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "w2s_lib", *args], capture_output=True, text=True,
                          timeout=300)


def test_check_params_on_a_bad_file_prints_one_line_per_problem_and_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: micro\nnotebooks:\n  01_data:\n    n_exmples: 3\n    seed: '0'\n"
                   "    tasks: [sentimen]\n")
    result = _w2s("check-params", str(bad))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3, result.stdout
    assert "n_exmples" in lines[0] or any("n_exmples" in ln for ln in lines)
    assert any("seed" in ln for ln in lines) and any("sentimen" in ln for ln in lines)


def test_check_params_accepts_the_committed_offline_presets():
    """(paper.yaml is valid too, but offline it needs the hub's models: tests/test_hub_access.py)"""
    result = _w2s("check-params", "params/smoke.yaml", "params/micro.yaml", "params/micro_extended.yaml",
                  "params/micro_seeds5.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_tasks_json_lists_name_domain_and_split_sizes(capsys):
    assert cli.main(["tasks", "--json", "--scope", "micro"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, "no micro task registered"
    for row in rows:
        assert {"name", "domain", "A", "B", "val", "test", "source"} <= set(row)
        assert row["domain"] in ("nlp", "chess", "reward_modeling", "debate", "concepts")


def test_cache_commands_run_on_an_empty_store(capsys):
    assert cli.main(["cache", "ls"]) == 0
    assert cli.main(["cache", "du"]) == 0
    assert cli.main(["cache", "clean"]) == 2  # refuses to guess what to remove
    assert cli.main(["cache", "clean", "--temporary"]) == 0


def _notebook(path, *sources, params="preset = 'smoke'"):
    nb = new_notebook(cells=[new_code_cell(params, metadata={"tags": ["parameters"]}),
                             *[new_code_cell(s) for s in sources]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_reproduce_runs_every_notebook_and_gathers_every_failure(tmp_path, monkeypatch):
    books, params = tmp_path / "notebooks", tmp_path / "params"
    books.mkdir(), params.mkdir()
    _notebook(books / "00_overview.ipynb", "x = 1", "raise ValueError('first broken')")
    _notebook(books / "01_data.ipynb", "import math", "1 / 0",
              params="preset = 'smoke'\ntasks = []\nn_examples = 3\nseed = 0")
    (params / "smoke.yaml").write_text("preset: smoke\nnotebooks:\n  00_overview: {}\n  01_data: {}\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)
    monkeypatch.setattr(runner, "PARAMS_DIR", params)
    failures = runner.reproduce("smoke", log=lambda *_: None)
    assert [f.notebook for f in failures] == ["00_overview", "01_data"]
    assert "ValueError: first broken" in failures[0].error and "ZeroDivisionError" in failures[1].error
    assert failures[0].cell.startswith("[")


def test_reproduce_refuses_before_running_when_a_key_is_not_a_notebook_parameter(tmp_path, monkeypatch):
    books, params = tmp_path / "notebooks", tmp_path / "params"
    books.mkdir(), params.mkdir()
    _notebook(books / "01_data.ipynb", "raise SystemExit('must not run')", params="preset = 'smoke'")
    (params / "smoke.yaml").write_text("preset: smoke\nnotebooks:\n  01_data:\n    seed: 0\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)
    monkeypatch.setattr(runner, "PARAMS_DIR", params)
    try:
        runner.reproduce("smoke", log=lambda *_: None)
    except runner.ConfigError as err:
        assert err.problems == [f"{params / 'smoke.yaml'}: 01_data: key 'seed' is not a parameter of the notebook"]
    else:
        raise AssertionError("expected a ConfigError")


def test_reproduce_with_an_unknown_preset_exits_2_and_names_the_known_ones():
    result = _w2s("reproduce", "--preset", "huge")
    assert result.returncode == 2
    assert "known presets: micro, micro_extended, micro_lm_debate, micro_mpnet, micro_same_family, micro_seeds5, paper, smoke" in result.stderr


def test_reproduce_runs_the_notebooks_a_params_file_of_ones_own_names(tmp_path, monkeypatch):
    books = tmp_path / "notebooks"
    books.mkdir()
    _notebook(books / "00_overview.ipynb", "raise SystemExit('not named in the file: must not run')")
    _notebook(books / "01_data.ipynb", "print(n_examples)",
              params="preset = 'smoke'\ntasks = []\nn_examples = 3\nseed = 0")
    mine = tmp_path / "elsewhere" / "my_run.yaml"
    mine.parent.mkdir()
    mine.write_text("preset: smoke\nnotebooks:\n  01_data:\n    n_examples: 5\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)
    log = []
    assert runner.reproduce(params=mine, log=log.append) == []
    assert [line for line in log if line.endswith("...")] == ["[1/1] 01_data ..."]
    executed = nbformat.read(runner.build_dir() / "my_run" / "01_data.ipynb", as_version=4)
    assert "n_examples = 5" in "".join(c.source for c in executed.cells)


def test_a_params_files_results_name_keeps_the_presets_own_results_apart(tmp_path, monkeypatch):
    books = tmp_path / "notebooks"
    books.mkdir()
    _notebook(books / "01_data.ipynb",
              "from w2s_lib.saving import save_table\nimport pandas as pd\n"
              "save_table(pd.DataFrame({'seed': [seed]}), 'seeds_seen', preset=preset, seeds=[seed])",
              params="preset = 'smoke'\ntasks = []\nn_examples = 3\nseed = 0")
    variant = tmp_path / "smoke_seed7.yaml"
    variant.write_text("preset: smoke\nresults: smoke_seed7\nnotebooks:\n  01_data:\n    seed: 7\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)
    assert runner.reproduce(params=variant, log=lambda line: None) == []
    from w2s_lib.paths import results_dir

    assert (results_dir("smoke", "smoke_seed7") / "tables" / "seeds_seen.csv").read_text().splitlines()[1:] == ["7"]
    assert not (results_dir("smoke") / "tables" / "seeds_seen.csv").exists(), "the preset's own results untouched"

    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: smoke\nresults: ../elsewhere\nnotebooks:\n  01_data: {}\n")
    problems = runner.check_params_file(bad)
    assert len(problems) == 1 and "results: must be a folder name under results/" in problems[0]


def test_preset_takes_names_and_points_files_to_params():
    result = _w2s("reproduce", "--preset", "/tmp/mine.yaml")
    assert result.returncode == 2 and "use --params /tmp/mine.yaml" in result.stderr


def test_the_live_status_shows_the_running_step_its_progress_and_the_time_left(tmp_path, monkeypatch):
    from w2s_lib.progress import PROGRESS_ENV, progress

    executed = tmp_path / "nb.ipynb"
    status = runner.LiveStatus("[2/9] 02_nlp_w2s", executed, estimate=600.0)
    # what a kernel reports while it pretrains (the runner names the file in its environment)
    monkeypatch.setenv(PROGRESS_ENV, str(status.file))
    with progress(total=300, desc="pretrain tiny-m on english", disable=True) as bar:
        bar.update(150)
        status.poll()
        line = status.line()
    status.poll()
    after = status.line()
    status.close()
    assert line.startswith("[2/9] 02_nlp_w2s · pretrain tiny-m on english ██████······ 150/300 · ")
    assert "elapsed, ~9:" in line or "elapsed, ~10:" in line
    assert "pretrain" not in after, "a closed step leaves the line"
    assert not status.file.exists()


def test_reproduce_prints_no_status_line_when_not_on_a_terminal(tmp_path, monkeypatch, capsys):
    books = tmp_path / "notebooks"
    books.mkdir()
    _notebook(books / "01_data.ipynb", "x = 1", params="preset = 'smoke'\ntasks = []\nn_examples = 3\nseed = 0")
    mine = tmp_path / "mine.yaml"
    mine.write_text("preset: smoke\nnotebooks:\n  01_data: {}\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)
    assert runner.reproduce(params=mine) == []
    out = capsys.readouterr().out
    assert "\r" not in out and "[1/1] 01_data ok" in out


def test_a_notebook_whose_inputs_and_outputs_are_unchanged_is_not_run_again(tmp_path, monkeypatch):
    """Warm reruns skip notebooks whose text, parameters, library and read tables are unchanged and
    whose outputs are in place; any change (or --force, or a missing output) runs it again."""
    from w2s_lib.paths import results_dir

    books = tmp_path / "notebooks"
    books.mkdir()
    code = ("from pathlib import Path; from w2s_lib.paths import tables_dir\n"
            "tables_dir(preset).mkdir(parents=True, exist_ok=True)\n"
            "(tables_dir(preset) / 'mine.csv').write_text(str(n_examples))")
    _notebook(books / "01_data.ipynb", code, params="preset = 'smoke'\ntasks = []\nn_examples = 3\nseed = 0")
    mine = tmp_path / "my_run.yaml"
    mine.write_text("preset: smoke\nnotebooks:\n  01_data:\n    n_examples: 5\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)

    def run(**kw):
        log = []
        assert runner.reproduce(params=mine, log=log.append, **kw) == []
        return [line for line in log if line.startswith("[1/1]")]

    assert run()[0] == "[1/1] 01_data ..."
    out = results_dir("smoke") / "tables" / "mine.csv"
    assert out.read_text() == "5"
    assert run()[0].startswith("[1/1] 01_data up to date")
    assert run(force=True)[0].startswith("[1/1] 01_data ...")
    out.unlink()                                              # an output went missing
    assert run()[0].startswith("[1/1] 01_data ...") and out.exists()
    mine.write_text("preset: smoke\nnotebooks:\n  01_data:\n    n_examples: 6\n")  # a parameter changed
    assert run()[0].startswith("[1/1] 01_data ...") and out.read_text() == "6"
    assert run()[0].startswith("[1/1] 01_data up to date")
