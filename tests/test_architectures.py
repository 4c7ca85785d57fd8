"""Any architecture loads through AutoModel/AutoTokenizer: GPT-2, Llama/Qwen-style and BERT-style."""
from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (BertConfig, BertModel, GPT2Config, GPT2Model, LlamaConfig, LlamaModel,
                          PreTrainedTokenizerFast)

from w2s_lib.models import hf_rung
from w2s_lib.models.backbone import load_backbone, load_tokenizer_for
from w2s_lib.models.heads import BinaryClassifier
from w2s_lib.training.engine import TrainConfig, predict_proba, train_classifier

WORDS = ["[PAD]", "[UNK]", "[CLS]", "good", "bad", "movie", "the", "was"]


def _save_tiny(path, arch: str):
    vocab = {w: i for i, w in enumerate(WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]",
                                   **({"pad_token": "[PAD]"} if arch == "bert" else {"eos_token": "[CLS]"}))
    common = dict(vocab_size=len(WORDS))
    if arch == "gpt2":
        model = GPT2Model(GPT2Config(n_embd=16, n_layer=1, n_head=2, n_positions=16, **common))
    elif arch == "llama":
        model = LlamaModel(LlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                       num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=16,
                                       **common))
    else:
        model = BertModel(BertConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                     num_attention_heads=2, max_position_embeddings=16, **common))
    model.save_pretrained(path)
    fast.save_pretrained(path)


@pytest.mark.parametrize("arch,pooling", [("gpt2", "last"), ("llama", "last"), ("bert", "mean")])
def test_local_model_folder_of_any_architecture_finetunes(tmp_path, arch, pooling):
    _save_tiny(tmp_path, arch)
    rung = hf_rung(str(tmp_path), pooling=pooling)
    tok = load_tokenizer_for(rung, "english")
    assert tok.pad_token is not None
    model = BinaryClassifier(load_backbone(rung, "english"), rung.pooling)
    texts = ["the movie was good", "the movie was bad", "good", "bad movie"] * 16
    y = np.array([1, 0, 1, 0] * 16, dtype=float)
    train_classifier(model, tok, texts, y, TrainConfig(lr=1e-2, epochs=3, batch_size=8, max_length=16))
    acc = ((predict_proba(model, tok, texts, 16) > 0.5) == y).mean()
    assert acc == 1.0
