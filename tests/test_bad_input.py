"""Bad parameters are rejected before any compute, each with a message that names what to fix."""
from __future__ import annotations

import pytest
from test_task_cards import task_dir, write_card  # noqa: F401 - fixture

from w2s_lib import config, parameters
from w2s_lib.manifest import schema_for

CASES = [
    # (notebook, values, what the one message must say)
    ("01_data", {"n_exmples": 3}, "unknown key 'n_exmples' (did you mean 'n_examples'?)"),
    ("01_data", {"seed": "0"}, "seed: Input should be a valid integer"),
    ("01_data", {"seed": -1}, "seed: Input should be greater than or equal to 0"),
    ("01_data", {"n_examples": 0}, "n_examples: Input should be greater than or equal to 1"),
    ("01_data", {"n_examples": 21}, "n_examples: Input should be less than or equal to 20"),
    ("01_data", {"tasks": ["sentimnt"]}, "unknown task 'sentimnt' (did you mean sentiment"),
    ("01_data", {"preset": "huge"}, "preset: Input should be 'smoke', 'micro' or 'paper'"),
    ("02_nlp_w2s", {"tasks": []}, "tasks: List should have at least 1 item"),
    ("02_nlp_w2s", {"tasks": ["chess_puzzles"]}, "task 'chess_puzzles' is not an NLP task"),
    ("02_nlp_w2s", {"seeds": []}, "seeds: List should have at least 1 item"),
    ("02_nlp_w2s", {"seeds": [0, -2]}, "seeds.1: Input should be greater than or equal to 0"),
    ("02_nlp_w2s", {"seeds": 0}, "seeds: Input should be a valid list"),
    ("02_nlp_w2s", {"ladder": "mikro"}, "unknown ladder 'mikro' (did you mean 'micro'?)"),
    ("02_nlp_w2s", {"ladder": "./no/such/model,./neither"}, "does not exist"),
    ("02_nlp_w2s", {"ladder": "minilm:2"}, "a ladder needs at least a weak and a strong one"),
    ("02_nlp_w2s", {"ladder": "minilm:1,minilm:9"}, "MiniLM truncations are minilm:1 ... minilm:6"),
    ("02_nlp_w2s", {"methods": ["bootstrapping"]}, "unknown method 'bootstrapping'; accepted: baseline"),
    ("02_nlp_w2s", {"methods": []}, "methods: List should have at least 1 item"),
    ("02_nlp_w2s", {"pairs": "every"}, "pairs: Input should be 'all', 'to_largest' or 'adjacent'"),
    ("02_nlp_w2s", {"tasks": "sentiment"}, "tasks: Input should be a valid list"),
    ("05_facilitation", {"teacher": "oracle"}, "teacher: Input should be 'student', 'zero_shot' or 'ceiling'"),
    ("05_facilitation", {"other_teachers": ["student"]}, "other_teachers repeats the main teacher 'student'"),
    ("05_facilitation", {"nlp_tasks": ["debate_wordnet"]}, "task 'debate_wordnet' is not an NLP task"),
    ("05_facilitation", {"task": "sentiment"}, "task 'sentiment' is not a debate task"),
    ("06_debate", {"judge_rung": "minilm-l2"}, "judge_rung 'minilm-l2' must be a rung of ladder 'smoke' below"),
    ("06_debate", {"judge_rung": "tiny-xs"}, "accepted: minilm-l1"),
    ("06_debate", {"protocols": ["debate", "market"]}, "protocols.1: Input should be 'debate', 'consultancy'"),
    ("06_debate", {"protocols": ["debate", "debate"]}, "protocols: each at most once"),
    ("06_debate", {"rounds": 0}, "rounds: Input should be greater than or equal to 1"),
    ("06_debate", {"quotes_per_round": 9}, "quotes_per_round: Input should be less than or equal to 4"),
    ("06_debate", {"judge": "human"}, "judge: Input should be 'pair', 'text' or 'lm'"),
    ("06_debate", {"debater": "./missing-llm"}, "debater: 'extractive' or a causal LM"),
    ("07_alignment", {"jury_size": 0}, "jury_size: Input should be greater than or equal to 1"),
    ("07_alignment", {"protocol": "blind"}, "protocol: Input should be 'debate' or 'consultancy'"),
    ("07_alignment", {"method": "boost"}, "unknown method 'boost'"),
]


@pytest.mark.parametrize("notebook,values,message", CASES, ids=[f"{c[0]}-{next(iter(c[1]))}" for c in CASES])
def test_a_bad_value_is_one_precise_line(notebook, values, message):
    with pytest.raises(config.ConfigError) as err:
        config.validate(schema_for(notebook), values, where=notebook)
    assert len(err.value.problems) == 1, err.value.problems
    assert message in err.value.problems[0], err.value.problems[0]


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_a_task_too_small_for_the_preset_is_rejected_with_the_split_sizes(task_dir):  # noqa: F811
    (task_dir / "tiny.csv").write_text("text,label\n" + "".join(f"row {i},{i % 2}\n" for i in range(60)))
    write_card(task_dir, "name: tiny\ndata: tiny.csv\n", name="tiny.yaml")
    with pytest.raises(config.ConfigError, match="task 'tiny' is too small for preset 'smoke': splits A = "):
        config.validate(schema_for("02_nlp_w2s"), {"tasks": ["tiny"]})


