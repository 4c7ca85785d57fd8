"""Models by path or hub name: checked before any compute, keyed by content, sized from config."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from model_folders import bump_one_weight, save_tiny_model, tiny_config
from transformers import AutoModel

from w2s_lib import config, figures, grid, pipeline
from w2s_lib.data.splits import SplitSizes
from w2s_lib.models import get_ladder, hf_rung
from w2s_lib.models.ladder import check_available
from w2s_lib.models.sources import ModelSourceError, count_non_embedding_params
from w2s_lib.notebook_params import NLPW2SParams
from w2s_lib.store import default_store

NEW_ARCHITECTURES = ("gpt_neox", "distilbert")  # neither is used by a built-in ladder


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    """A Hugging Face cache with snapshots written by hand, and the hub offline."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)

    def add(repo: str, commit: str):
        folder = cache / f"models--{repo.replace('/', '--')}"
        save_tiny_model(folder / "snapshots" / commit, "llama")
        (folder / "refs").mkdir(parents=True, exist_ok=True)
        (folder / "refs" / "main").write_text(commit)

    return add


def _ladder_problem(name: str) -> str:
    with pytest.raises(config.ConfigError) as err:
        config.validate(NLPW2SParams, {"ladder": name})
    assert len(err.value.problems) == 1
    return err.value.problems[0]


def test_a_missing_model_folder_is_rejected_before_compute_naming_the_path(tmp_path):
    weak = save_tiny_model(tmp_path / "weak", "gpt_neox")
    problem = _ladder_problem(f"{weak},{tmp_path / 'no-such-model'}")
    assert f"{tmp_path / 'no-such-model'}" in problem and "does not exist" in problem
    assert "config.json" in problem  # says what a model folder must hold


def test_a_folder_without_config_or_tokenizer_is_rejected(tmp_path):
    weak = save_tiny_model(tmp_path / "weak", "gpt_neox")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no config.json" in _ladder_problem(f"{weak},{empty}")
    strong = save_tiny_model(tmp_path / "strong", "gpt_neox")
    (strong / "tokenizer.json").unlink(), (strong / "tokenizer_config.json").unlink()
    assert "no tokenizer files" in _ladder_problem(f"{weak},{strong}")


def test_hub_names_are_checked_against_the_cache_when_offline(fake_hub):
    fake_hub("org/small", "a" * 40)
    problem = _ladder_problem("org/small,org/not-downloaded")
    assert "'org/not-downloaded' is not in the local Hugging Face cache" in problem
    assert "neither an existing folder nor a valid Hugging Face name" in _ladder_problem("org/small,bad//name")


def test_a_hub_model_is_keyed_by_its_commit(fake_hub):
    fake_hub("org/small", "a" * 40)
    fake_hub("org/big", "b" * 40)
    weak, strong = get_ladder("org/small,org/big")
    assert weak.identity() == {"family": "hf", "hub": "org/small", "revision": "a" * 40}
    before = weak.key_config()
    fake_hub("org/small", "c" * 40)  # a new snapshot becomes refs/main
    assert weak.key_config() != before and weak.identity()["revision"] == "c" * 40


def test_registered_hub_ladders_offline_fail_before_compute(fake_hub):
    with pytest.raises(ModelSourceError, match="rung gpt2: model 'gpt2' is not in the local Hugging Face cache"):
        check_available(get_ladder("gpt2"))


def test_a_local_model_is_keyed_by_its_files_not_its_path(tmp_path):
    folder = save_tiny_model(tmp_path / "model", "gpt_neox")
    key = hf_rung(str(folder)).key_config()
    moved = shutil.copytree(folder, tmp_path / "elsewhere" / "renamed")
    assert hf_rung(str(moved)).key_config() == key
    bump_one_weight(folder)
    assert hf_rung(str(folder)).key_config() != key


@pytest.mark.parametrize("arch", NEW_ARCHITECTURES + ("gpt2", "llama", "bert"))
def test_size_is_counted_from_the_config_for_any_architecture(tmp_path, arch):
    folder = save_tiny_model(tmp_path / arch, arch, width=32, layers=2)
    model = AutoModel.from_config(tiny_config(arch, 32, 2))
    embeddings = {id(p) for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    expected = sum(p.numel() for p in model.parameters() if id(p) not in embeddings)
    assert hf_rung(str(folder)).non_embedding_params() == expected > 0
    assert count_non_embedding_params(tiny_config(arch, 32, 2)) == expected


def test_encoders_mean_pool_and_decoders_read_the_last_token(tmp_path):
    assert hf_rung(str(save_tiny_model(tmp_path / "d", "distilbert"))).pooling == "mean"
    assert hf_rung(str(save_tiny_model(tmp_path / "n", "gpt_neox"))).pooling == "last"


SIZES = SplitSizes(n_a=64, n_b=64, n_val=32, n_test=64, working_pool=200)


@pytest.fixture
def two_new_models(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "sizes_for_preset", lambda task, preset: SIZES)
    weak = save_tiny_model(tmp_path / "neox-small", "gpt_neox", width=16)
    strong = save_tiny_model(tmp_path / "distilbert-big", "distilbert", width=32, layers=2)
    return weak, strong


def test_weak_to_strong_runs_on_two_local_models_of_new_architectures(two_new_models):
    weak, strong = two_new_models
    runs = grid.run_grid(["sentiment"], f"{weak},{strong}", [0], "smoke")
    assert runs.loc[0, "weak_model"] == "neox-small" and runs.loc[0, "strong_model"] == "distilbert-big"
    assert 0 < runs.loc[0, "weak_size"] < runs.loc[0, "strong_size"]
    table = runs.assign(pgr=0.5, pgr_flag="ok", pgr_ci_low=0.4, pgr_ci_high=0.6)
    fig = figures.accuracy_vs_size(table)
    xs = [x for line in fig.axes[0].get_lines() for x in line.get_xdata()]
    assert xs and all(np.isfinite(xs)) and min(xs) > 0  # log axes: a size of 0 would draw nothing


def test_changing_one_weight_of_a_local_model_retrains_exactly_its_artifacts(two_new_models):
    weak, strong = two_new_models
    ladder = f"{weak},{strong}"
    store = default_store()
    grid.run_grid(["sentiment"], ladder, [0], "smoke")
    first = {k.split("-")[0] for k in store.built}
    assert first == {"model_labels"} and len(store.built) == 3  # weak, ceiling, student

    store.built.clear()
    grid.run_grid(["sentiment"], ladder, [0], "smoke")
    assert store.built == [], "nothing changed, nothing retrains"

    bump_one_weight(weak)
    grid.run_grid(["sentiment"], ladder, [0], "smoke")
    roles = sorted(store.get(k).manifest["spec"]["config"]["role"] for k in store.built)
    assert roles == ["student", "weak"], "the edited weak model and the student it supervises; not the ceiling"
