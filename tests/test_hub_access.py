"""What a run needs from the Hugging Face hub is checked before any compute: `w2s check-params`,
`w2s reproduce` and each notebook's validation cell name every hub model and dataset that is neither
cached nor reachable, with the command that fetches them (`w2s fetch FILE`)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from w2s_lib import cli, hub_access, runner
from w2s_lib.config import ConfigError
from w2s_lib.data import hub
from w2s_lib.models.ladder import get_ladder
from w2s_lib.paths import PARAMS_DIR, REPO_ROOT

PAPER = PARAMS_DIR / "paper.yaml"
PAPER_MODELS = [r.source for name in ("gpt2", "qwen2.5") for r in get_ladder(name)] + ["Qwen/Qwen2.5-7B-Instruct"]
PAPER_DATASETS = {"allenai/sciq": ["sciq", "sciq_debate"], "google/boolq": ["boolq"],
                  "allenai/cosmos_qa": ["cosmos_qa"], "fancyzhx/amazon_polarity": ["amazon_polarity"],
                  "Anthropic/hh-rlhf": ["hh_rlhf", "hh_rlhf_pairs"], "Lichess/chess-puzzles": ["lichess_puzzles"]}
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def _params(path: Path) -> dict[str, dict]:
    data = yaml.safe_load(path.read_text())
    return {stem: {**(values or {}), "preset": data["preset"]} for stem, values in data["notebooks"].items()}


def _check_params(path: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """`w2s check-params` as a user runs it, with every Hugging Face cache in ``tmp_path``."""
    settings = {k: v for k, v in os.environ.items() if k != hub.FIXTURES_ENV}
    settings.update({"HF_HOME": str(tmp_path), "HF_HUB_CACHE": str(tmp_path / "hub"),
                     "HF_DATASETS_CACHE": str(tmp_path / "datasets"), "HF_HUB_OFFLINE": "1", **env})
    return subprocess.run([sys.executable, "-m", "w2s_lib", "check-params", path], cwd=REPO_ROOT, env=settings, check=False,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """This process's Hugging Face caches (models and datasets) are empty folders."""
    import datasets.config
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "datasets")
    monkeypatch.delenv(hub.FIXTURES_ENV, raising=False)
    return tmp_path