def test_a_pairwise_task_is_sent_to_the_reward_modeling_notebook():
    with pytest.raises(config.ConfigError, match="is not an NLP task"):
        config.validate(schema_for("02_nlp_w2s"), {"tasks": ["rm_sentiment_pairs"]})


# ----------------------------------------------------------------------------- a GPU where there is none

@pytest.fixture
def no_gpu(monkeypatch):
    """This machine as a CPU-only one, whatever it really has."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


@pytest.mark.parametrize("asked", ["cuda", "cuda:0", "CUDA:1"])
def test_a_gpu_asked_for_where_there_is_none_is_refused_naming_setting_machine_and_choices(asked, no_gpu,
                                                                                          monkeypatch):
    from w2s_lib.devices import DeviceError, check_device, resolve_device

    monkeypatch.setenv("W2S_DEVICE", asked)
    for call in (check_device, resolve_device):
        with pytest.raises(DeviceError) as err:
            call()
        message = str(err.value)
        assert message.startswith(f"W2S_DEVICE={asked} asks for a GPU, but this machine has only the CPU")
        assert "accepted here: auto or cpu" in message


def test_an_unknown_device_is_refused_with_the_accepted_values(monkeypatch):
    from w2s_lib.devices import DeviceError, check_device

    monkeypatch.setenv("W2S_DEVICE", "tpu")
    with pytest.raises(DeviceError, match=r"W2S_DEVICE=tpu: unknown device 'tpu'; accepted: auto .*, cpu, cuda, cuda:N"):
        check_device()


def test_a_gpu_number_the_machine_lacks_is_refused_with_the_numbers_it_has(monkeypatch):
    import torch

    from w2s_lib.devices import DeviceError, check_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DeviceError, match=r"asks for GPU 2, .* 1 GPU\(s\): cuda:0; accepted here: auto, cpu, cuda, cuda:0$"):
        check_device("cuda:2")
    assert check_device("cuda:0") == "cuda:0"


def test_usable_device_settings_resolve(no_gpu, monkeypatch):
    from w2s_lib.devices import resolve_device

    for value in ("", "auto", "cpu", " CPU "):
        monkeypatch.setenv("W2S_DEVICE", value)
        assert resolve_device().type == "cpu"
    monkeypatch.delenv("W2S_DEVICE")
    assert resolve_device().type == "cpu"


def test_reproduce_grid_and_check_params_refuse_a_missing_gpu_before_any_compute(no_gpu, monkeypatch, capsys):
    import papermill

    from w2s_lib import cli, grid, runner

    def must_not_run(*args, **kwargs):
        raise AssertionError("compute started despite a bad W2S_DEVICE")

    monkeypatch.setattr(papermill, "execute_notebook", must_not_run)
    monkeypatch.setattr(grid, "run_grid", must_not_run)
    monkeypatch.setenv("W2S_DEVICE", "cuda")
    with pytest.raises(config.ConfigError) as err:
        runner.reproduce("smoke", log=lambda *_: None)
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith("W2S_DEVICE=cuda asks for a GPU")
    assert cli.main(["reproduce", "--preset", "smoke"]) == 2
    assert cli.main(["grid", "--preset", "smoke"]) == 2
    assert cli.main(["check-params", str(runner.PARAMS_DIR / "smoke.yaml")]) == 1
    out = capsys.readouterr()
    assert out.err.count("W2S_DEVICE=cuda asks for a GPU") == 2
    assert "W2S_DEVICE=cuda asks for a GPU" in out.out


RUN_SETTINGS = [
    ({"jobs": 0}, "jobs: must be a whole number of notebooks at a time, 1 or more (got 0)"),
    ({"jobs": "two"}, "jobs: must be a whole number of notebooks at a time, 1 or more (got 'two')"),
    ({"expected_seconds": {"02_nlp_w2s": 60}}, "expected_seconds: '02_nlp_w2s' is not a notebook of this file"),
    ({"expected_seconds": {"01_data": -5}}, "expected_seconds.01_data: must be a positive number of seconds"),
    ({"expected_seconds": [60]}, "expected_seconds: must map notebook names to seconds"),
]


@pytest.mark.parametrize("settings,message", RUN_SETTINGS, ids=[str(s) for s, _ in RUN_SETTINGS])
def test_a_bad_run_setting_is_one_precise_line(settings, message):
    data = {"preset": "smoke", "notebooks": {"01_data": {}}, **settings}
    problems = parameters.check_params_data(data, where="mine.yaml")
    assert problems == [f"mine.yaml: {message}"] or (len(problems) == 1 and message in problems[0]), problems


def test_w2s_jobs_must_be_a_number(monkeypatch):
    from w2s_lib import runner

    monkeypatch.setenv("W2S_JOBS", "many")
    with pytest.raises(config.ConfigError, match="W2S_JOBS='many': must be a whole number"):
        runner.default_jobs({})


def test_provenance_names_the_device_w2s_device_picks(monkeypatch):
    """On a GPU machine told W2S_DEVICE=cpu, artifacts must not claim the GPU made them."""
    import torch

    from w2s_lib.provenance import device_description

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: f"Fake GPU {i}")
    monkeypatch.setenv("W2S_DEVICE", "cpu")
    assert device_description().startswith("cpu (")
    monkeypatch.setenv("W2S_DEVICE", "cuda:1")
    assert device_description() == "cuda:1 (Fake GPU 1, 2 visible)"
    monkeypatch.setenv("W2S_DEVICE", "auto")
    assert device_description() == "cuda:0 (Fake GPU 0, 2 visible)"
