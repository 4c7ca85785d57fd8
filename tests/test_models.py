"""Ladders, pooling and heads."""
from __future__ import annotations

import pytest
import torch
from transformers import GPT2Config, GPT2Model

from w2s_lib.models import get_ladder, hf_rung
from w2s_lib.models.heads import BinaryClassifier, RewardModel, freeze_all_but_last, pool
from w2s_lib.models.ladder import LADDERS, Rung


def _tiny_backbone(pad_token_id=0) -> GPT2Model:
    torch.manual_seed(0)
    return GPT2Model(GPT2Config(vocab_size=50, n_embd=16, n_layer=2, n_head=2, n_positions=32,
                                pad_token_id=pad_token_id))


def test_last_token_pooling_uses_the_attention_mask_not_a_pad_id():
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float32).reshape(2, 4, 1)
    right = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    left = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])
    assert pool(hidden, right, "last").squeeze(-1).tolist() == [1.0, 7.0]
    assert pool(hidden, left, "last").squeeze(-1).tolist() == [3.0, 7.0]


def test_real_token_with_id_zero_is_not_mistaken_for_padding():
    # GPT-2's id 0 is "!": a sequence ending in token 0 must pool at that token
    model = BinaryClassifier(_tiny_backbone(), "last")
    ids = torch.tensor([[5, 7, 0, 0]])
    full, short = torch.tensor([[1, 1, 1, 0]]), torch.tensor([[1, 1, 0, 0]])
    assert not torch.allclose(model.features(ids, full), model.features(ids, short))


def test_mean_pooling_ignores_padding():
    hidden = torch.tensor([[[1.0], [3.0], [100.0]]])
    assert pool(hidden, torch.tensor([[1, 1, 0]]), "mean").item() == 2.0


def test_heads_start_at_chance_with_a_zero_initialised_head():
    ids, mask = torch.tensor([[3, 4, 5]]), torch.ones(1, 3, dtype=torch.long)
    logits = BinaryClassifier(_tiny_backbone(), "last")(ids, mask)
    assert torch.softmax(logits, -1).tolist() == [[0.5, 0.5]]
    assert RewardModel(_tiny_backbone(), "mean")(ids, mask).shape == (1,)


def test_last_k_training_freezes_all_but_the_top_blocks_and_the_head():
    model = BinaryClassifier(_tiny_backbone(), "last")
    freeze_all_but_last(model, 1)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any(n.startswith("backbone.h.1.") for n in trainable)
    assert not any(n.startswith("backbone.h.0.") or "wte" in n for n in trainable)
    assert {"head.weight", "head.bias"} <= trainable


def test_tiny_rung_size_formula_matches_the_real_model():
    for rung in LADDERS["micro"]:
        if rung.family != "tiny_gpt2":
            continue
        model = GPT2Model(GPT2Config(vocab_size=100, n_embd=rung.n_embd, n_layer=rung.n_layer, n_head=rung.n_head))
        counted = sum(p.numel() for n, p in model.named_parameters() if not n.startswith(("wte", "wpe")))
        assert rung.non_embedding_params() == counted


def test_ladders_grow_in_size():
    for name in ("micro", "gpt2", "qwen2.5"):
        sizes = [r.non_embedding_params() for r in get_ladder(name)]
        assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes), name
    micro = [r.non_embedding_params() for r in get_ladder("micro")]
    assert micro[0] < 200_000 and micro[-1] > 5_000_000


def test_unknown_ladder_names_the_registered_ones():
    with pytest.raises(KeyError, match="unknown ladder 'mikro' \\(did you mean 'micro'\\?\\)"):
        get_ladder("mikro")


def test_any_hugging_face_name_or_path_makes_a_ladder(tmp_path, monkeypatch):
    from huggingface_hub import constants
    from model_folders import save_tiny_model

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # names are not looked up online here
    local = save_tiny_model(tmp_path / "local-llama", "llama")
    rungs = get_ladder(f"Qwen/Qwen2.5-0.5B,{local}")
    assert [r.source for r in rungs] == ["Qwen/Qwen2.5-0.5B", str(local)]
    assert [r.name for r in rungs] == ["Qwen2.5-0.5B", "local-llama"]
    assert all(r.family == "hf" and r.train_mode == "full" for r in rungs)
    assert hf_rung("minilm:3").pooling == "mean"


def test_bad_rung_settings_fail_at_definition():
    with pytest.raises(ValueError, match="train_mode"):
        Rung(name="x", family="hf", train_mode="lora")
