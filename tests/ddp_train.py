"""Train a tiny classifier with the engine and write its accuracy (run directly, or under
`accelerate launch --cpu --num_processes 2`, by tests/test_distributed.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from model_folders import save_tiny_model  # noqa: E402

from w2s_lib.models import hf_rung  # noqa: E402
from w2s_lib.models.backbone import load_backbone, load_tokenizer_for  # noqa: E402
from w2s_lib.models.heads import BinaryClassifier  # noqa: E402
from w2s_lib.devices import make_accelerator  # noqa: E402
from w2s_lib.training.engine import TrainConfig, predict_proba, train_classifier  # noqa: E402

WORDS = ["good", "bad", "great", "awful", "fun", "dull"]


def main(folder: str, out: str) -> None:
    rng = np.random.default_rng(0)
    texts, y = [], []
    for _ in range(256):
        n = rng.integers(2, 6)
        words = rng.choice(WORDS, size=n).tolist()
        texts.append("the movie was " + " ".join(words))
        y.append(float(sum(w in ("good", "great", "fun") for w in words) > n / 2))
    y = np.array(y)
    rung = hf_rung(folder)
    model = BinaryClassifier(load_backbone(rung, "english"), rung.pooling)
    tok = load_tokenizer_for(rung, "english")
    history = train_classifier(model, tok, texts, y,
                               TrainConfig(lr=3e-3, epochs=4, batch_size=16, max_length=16, seed=0))
    acc = float(((predict_proba(model, tok, texts, 16) > 0.5) == y).mean())
    accelerator = make_accelerator()
    if accelerator.is_main_process:
        Path(out).write_text(json.dumps({"acc": acc, "processes": accelerator.num_processes,
                                         "first_losses": history["loss"][:6]}))


if __name__ == "__main__":
    if sys.argv[1] == "--make-model":
        save_tiny_model(Path(sys.argv[2]), "gpt2", width=32, layers=2)
    else:
        main(sys.argv[1], sys.argv[2])
