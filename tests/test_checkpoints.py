"""Long steps resume mid-way after a kill, and end exactly where an uninterrupted run ends."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from model_folders import save_tiny_model

from w2s_lib.models import hf_rung
from w2s_lib.models.backbone import load_backbone, load_tokenizer_for
from w2s_lib.models.heads import BinaryClassifier
from w2s_lib.models.ladder import LADDERS
from w2s_lib.models.pretrain import pretrained_artifact
from w2s_lib.store import CHECKPOINTS, ArtifactSpec, ArtifactStore, default_store
from w2s_lib import checkpoint as ckpt
from w2s_lib.training.engine import TrainConfig, train_classifier


def _dies_after(monkeypatch, n_saves):
    """Make the n-th checkpoint save the last thing a process does (as if killed right after)."""
    real = ckpt.Checkpointer.maybe_save

    def save(self, state, force=False):
        saved = real(self, state, force)
        if saved and self.saves >= n_saves:
            raise KeyboardInterrupt
        return saved

    monkeypatch.setattr(ckpt.Checkpointer, "maybe_save", save)


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(folder / "model.safetensors")


def test_pretraining_resumes_from_its_checkpoint_and_matches_an_uninterrupted_run(tiny_corpus, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("W2S_CHECKPOINT_SECONDS", "0")  # a checkpoint after every step
    rung = replace(LADDERS["tiny-test"][1], pretrain_steps=24)
    monkeypatch.setenv("W2S_CACHE", str(tmp_path / "clean"))
    clean = pretrained_artifact(rung, "english")

    monkeypatch.setenv("W2S_CACHE", str(tmp_path / "killed"))
    with monkeypatch.context() as m:
        _dies_after(m, 15)
        with pytest.raises(KeyboardInterrupt):
            pretrained_artifact(rung, "english")
    store = default_store()
    assert list((store.root / CHECKPOINTS).glob("*/state.pt")), "the killed run left its checkpoint"
    saved = torch.load(next((store.root / CHECKPOINTS).glob("*/state.pt")), weights_only=False)
    assert saved["step"] == 15

    resumed = pretrained_artifact(rung, "english")
    assert resumed.meta["final_loss"] == clean.meta["final_loss"]
    a, b = _weights(clean.path), _weights(resumed.path)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not list((store.root / CHECKPOINTS).glob("*")), "a stored artifact leaves no checkpoint behind"


def test_finetuning_resumes_mid_epoch_and_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    monkeypatch.setenv("W2S_CHECKPOINT_SECONDS", "0")
    folder = save_tiny_model(tmp_path / "m", "gpt2")
    rung = hf_rung(str(folder))
    texts = ["the movie was good", "the movie was bad", "good fun", "bad dull movie"] * 12
    y = np.array([1, 0, 1, 0] * 12, dtype=float)
    cfg = TrainConfig(lr=1e-2, epochs=3, batch_size=8, max_length=16, seed=3)
    spec = ArtifactSpec("finetune_test", 1, {"n": len(texts)})

    def build(tmp):
        model = BinaryClassifier(load_backbone(rung, "english"), rung.pooling)
        history = train_classifier(model, load_tokenizer_for(rung, "english"), texts, y, cfg)
        torch.save(model.state_dict(), tmp / "model.pt")
        return {"losses": history["loss"]}

    clean = ArtifactStore(tmp_path / "clean").get_or_build(spec, build)
    killed_store = ArtifactStore(tmp_path / "killed")
    with monkeypatch.context() as m:
        _dies_after(m, 8)  # 6 steps an epoch: killed in the middle of the second epoch
        with pytest.raises(KeyboardInterrupt):
            killed_store.get_or_build(spec, build)
    resumed = killed_store.get_or_build(spec, build)
    assert resumed.meta["losses"] == clean.meta["losses"]
    a, b = (torch.load(art.file("model.pt")) for art in (clean, resumed))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_feature_pass_resumes_at_its_next_batch_and_matches_an_uninterrupted_one(tmp_path, monkeypatch):
    from w2s_lib.training.features import feature_artifact

    monkeypatch.setenv("W2S_CHECKPOINT_SECONDS", "0")
    rung = hf_rung(str(save_tiny_model(tmp_path / "m", "gpt2")))
    texts = [f"text number {i} " + "word " * (i % 7) for i in range(40)]
    clean = feature_artifact(rung, "english", texts, ArtifactStore(tmp_path / "clean"), batch_size=8)

    killed = ArtifactStore(tmp_path / "killed")
    with monkeypatch.context() as m:
        _dies_after(m, 3)
        with pytest.raises(KeyboardInterrupt):
            feature_artifact(rung, "english", texts, killed, batch_size=8)
    saved = torch.load(next((killed.root / CHECKPOINTS).glob("*/state.pt")), weights_only=False)
    assert saved["next"] == 24 and len(saved["chunks"]) == 3

    batches = []
    real_batch = __import__("w2s_lib.training.engine", fromlist=["Encoded"]).Encoded.batch
    monkeypatch.setattr("w2s_lib.training.engine.Encoded.batch",
                        lambda self, idx, device: batches.append(len(idx)) or real_batch(self, idx, device))
    resumed = feature_artifact(rung, "english", texts, killed, batch_size=8)
    assert batches == [8, 8], "only the two batches after the checkpoint are computed again"
    assert np.array_equal(np.load(clean.file("features.npy")), np.load(resumed.file("features.npy")))
    assert not list((killed.root / CHECKPOINTS).glob("*")), "a stored artifact leaves no checkpoint behind"
