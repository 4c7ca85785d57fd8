"""Training and inference throughput (samples/s), and our engine against two reference loops.

A script, not a test: numbers on a shared machine are noisy, so everything compared is
measured in the same process, one after another, and reported as ratios.

* per rung of a ladder: training samples/s (full finetuning) and inference samples/s;
* one training run (same model, data, batch size, epochs) through
  (i) a naive per-example loop (one example per forward pass, gradients accumulated to the
  batch size — the default of openai/weak-to-strong), (ii) the Hugging Face ``Trainer``
  with dynamic padding, and (iii) ``w2s_lib.training.engine.train_classifier``.

Usage: ``python benchmarks/throughput.py [--ladder micro] [--n 512] [--out results.json]``
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import torch

from w2s_lib.data import load_pool
from w2s_lib.losses import soft_cross_entropy
from w2s_lib.models import get_ladder
from w2s_lib.models.backbone import load_backbone, load_tokenizer_for
from w2s_lib.models.heads import BinaryClassifier
from w2s_lib.provenance import provenance
from w2s_lib.training.engine import Encoded, TrainConfig, predict_proba, train_classifier


def _data(n: int):
    pool = load_pool("sentiment").sample(n, random_state=0)
    return pool["text"].tolist(), pool["label"].to_numpy().astype(np.float32)


def _fresh_model(rung, corpus="english"):
    torch.manual_seed(0)
    return BinaryClassifier(load_backbone(rung, corpus), rung.pooling)


def engine_run(rung, tokenizer, texts, y, cfg) -> float:
    model = _fresh_model(rung)
    start = time.perf_counter()
    train_classifier(model, tokenizer, texts, y, cfg)
    return len(texts) * cfg.epochs / (time.perf_counter() - start)


def naive_run(rung, tokenizer, texts, y, cfg) -> float:
    """One example per forward pass; gradients accumulated over ``batch_size`` examples."""
    model = _fresh_model(rung)
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    target = torch.from_numpy(np.stack([1 - y, y], 1))
    start = time.perf_counter()
    for _ in range(cfg.epochs):
        order = np.random.default_rng(0).permutation(len(texts))
        for s in range(0, len(order), cfg.batch_size):
            batch = order[s: s + cfg.batch_size]
            for i in batch:
                enc = tokenizer(texts[i], truncation=True, max_length=cfg.max_length, return_tensors="pt")
                logits = model(enc["input_ids"], enc["attention_mask"])
                (soft_cross_entropy(logits, target[i: i + 1]) / len(batch)).backward()
            optim.step()
            optim.zero_grad()
    return len(texts) * cfg.epochs / (time.perf_counter() - start)


class _WithLoss(torch.nn.Module):
    """The same classifier, returning a loss the way ``Trainer`` expects."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, labels):
        logits = self.model(input_ids, attention_mask)
        return {"loss": soft_cross_entropy(logits, labels), "logits": logits}


def trainer_run(rung, tokenizer, texts, y, cfg) -> float:
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    enc = tokenizer(texts, truncation=True, max_length=cfg.max_length)
    targets = np.stack([1 - y, y], 1).tolist()
    ds = [{"input_ids": i, "attention_mask": m, "labels": t}
          for i, m, t in zip(enc["input_ids"], enc["attention_mask"], targets)]
    args = TrainingArguments(output_dir="/tmp/w2s-bench-trainer", per_device_train_batch_size=cfg.batch_size,
                             num_train_epochs=cfg.epochs, learning_rate=cfg.lr, lr_scheduler_type="cosine",
                             report_to=[], save_strategy="no", logging_strategy="no", disable_tqdm=True,
                             dataloader_num_workers=0, seed=0, use_cpu=not torch.cuda.is_available(),
                             bf16=torch.cuda.is_available())
    trainer = Trainer(model=_WithLoss(_fresh_model(rung)), args=args, train_dataset=ds,
                      data_collator=DataCollatorWithPadding(tokenizer))
    start = time.perf_counter()
    trainer.train()
    return len(texts) * cfg.epochs / (time.perf_counter() - start)


def inference_rate(rung, tokenizer, texts, max_length) -> float:
    model = _fresh_model(rung).to("cuda" if torch.cuda.is_available() else "cpu")
    start = time.perf_counter()
    predict_proba(model, tokenizer, texts, max_length, batch_size=128)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ladder", default="micro")
    parser.add_argument("--n", type=int, default=512, help="training examples per run")
    parser.add_argument("--compare-rung", default="tiny-m", help="rung for the naive/Trainer/engine comparison")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rungs", default=None, help="comma-separated subset of the ladder's rungs")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    texts, y = _data(args.n)
    results = {"provenance": provenance(), "n": args.n, "epochs": args.epochs, "rungs": [], "comparison": {}}
    rungs = get_ladder(args.ladder)
    if args.rungs:
        rungs = tuple(r for r in rungs if r.name in args.rungs.split(","))
    for rung in rungs:
        rung = replace(rung, train_mode="full")
        tok = load_tokenizer_for(rung, "english")
        cfg = TrainConfig(lr=1e-4, epochs=args.epochs, batch_size=32, max_length=64)
        row = {"rung": rung.name, "non_embedding_params": rung.non_embedding_params(),
               "mean_tokens": float(np.mean(Encoded(tok, texts, 64).lengths)),
               "train_samples_per_s": engine_run(rung, tok, texts, y, cfg),
               "inference_samples_per_s": inference_rate(rung, tok, texts, 64)}
        results["rungs"].append(row)
        print(f"{rung.name:>12} {row['non_embedding_params']:>10,d} params  train {row['train_samples_per_s']:8.1f}/s"
              f"  inference {row['inference_samples_per_s']:8.1f}/s", flush=True)

    rung = replace(next(r for r in rungs if r.name == args.compare_rung), train_mode="full")
    tok = load_tokenizer_for(rung, "english")
    cfg = TrainConfig(lr=1e-4, epochs=args.epochs, batch_size=32, max_length=64)
    rates = {"engine": engine_run(rung, tok, texts, y, cfg), "hf_trainer": trainer_run(rung, tok, texts, y, cfg),
             "naive_per_example": naive_run(rung, tok, texts, y, cfg)}
    rates["engine_again"] = engine_run(rung, tok, texts, y, cfg)  # order effects: measure twice
    engine = (rates["engine"] + rates["engine_again"]) / 2
    results["comparison"] = {"rung": rung.name, "samples_per_s": rates,
                             "engine_vs_naive": engine / rates["naive_per_example"],
                             "engine_vs_hf_trainer": engine / rates["hf_trainer"]}
    print(f"\n{rung.name}: engine {engine:.1f}/s · HF Trainer {rates['hf_trainer']:.1f}/s · "
          f"naive {rates['naive_per_example']:.1f}/s")
    print(f"engine / naive = {results['comparison']['engine_vs_naive']:.2f}x, "
          f"engine / HF Trainer = {results['comparison']['engine_vs_hf_trainer']:.2f}x")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    main()
