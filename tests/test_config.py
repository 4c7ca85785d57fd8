"""The config layer: every bad parameter is one clear line, before any compute."""
from __future__ import annotations

import pytest

from w2s_lib import config, parameters
from w2s_lib.config import ConfigError
from w2s_lib.notebook_params import DataParams


def test_unknown_key_is_named_with_a_suggestion_and_the_accepted_keys():
    with pytest.raises(ConfigError) as err:
        config.validate(DataParams, {"preset": "smoke", "n_exampels": 3})
    (line,) = err.value.problems
    assert "unknown key 'n_exampels'" in line and "did you mean 'n_examples'" in line
    assert "accepted keys: preset, tasks, n_examples, seed" in line


def test_wrong_type_and_out_of_range_are_reported_together():
    with pytest.raises(ConfigError) as err:
        config.validate(DataParams, {"preset": "smoke", "seed": "zero", "n_examples": 500})
    problems = err.value.problems
    assert len(problems) == 2
    assert any(p.startswith("params: seed:") and "integer" in p for p in problems)
    assert any(p.startswith("params: n_examples:") and "20" in p for p in problems)


def test_unknown_task_name_lists_the_registered_tasks():
    with pytest.raises(ConfigError) as err:
        config.validate(DataParams, {"preset": "smoke", "tasks": ["no_such_task"]})
    (line,) = err.value.problems
    assert "tasks.0" in line and "unknown task 'no_such_task'" in line and "registered tasks:" in line


def test_from_globals_catches_a_misspelled_papermill_parameter():
    namespace = {"preset": "smoke", "tasks": [], "n_examples": 3, "seed": 0, "sede": 1,
                 "In": [], "_": None, "config": config}
    with pytest.raises(ConfigError) as err:
        parameters.from_globals("01_data", namespace)
    assert err.value.problems == [
        "01_data: unknown key 'sede' (did you mean 'seed'?); accepted keys: preset, tasks, n_examples, seed"]


def test_from_globals_returns_a_frozen_config():
    cfg = parameters.from_globals("01_data", {"preset": "micro", "tasks": [], "n_examples": 2, "seed": 4})
    assert (cfg.preset, cfg.n_examples, cfg.seed) == ("micro", 2, 4)
    with pytest.raises(Exception):
        cfg.seed = 5


def test_check_params_reports_key_type_and_task_one_line_each(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: micro\nnotebooks:\n  01_data:\n    taks: [sentiment]\n"
                   "    seed: one\n    tasks: [sentimnet]\n")
    problems = parameters.check_params_file(bad)
    assert len(problems) == 3, problems
    assert any("unknown key 'taks'" in p for p in problems)
    assert any("seed" in p and "integer" in p for p in problems)
    assert any("unknown task 'sentimnet'" in p for p in problems)


def test_check_params_rejects_unknown_notebooks_and_presets(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: huge\nnotebooks:\n  01_dta: {}\n")
    problems = parameters.check_params_file(bad)
    assert any("preset: must be one of smoke, micro, paper" in p for p in problems)
    assert any("unknown notebook '01_dta' (did you mean '01_data'?)" in p for p in problems)


def test_missing_and_malformed_files_are_problems_not_crashes(tmp_path):
    assert "no such file" in parameters.check_params_file(tmp_path / "none.yaml")[0]
    broken = tmp_path / "broken.yaml"
    broken.write_text("preset: [unclosed\n")
    assert "not valid YAML" in parameters.check_params_file(broken)[0]


def test_a_list_given_to_papermill_as_json_text_is_read_as_a_list():
    # `papermill -p tasks '["sentiment"]'` injects the text of the list
    cfg = parameters.from_globals("01_data", {"preset": "smoke", "tasks": '["sentiment", "gloss_topic"]',
                                          "n_examples": 3, "seed": 0})
    assert cfg.tasks == ["sentiment", "gloss_topic"]


def test_text_that_is_not_a_list_fails_with_a_hint_to_use_json_or_yaml():
    with pytest.raises(ConfigError) as err:
        parameters.from_globals("01_data", {"preset": "smoke", "tasks": "sentiment", "n_examples": 3, "seed": 0})
    (line,) = err.value.problems
    assert "tasks: expected a list, got the text 'sentiment'" in line
    assert """-p tasks '["a", "b"]'""" in line and "-y 'tasks: [a, b]'" in line
