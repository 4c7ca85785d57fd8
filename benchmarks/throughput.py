"""Training and inference throughput (samples/s), and our engine against two reference loops.

A script, not a test: numbers on a shared machine are noisy, so everything compared is
measured in the same process, one after another, and reported as ratios.

* per rung of a ladder: training samples/s (full finetuning) and inference samples/s;
* one training run (same model, data, batch size, epochs, torch threads) through
  (i) a naive per-example loop (one example per forward pass, gradients accumulated to the
  batch size — the default of openai/weak-to-strong), (ii) the Hugging Face ``Trainer``
  with dynamic padding, and (iii) ``w2s_lib.training.engine.train_classifier``;
* the fraction of this machine's fp32 matmul rate that pretraining and finetuning the compared
  rung reach: achieved FLOP/s (estimated as 6 · parameters · tokens per step) against
  ``torch.matmul`` timed in the same run, on the same number of threads (``W2S_TRAIN_THREADS``,
  1 by default), on the shapes of the rung's own matrix products and on a large square product.

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
from w2s_lib.devices import resolve_device
from w2s_lib.losses import soft_cross_entropy
from w2s_lib.models import get_ladder
from w2s_lib.models.backbone import load_backbone, load_tokenizer_for
from w2s_lib.models.heads import BinaryClassifier
from w2s_lib.provenance import provenance
from w2s_lib.training.engine import Encoded, TrainConfig, predict_proba, train_classifier
from w2s_lib.seeding import torch_threads, train_threads


def _data(n: int):
    pool = load_pool("sentiment").sample(n, random_state=0)
    return pool["text"].tolist(), pool["label"].to_numpy().astype(np.float32)


def _fresh_model(rung, corpus="english", activation=None):
    """The rung as the library loads it; ``activation``: a tiny rung with another GELU (e.g. GPT-2's
    unfused "gelu_new", what the library ran before the fused kernel) for comparison."""
    torch.manual_seed(0)
    backbone = load_backbone(rung, corpus)
    if activation is not None:
        from transformers.activations import ACT2FN

        for block in backbone.h:
            block.mlp.act = ACT2FN[activation]
    return BinaryClassifier(backbone, rung.pooling)


def engine_run(rung, tokenizer, texts, y, cfg, activation=None) -> float:
    model = _fresh_model(rung, activation=activation)
    start = time.perf_counter()
    train_classifier(model, tokenizer, texts, y, cfg)
    return len(texts) * cfg.epochs / (time.perf_counter() - start)


def naive_run(rung, tokenizer, texts, y, cfg) -> float:
    """One example per forward pass; gradients accumulated over ``batch_size`` examples."""
    model = _fresh_model(rung)
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    target = torch.from_numpy(np.stack([1 - y, y], 1))
    with torch_threads(train_threads()):  # the engine's thread count
        start = time.perf_counter()
        _naive_epochs(model, optim, tokenizer, texts, target, cfg)
        return len(texts) * cfg.epochs / (time.perf_counter() - start)


def _naive_epochs(model, optim, tokenizer, texts, target, cfg) -> None:
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
                             dataloader_num_workers=0, seed=0, use_cpu=resolve_device().type != "cuda",
                             bf16=resolve_device().type == "cuda")
    trainer = Trainer(model=_WithLoss(_fresh_model(rung)), args=args, train_dataset=ds,
                      data_collator=DataCollatorWithPadding(tokenizer))
    with torch_threads(train_threads()):  # the engine's thread count
        start = time.perf_counter()
        trainer.train()
        return len(texts) * cfg.epochs / (time.perf_counter() - start)


def inference_rate(rung, tokenizer, texts, max_length) -> float:
    model = _fresh_model(rung).to(resolve_device())
    start = time.perf_counter()
    predict_proba(model, tokenizer, texts, max_length, batch_size=128)
    return len(texts) / (time.perf_counter() - start)


# ----------------------------------------------------------------------------- FLOP/s against matmul

def matmul_flops_per_s(m: int, k: int, n: int, seconds: float) -> float:
    """fp32 ``torch.matmul`` of (m×k)·(k×n) on the current threads and device: FLOP/s (2·m·k·n each)."""
    device = resolve_device()
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen).to(device)
    b = torch.randn(k, n, generator=gen).to(device)
    for _ in range(3):
        torch.matmul(a, b)
    calls, start = 0, time.perf_counter()
    while True:
        for _ in range(8):
            torch.matmul(a, b)
        calls += 8
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return 2.0 * m * k * n * calls / elapsed


def model_shapes(rung, tokens: int, vocab: int | None) -> list[tuple[int, int, int]]:
    """The (m, k, n) of one GPT-2 block's matrix products for ``tokens`` rows (QKV, attention
    output, the two MLP layers), and of the LM head when ``vocab`` is given."""
    d = rung.n_embd
    shapes = [(tokens, d, 3 * d), (tokens, d, d), (tokens, d, 4 * d), (tokens, 4 * d, d)]
    return shapes + ([(tokens, d, vocab)] if vocab else [])


def mix_rate(shapes, seconds: float) -> dict:
    """FLOP/s of each shape and of their FLOP-weighted mix (total FLOPs / total time)."""
    rates = {f"{m}x{k}x{n}": matmul_flops_per_s(m, k, n, seconds) for m, k, n in shapes}
    flops = [2.0 * m * k * n for m, k, n in shapes]
    seconds_each = [f / r for f, r in zip(flops, rates.values())]
    return {"per_shape_gflop_s": {s: r / 1e9 for s, r in rates.items()},
            "mix_gflop_s": sum(flops) / sum(seconds_each) / 1e9}


def pretraining_rate(rung, vocab: int, steps: int) -> dict:
    """Steps/s of the pretraining loop of :mod:`w2s_lib.models.pretrain` (same model, batch, block,
    optimizer, clipping) on random token blocks; FLOP/s as 6 · (non-embedding + LM-head) params · tokens."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from w2s_lib.models.pretrain import BATCH_SIZE, BLOCK_SIZE, PRETRAIN_LR

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=vocab, n_positions=max(512, BLOCK_SIZE), n_embd=rung.n_embd,
                        n_layer=rung.n_layer, n_head=rung.n_head, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    device = resolve_device()
    model = GPT2LMHeadModel(config).to(device).train()
    optim = torch.optim.AdamW(model.parameters(), lr=PRETRAIN_LR, weight_decay=0.01)
    batch = torch.randint(0, vocab, (BATCH_SIZE, BLOCK_SIZE), generator=torch.Generator().manual_seed(0)).to(device)

    def step():
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step(), optim.zero_grad(set_to_none=True)

    with torch_threads(train_threads()):
        for _ in range(3):
            step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        elapsed = time.perf_counter() - start
    params = rung.non_embedding_params() + rung.n_embd * vocab  # the LM head (tied to the embedding) is a matmul
    tokens = BATCH_SIZE * BLOCK_SIZE
    return {"steps": steps, "steps_per_s": steps / elapsed, "tokens_per_step": tokens, "flop_params": params,
            "gflop_s": 6.0 * params * tokens * steps / elapsed / 1e9}


