"""The finetuning engine and probes: they learn, they are deterministic, they respect their inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2Model, PreTrainedTokenizerFast
from tokenizers import Tokenizer, models, pre_tokenizers

from w2s_lib.models.heads import BinaryClassifier, RewardModel
from w2s_lib.training.engine import (Encoded, TrainConfig, length_grouped_batches, predict_proba,
                                     train_classifier, train_reward_model)
from w2s_lib.training.probe import ProbeConfig, train_probe, train_reward_probe

WORDS = ["good", "great", "fun", "bad", "awful", "dull", "the", "movie", "was", "plot"]


def _tokenizer() -> PreTrainedTokenizerFast:
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]"] + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]")


def _toy_task(n: int, seed: int):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        sentiment = rng.choice(WORDS[:3] if label else WORDS[3:6])
        filler = rng.choice(WORDS[6:], size=rng.integers(1, 5)).tolist()
        pos = rng.integers(len(filler) + 1)
        texts.append(" ".join(filler[:pos] + [sentiment] + filler[pos:]))
        labels.append(label)
    return texts, np.array(labels)


def _model(seed=0):
    torch.manual_seed(seed)
    backbone = GPT2Model(GPT2Config(vocab_size=len(WORDS) + 2, n_embd=32, n_layer=2, n_head=2, n_positions=16,
                                    resid_pdrop=0, embd_pdrop=0, attn_pdrop=0))
    return BinaryClassifier(backbone, "last")


def test_batches_pad_only_to_their_longest_sequence():
    enc = Encoded(_tokenizer(), ["good", "the movie was good", "bad movie"], max_length=8)
    ids, mask = enc.batch([0, 2], "cpu")
    assert ids.shape == (2, 2) and mask.tolist() == [[1, 0], [1, 1]]


def test_full_finetuning_learns_a_toy_task_from_soft_labels():
    texts, y = _toy_task(256, 0)
    test_texts, test_y = _toy_task(128, 1)
    model = _model()
    cfg = TrainConfig(lr=3e-3, epochs=4, batch_size=16, max_length=16, seed=0)
    history = train_classifier(model, _tokenizer(), texts, 0.1 + 0.8 * y, cfg)
    acc = ((predict_proba(model, _tokenizer(), test_texts, 16) > 0.5) == test_y).mean()
    assert acc > 0.9 and np.mean(history["loss"][-5:]) < np.mean(history["loss"][:5])


def test_training_is_deterministic_for_a_seed():
    texts, y = _toy_task(64, 0)
    cfg = TrainConfig(lr=3e-3, epochs=1, batch_size=16, max_length=16, seed=3)
    probs = []
    for _ in range(2):
        model = _model()
        train_classifier(model, _tokenizer(), texts, y.astype(float), cfg)
        probs.append(predict_proba(model, _tokenizer(), texts, 16))
    np.testing.assert_array_equal(probs[0], probs[1])


def test_weak_val_selection_needs_weak_labels_of_val():
    texts, y = _toy_task(32, 0)
    with pytest.raises(ValueError, match="weak labels"):
        train_classifier(_model(), _tokenizer(), texts, y.astype(float),
                         TrainConfig(select="weak_val", max_length=16))


def test_weak_val_selection_records_the_chosen_epoch():
    texts, y = _toy_task(64, 0)
    val, vy = _toy_task(32, 2)
    history = train_classifier(_model(), _tokenizer(), texts, y.astype(float),
                               TrainConfig(lr=3e-3, epochs=3, batch_size=16, max_length=16, select="weak_val"),
                               val_texts=val, val_weak=vy.astype(float))
    assert len(history["val_weak_loss"]) == 3 and 1 <= history["selected_epoch"] <= 3


def test_reward_model_learns_preferences():
    texts, y = _toy_task(200, 0)
    pos = [t for t, l in zip(texts, y) if l][:60]
    neg = [t for t, l in zip(texts, y) if not l][:60]
    flip = np.arange(60) % 2 == 0
    a = [p if f else n for p, n, f in zip(pos, neg, flip)]
    b = [n if f else p for p, n, f in zip(pos, neg, flip)]
    torch.manual_seed(0)
    model = RewardModel(_model().backbone, "last")
    train_reward_model(model, _tokenizer(), a, b, flip.astype(float),
                       TrainConfig(lr=3e-3, epochs=4, batch_size=16, max_length=16, loss="bt"))
    from w2s_lib.training.engine import predict_outputs

    ra = predict_outputs(model, _tokenizer(), a, 16)
    rb = predict_outputs(model, _tokenizer(), b, 16)
    assert ((ra > rb) == flip).mean() > 0.9


def test_probe_fits_soft_labels_and_reward_probe_ranks_pairs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype(np.float32)
    y = (x[:, 0] + 0.3 * x[:, 1] > 0).astype(float)
    probe = train_probe(x[:300], y[:300], ProbeConfig(epochs=20))
    assert ((probe.predict_proba(x[300:]) > 0.5) == y[300:]).mean() > 0.9
    xa, xb = x[:200], x[200:]
    pref = (xa[:, 0] > xb[:, 0]).astype(float)
    rp = train_reward_probe(xa, xb, pref, ProbeConfig(loss="bt", epochs=20))
    assert ((rp.preference_proba(xa, xb) > 0.5) == pref).mean() > 0.85  # chance: 0.5


def test_aux_conf_probe_runs_with_the_paper_schedule():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    weak = np.clip((x[:, 0] > 0) * 0.8 + 0.1 + rng.normal(0, 0.05, 256), 0, 1)
    probe = train_probe(x, weak, ProbeConfig(loss="aux_conf", loss_options={"schedule": "paper"}, epochs=5))
    assert np.isfinite(probe.weight).all()


def test_length_grouped_batches_cover_every_example_once_with_little_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 64, size=1000)
    batches = length_grouped_batches(lengths, 32, torch.Generator().manual_seed(0))
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(1000)) and len(batches) == 32  # ceil(1000 / 32)
    padded = sum(len(b) * lengths[b].max() for b in batches)
    random_padded = sum(len(b) * lengths[b].max() for b in np.array_split(rng.permutation(1000), 32))
    assert padded < 0.8 * random_padded
    again = length_grouped_batches(lengths, 32, torch.Generator().manual_seed(0))
    assert again == batches