@pytest.fixture
def online_settings(monkeypatch):
    """No variable tells the loaders to stay offline: only a request can say the hub is out of reach."""
    for name in OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _cache_model(hub_cache: Path, repo: str) -> None:
    """The folder layout huggingface_hub keeps for a downloaded model (config only)."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    folder = hub_cache / f"models--{repo.replace('/', '--')}"
    (folder / "snapshots" / commit).mkdir(parents=True)
    (folder / "snapshots" / commit / "config.json").write_text('{"model_type": "gpt2"}')
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text(commit)


def _cache_dataset(datasets_cache: Path, repo: str, splits: tuple[str, ...]) -> None:
    """A dataset as `datasets.load_dataset` leaves it in its cache: arrow files and dataset_info.json."""
    from datasets import Dataset, DatasetInfo, SplitDict, SplitInfo
    from datasets.arrow_writer import ArrowWriter

    owner, name = repo.split("/")
    folder = datasets_cache / f"{owner}___{name}" / "default" / "0.0.0" / "fedcba9876543210"
    folder.mkdir(parents=True)
    rows = Dataset.from_dict({"question": ["Which gas do plants take in?"], "correct_answer": ["carbon dioxide"],
                              "distractor1": ["oxygen"], "distractor2": ["helium"], "distractor3": ["neon"],
                              "support": ["Plants take in carbon dioxide."]})
    recorded = SplitDict()
    for split in splits:
        with ArrowWriter(path=str(folder / f"{name}-{split}.arrow")) as writer:
            writer.write_table(rows.data.table)
            count, _ = writer.finalize()
        recorded.add(SplitInfo(name=split, num_examples=count, dataset_name=name))
    DatasetInfo(features=rows.features, splits=recorded, config_name="default",
                dataset_name=name).write_to_directory(str(folder))


# ----------------------------------------------------------------------------- w2s check-params


def test_check_params_names_every_missing_hub_model_and_dataset_offline(tmp_path):
    result = _check_params("params/paper.yaml", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    for model in PAPER_MODELS:
        assert any(line.startswith(f"model {model} (needed by ") for line in lines), (model, result.stdout)
    for dataset, tasks in PAPER_DATASETS.items():
        line = next((ln for ln in lines if ln.startswith(f"dataset {dataset} (")), None)
        assert line is not None, (dataset, result.stdout)
        assert all(task in line for task in tasks), line
    assert len(lines) == len(PAPER_MODELS) + len(PAPER_DATASETS), result.stdout
    assert "model gpt2 (needed by 01_dev_choices.ladder, 02_nlp_w2s.ladder, 05_facilitation.nlp_ladder, 08_analyses.ladder)" in result.stdout
    assert "model Qwen/Qwen2.5-7B-Instruct (needed by 06_debate.debater)" in result.stdout
    for line in lines:
        assert "HF_HUB_OFFLINE=1" in line and str(tmp_path) in line, line
        assert line.endswith("w2s fetch params/paper.yaml"), line


def test_a_model_cached_in_the_hub_layout_is_no_longer_named(tmp_path):
    _cache_model(tmp_path / "hub", "gpt2")
    result = _check_params("params/paper.yaml", tmp_path)
    assert result.returncode == 1
    assert "model gpt2 (" not in result.stdout
    assert "model gpt2-medium (" in result.stdout


def test_with_every_model_and_dataset_cached_the_paper_preset_is_ok_offline(tmp_path):
    for model in PAPER_MODELS:
        _cache_model(tmp_path / "hub", model)
    result = _check_params("params/paper.yaml", tmp_path, W2S_HUB_FIXTURES=str(REPO_ROOT / "tests/fixtures/hub"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "params/paper.yaml: ok"


def test_the_presets_without_hub_needs_are_ok_with_no_cache_and_no_network(tmp_path):
    result = _check_params("params/micro.yaml", tmp_path, HF_HUB_OFFLINE="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "params/micro.yaml: ok"


# ----------------------------------------------------------------------------- reachability


def test_micro_and_smoke_make_no_network_request(empty_caches, online_settings, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a network request was made for parameters that need nothing from the hub")

    monkeypatch.setattr(hub_access, "hub_reachable", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    for name in ("smoke", "micro"):
        assert hub_access.needed_from_hub(_params(PARAMS_DIR / f"{name}.yaml")) == []
        assert hub_access.missing_from_hub(_params(PARAMS_DIR / f"{name}.yaml")) == []
    assert cli.main(["check-params", str(PARAMS_DIR / "smoke.yaml"), str(PARAMS_DIR / "micro.yaml")]) == 0


@pytest.mark.parametrize("variable", OFFLINE_VARIABLES)
def test_an_offline_setting_names_what_is_missing_without_a_request(variable, empty_caches, online_settings,
                                                                    monkeypatch):
    asked = []
    monkeypatch.setattr(hub_access, "hub_reachable", lambda *args: asked.append(args) or True)
    monkeypatch.setenv(variable, "1")
    lines = hub_access.missing_from_hub(_params(PAPER))
    assert all(f"the hub is off ({variable}=1)" in line for line in lines)
    if variable == "HF_DATASETS_OFFLINE":  # models may still download: the hub is asked for them, once
        assert [line.split(" ")[1] for line in lines] == list(PAPER_DATASETS) and len(asked) == 1
    else:
        assert len(lines) == len(PAPER_MODELS) + len(PAPER_DATASETS) and asked == []


def test_without_an_offline_setting_one_request_decides_for_every_item(empty_caches, online_settings, monkeypatch):
    asked = []
    monkeypatch.setenv("HF_ENDPOINT", "https://hub-mirror.example")
    monkeypatch.setattr(hub_access, "hub_reachable", lambda endpoint, timeout: asked.append((endpoint, timeout)))
    lines = hub_access.missing_from_hub(_params(PAPER), fetch_file="mine.yaml")
    assert asked == [("https://hub-mirror.example", hub_access.HUB_TIMEOUT_S)]
    assert hub_access.HUB_TIMEOUT_S <= 5
    assert len(lines) == len(PAPER_MODELS) + len(PAPER_DATASETS)
    assert all("the hub (https://hub-mirror.example) cannot be reached" in ln for ln in lines)
    assert all(ln.endswith("w2s fetch mine.yaml") for ln in lines)

    monkeypatch.setattr(hub_access, "hub_reachable", lambda endpoint, timeout: True)
    assert hub_access.missing_from_hub(_params(PAPER)) == []  # everything will download


def test_the_reachability_request_gives_up_within_its_timeout(monkeypatch):
    import time
    import urllib.request

    def hangs(*args, **kwargs):  # a name lookup that hangs, then fails
        time.sleep(5)
        raise OSError("name lookup timed out")

    monkeypatch.setattr(urllib.request, "urlopen", hangs)
    started = time.monotonic()
    assert hub_access.hub_reachable("https://huggingface.co", timeout=0.5) is False
    assert time.monotonic() - started < 2


# ----------------------------------------------------------------------------- datasets: the loader's rules


def test_a_dataset_the_check_counts_as_cached_is_one_the_loader_reads_offline(empty_caches, monkeypatch):
    import datasets.config

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    params = {"02_nlp_w2s": {"preset": "paper", "tasks": ["sciq", "boolq"], "ladder": "micro"}}

    _cache_dataset(empty_caches / "datasets", "allenai/sciq", ("train", "validation"))  # no test split
    assert [ln.split(" ")[1] for ln in hub_access.missing_from_hub(params)] == ["allenai/sciq", "google/boolq"]

    (empty_caches / "datasets").rename(empty_caches / "partial")
    _cache_dataset(empty_caches / "datasets", "allenai/sciq", hub.SCIQ.splits)
    assert [ln.split(" ")[1] for ln in hub_access.missing_from_hub(params)] == ["google/boolq"]
    for split in hub.SCIQ.splits:  # and the loader agrees
        assert len(hub.load_hub_split(hub.SCIQ.path, hub.SCIQ.name, split)) == 1
    with pytest.raises(hub.HubDataUnavailableError):
        hub.load_hub_split(hub.BOOLQ.path, hub.BOOLQ.name, "train")


def test_with_hub_fixtures_set_only_the_fixture_files_count(empty_caches, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    params = {"01_data": {"preset": "paper", "tasks": ["sciq", "boolq"]}}
    monkeypatch.setenv(hub.FIXTURES_ENV, str(REPO_ROOT / "tests" / "fixtures" / "hub"))
    assert hub_access.missing_from_hub(params) == []

    monkeypatch.setenv(hub.FIXTURES_ENV, str(tmp_path / "no_fixtures"))
    lines = hub_access.missing_from_hub(params)
    assert len(lines) == 2 and all("no fixture file" in ln and hub.FIXTURES_ENV in ln for ln in lines)
    assert str(hub.fixture_file(tmp_path / "no_fixtures", "allenai/sciq", None, "test")) in lines[0]


def test_an_empty_task_list_of_the_data_notebook_needs_every_task_of_its_preset():
    needed = hub_access.needed_from_hub({"01_data": {"preset": "paper", "tasks": []}})
    assert {n.repo for n in needed} == set(PAPER_DATASETS)
    assert hub_access.needed_from_hub({"01_data": {"preset": "micro", "tasks": []}}) == []


# ----------------------------------------------------------------------------- before any compute


def test_reproduce_stops_before_the_first_notebook_when_the_hub_is_out_of_reach(empty_caches, monkeypatch):
    import papermill

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: pytest.fail("a notebook ran"))
    with pytest.raises(ConfigError) as err:
        runner.reproduce("paper", log=lambda line: None)
    assert len(err.value.problems) == len(PAPER_MODELS) + len(PAPER_DATASETS)
    assert err.value.problems[0].startswith("model gpt2 (needed by 01_dev_choices.ladder, 02_nlp_w2s.ladder")
    assert all(p.endswith(f"w2s fetch {os.path.relpath(PAPER)}") for p in err.value.problems)

    with pytest.raises(ConfigError) as err:  # only the notebooks that run count
        runner.reproduce("paper", only="06*", log=lambda line: None)
    assert {p.split(" ")[1] for p in err.value.problems} == {*[r.source for r in get_ladder("qwen2.5")],
                                                            "Qwen/Qwen2.5-7B-Instruct", "allenai/sciq"}


def test_a_notebook_run_on_its_own_stops_in_its_validation_cell(empty_caches, monkeypatch):
    from w2s_lib.parameters import from_globals

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    values = _params(PAPER)["08_analyses"]
    with pytest.raises(ConfigError) as err:
        from_globals("08_analyses", values)
    named = [p.split(" ")[1] for p in err.value.problems]
    assert named == [r.source for r in get_ladder("gpt2")] + ["fancyzhx/amazon_polarity"]
    assert all(p.endswith("w2s fetch params/paper.yaml") for p in err.value.problems)
    assert from_globals("08_analyses", {"preset": "smoke"}).preset == "smoke"


# ----------------------------------------------------------------------------- w2s fetch


@pytest.fixture
def recorded_downloads(monkeypatch, tmp_path):
    """snapshot_download and datasets.load_dataset record their calls instead of downloading."""
    import datasets
    import huggingface_hub

    calls = {"models": [], "datasets": []}

    def snapshot_download(repo, allow_patterns=None, **kwargs):
        calls["models"].append((repo, tuple(allow_patterns or ())))
        folder = tmp_path / repo
        folder.mkdir(parents=True, exist_ok=True)
        if repo != "gpt2":  # gpt2 plays a repo with .bin weights only
            (folder / "model.safetensors").write_bytes(b"")
        return str(folder)

    def load_dataset(path, name=None, split=None, revision=None, **kwargs):
        calls["datasets"].append((path, name, split, revision))
        return [{"row": 0}]

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_fetch_downloads_every_model_and_dataset_split_the_paper_preset_reads(recorded_downloads, capsys):
    assert cli.main(["fetch", str(PAPER)]) == 0
    models = recorded_downloads["models"]
    assert [repo for repo, _ in models] == ["gpt2", *PAPER_MODELS]  # gpt2 twice: once more for .bin weights
    assert all("*.safetensors" in patterns and "*.json" in patterns for _, patterns in models)
    assert "*.bin" in models[1][1] and not any("*.bin" in patterns for _, patterns in models[2:])
    sources = {s.path: s for s in (hub.SCIQ, hub.BOOLQ, hub.COSMOS_QA, hub.AMAZON_POLARITY, hub.HH_RLHF,
                                   hub.LICHESS_PUZZLES)}
    assert recorded_downloads["datasets"] == [(path, sources[path].name, split, sources[path].revision)
                                              for path in PAPER_DATASETS for split in sources[path].splits]
    assert ("allenai/cosmos_qa", None, "train", "refs/convert/parquet") in recorded_downloads["datasets"]
    assert "now passes without network" in capsys.readouterr().out


def test_fetch_dry_run_lists_the_plan_and_downloads_nothing(recorded_downloads, capsys):
    assert cli.main(["fetch", "--dry-run", str(PAPER)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert recorded_downloads == {"models": [], "datasets": []}
    assert [ln.split(" ")[3] for ln in out] == PAPER_MODELS + list(PAPER_DATASETS)
    assert all(ln.startswith("would fetch ") for ln in out)


def test_fetch_of_a_preset_without_hub_needs_downloads_nothing(recorded_downloads, capsys):
    assert cli.main(["fetch", str(PARAMS_DIR / "micro.yaml")]) == 0
    assert recorded_downloads == {"models": [], "datasets": []}
    assert "needs nothing from the hub" in capsys.readouterr().out


def test_fetch_reports_each_failed_download_and_goes_on(recorded_downloads, monkeypatch, capsys):
    import datasets

    def unreachable(path, *args, **kwargs):
        raise ConnectionError(f"Couldn't reach '{path}' on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    assert cli.main(["fetch", str(PAPER)]) == 1
    err = capsys.readouterr().err
    assert f"{len(PAPER_DATASETS)} of {len(PAPER_MODELS) + len(PAPER_DATASETS)} not fetched" in err
    assert "could not fetch dataset allenai/sciq: ConnectionError" in err
    assert len(recorded_downloads["models"]) == len(PAPER_MODELS) + 1  # the models still came