def flops_report(rung, tok, texts, args, engine_samples_per_s: float) -> dict:
    from w2s_lib.models.pretrain import BATCH_SIZE, BLOCK_SIZE

    threads = train_threads()
    vocab = len(tok)
    mean_tokens = float(np.mean(Encoded(tok, texts, 64).lengths))
    with torch_threads(threads):
        square = matmul_flops_per_s(1024, 1024, 1024, args.matmul_seconds) / 1e9
        pre_mix = mix_rate(model_shapes(rung, BATCH_SIZE * BLOCK_SIZE, vocab), args.matmul_seconds)
        fine_mix = mix_rate(model_shapes(rung, int(round(32 * mean_tokens)), None), args.matmul_seconds)
    pre = pretraining_rate(rung, vocab, args.pretrain_steps)
    # finetuning: 6 · non-embedding params · real (unpadded) tokens; the 2-way head is negligible
    fine_gflop_s = 6.0 * rung.non_embedding_params() * mean_tokens * engine_samples_per_s / 1e9
    report = {
        "rung": rung.name, "threads": threads, "device": str(resolve_device()),
        "matmul_fp32_gflop_s": {"square_1024": square, "pretraining_shapes": pre_mix,
                                "finetuning_shapes": fine_mix},
        "pretraining": {**pre, "fraction_of_square_matmul": pre["gflop_s"] / square,
                        "fraction_of_same_shapes_matmul": pre["gflop_s"] / pre_mix["mix_gflop_s"]},
        "finetuning": {"samples_per_s": engine_samples_per_s, "mean_tokens": mean_tokens,
                       "flop_params": rung.non_embedding_params(), "gflop_s": fine_gflop_s,
                       "fraction_of_square_matmul": fine_gflop_s / square,
                       "fraction_of_same_shapes_matmul": fine_gflop_s / fine_mix["mix_gflop_s"]},
    }
    print(f"\nfp32 matmul on {threads} thread(s): 1024³ {square:.1f} GFLOP/s; "
          f"{rung.name} pretraining shapes {pre_mix['mix_gflop_s']:.1f}, finetuning shapes {fine_mix['mix_gflop_s']:.1f}")
    for name in ("pretraining", "finetuning"):
        r = report[name]
        print(f"{name} {rung.name}: {r['gflop_s']:.2f} GFLOP/s = {100 * r['fraction_of_same_shapes_matmul']:.0f} % of "
              f"matmul on its shapes, {100 * r['fraction_of_square_matmul']:.0f} % of the 1024³ rate")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ladder", default="micro")
    parser.add_argument("--n", type=int, default=512, help="training examples per run")
    parser.add_argument("--compare-rung", default="tiny-s", help="rung for the naive/Trainer/engine comparison "
                                                                   "and the matmul fraction (the largest tiny rung)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rungs", default=None, help="comma-separated subset of the ladder's rungs")
    parser.add_argument("--pretrain-steps", type=int, default=30, help="timed pretraining steps")
    parser.add_argument("--matmul-seconds", type=float, default=0.5, help="time per matmul shape")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    texts, y = _data(args.n)
    results = {"provenance": provenance(), "n": args.n, "epochs": args.epochs, "threads": train_threads(),
               "rungs": [], "comparison": {}}
    ladder = get_ladder(args.ladder)
    rungs = ladder
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

    rung = replace(next(r for r in ladder if r.name == args.compare_rung), train_mode="full")
    tok = load_tokenizer_for(rung, "english")
    cfg = TrainConfig(lr=1e-4, epochs=args.epochs, batch_size=32, max_length=64)
    rates = {"engine": engine_run(rung, tok, texts, y, cfg), "hf_trainer": trainer_run(rung, tok, texts, y, cfg),
             "naive_per_example": naive_run(rung, tok, texts, y, cfg)}
    rates["engine_again"] = engine_run(rung, tok, texts, y, cfg)  # order effects: measure twice
    engine = (rates["engine"] + rates["engine_again"]) / 2
    if rung.family == "tiny_gpt2":  # the fused GELU against GPT-2's chain of element-wise operations
        rates["engine_unfused_gelu"] = engine_run(rung, tok, texts, y, cfg, activation="gelu_new")
        results["fused_gelu_speedup"] = engine / rates["engine_unfused_gelu"]
        print(f"engine with GPT-2's unfused GELU: {rates['engine_unfused_gelu']:.1f}/s "
              f"(fused / unfused = {results['fused_gelu_speedup']:.2f}x)")
    results["comparison"] = {"rung": rung.name, "samples_per_s": rates,
                             "engine_vs_naive": engine / rates["naive_per_example"],
                             "engine_vs_hf_trainer": engine / rates["hf_trainer"]}
    print(f"\n{rung.name}: engine {engine:.1f}/s · HF Trainer {rates['hf_trainer']:.1f}/s · "
          f"naive {rates['naive_per_example']:.1f}/s")
    print(f"engine / naive = {results['comparison']['engine_vs_naive']:.2f}x, "
          f"engine / HF Trainer = {results['comparison']['engine_vs_hf_trainer']:.2f}x")
    if rung.family == "tiny_gpt2":
        results["flops"] = flops_report(rung, tok, texts, args, engine)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    main()
