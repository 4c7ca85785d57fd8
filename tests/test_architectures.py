"""Any architecture loads through AutoModel/AutoTokenizer: GPT-2, Llama/Qwen-style and BERT-style."""
from __future__ import annotations

import numpy as np
import pytest
from model_folders import save_tiny_model

from w2s_lib.models import hf_rung
from w2s_lib.models.backbone import load_backbone, load_tokenizer_for
from w2s_lib.models.heads import BinaryClassifier
from w2s_lib.training.engine import TrainConfig, predict_proba, train_classifier


@pytest.mark.parametrize("arch,pooling", [("gpt2", "last"), ("llama", "last"), ("bert", "mean")])
def test_local_model_folder_of_any_architecture_finetunes(tmp_path, arch, pooling):
    save_tiny_model(tmp_path, arch)
    rung = hf_rung(str(tmp_path), pooling=pooling)
    tok = load_tokenizer_for(rung, "english")
    assert tok.pad_token is not None
    model = BinaryClassifier(load_backbone(rung, "english"), rung.pooling)
    texts = ["the movie was good", "the movie was bad", "good", "bad movie"] * 16
    y = np.array([1, 0, 1, 0] * 16, dtype=float)
    train_classifier(model, tok, texts, y, TrainConfig(lr=1e-2, epochs=3, batch_size=8, max_length=16))
    acc = ((predict_proba(model, tok, texts, 16) > 0.5) == y).mean()
    assert acc == 1.0
