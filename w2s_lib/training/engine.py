"""The finetuning engine: batched, seeded, on accelerate (fp32 on CPU, bf16 on GPU).

Texts are tokenized once; batches are padded only to their own longest sequence; inference
sorts by length so padding is minimal. Targets are probability rows (soft weak labels or
one-hot ground truth) and the loss is any of :mod:`w2s_lib.losses` by name. Model selection,
when asked for, uses only the weak labels of the validation split (``select="weak_val"``):
ground truth of B or val never reaches a student.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

import numpy as np
import torch

from ..losses import make_loss, make_pairwise_loss
from ..progress import progress
from ..checkpoint import Checkpointer
from ..devices import make_accelerator
from ..seeding import seed_everything, torch_threads, train_threads

Select = Literal["last", "weak_val"]


@dataclass(frozen=True)
class TrainConfig:
    lr: float = 5e-5
    epochs: int = 2
    batch_size: int = 32
    max_length: int = 128
    weight_decay: float = 0.0
    warmup_frac: float = 0.0           # Burns et al.: cosine schedule, no warm-up
    loss: str = "xent"
    loss_options: dict = field(default_factory=dict)
    select: Select = "last"
    eval_batch_size: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        if self.select not in ("last", "weak_val"):
            raise ValueError(f"select must be 'last' or 'weak_val', got {self.select!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs and batch_size must be >= 1 and lr > 0")


class Encoded:
    """Token ids of a list of texts, tokenized once and padded per batch."""

    def __init__(self, tokenizer, texts: Sequence[str], max_length: int):
        enc = tokenizer(list(texts), truncation=True, max_length=max_length, add_special_tokens=True)
        self.ids = [np.asarray(x, dtype=np.int64) for x in enc["input_ids"]]
        self.lengths = np.array([len(x) for x in self.ids])
        self.pad_id = tokenizer.pad_token_id

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, indices: Sequence[int], device) -> tuple[torch.Tensor, torch.Tensor]:
        width = int(max(self.lengths[i] for i in indices))
        input_ids = np.full((len(indices), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(indices), width), dtype=np.int64)
        for row, i in enumerate(indices):
            input_ids[row, : self.lengths[i]] = self.ids[i]
            mask[row, : self.lengths[i]] = 1
        return torch.from_numpy(input_ids).to(device), torch.from_numpy(mask).to(device)


def _schedule(optimizer, total: int, warmup_frac: float):
    warmup = int(total * warmup_frac)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def length_grouped_batches(lengths: np.ndarray, batch_size: int, generator: torch.Generator,
                           group: int = 16) -> list[list[int]]:
    """Shuffled batches of similar lengths: shuffle, sort within chunks of ``group`` batches,
    cut into batches, shuffle the batches. Less padding, still a random order per epoch."""
    order = torch.randperm(len(lengths), generator=generator).numpy()
    batches = []
    for start in range(0, len(order), batch_size * group):
        chunk = order[start: start + batch_size * group]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i: i + batch_size].tolist() for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def _fit(model: torch.nn.Module, n: int, step_loss: Callable[[torch.nn.Module, list[int], float], torch.Tensor],
         cfg: TrainConfig, evaluate: Callable[[], float] | None, desc: str, accelerator,
         lengths: np.ndarray | None = None) -> dict:
    """The shared loop: length-grouped shuffled batches, AdamW, cosine schedule, optional selection,
    on :func:`~w2s_lib.seeding.train_threads` threads on a CPU."""
    with torch_threads(train_threads()):
        return _fit_steps(model, n, step_loss, cfg, evaluate, desc, accelerator, lengths)


def _fit_steps(model, n, step_loss, cfg, evaluate, desc, accelerator, lengths):
    # a model may ask for parameter groups of its own (e.g. a fresh head at a higher learning rate)
    params = model.param_groups(cfg.lr) if hasattr(model, "param_groups") else \
        [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    scheduler = _schedule(optimizer, total, cfg.warmup_frac)
    model, optimizer = accelerator.prepare(model, optimizer)
    generator = torch.Generator().manual_seed(cfg.seed)
    history, best = {"loss": [], "val_weak_loss": []}, (math.inf, None)
    step, first_epoch, skip = 0, 0, 0
    # a killed build resumes from its last checkpoint (one process; under DDP it starts over)
    checkpoint = Checkpointer.for_current_build() if accelerator.num_processes == 1 else Checkpointer(None)
    saved = checkpoint.load()
    if saved is not None:
        accelerator.unwrap_model(model).load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"]), scheduler.load_state_dict(saved["scheduler"])
        history, best, step = saved["history"], saved["best"], saved["step"]
        first_epoch, skip = saved["epoch"], saved["batch"]
        generator.set_state(saved["generator"])
        torch.set_rng_state(saved["rng"])  # dropout draws continue where they stopped
    with progress(total=total, initial=step, desc=desc) as bar:
        for epoch in range(first_epoch, cfg.epochs):
            model.train()
            epoch_generator = generator.get_state()  # the epoch's batch order can be drawn again from here
            batches = length_grouped_batches(lengths if lengths is not None else np.ones(n), cfg.batch_size, generator)
            for index, batch in enumerate(batches):
                if epoch == first_epoch and index < skip:
                    continue
                # under `accelerate launch` each process takes its share; DDP averages gradients
                batch = batch[accelerator.process_index::accelerator.num_processes] or batch
                with accelerator.autocast():
                    loss = step_loss(model, batch, min(1.0, step / max(1, total - 1)))
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                history["loss"].append(float(loss.detach()))
                step += 1
                bar.update(1)
                checkpoint.maybe_save(lambda: {
                    "model": accelerator.unwrap_model(model).state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "history": history, "best": best, "step": step,
                    "epoch": epoch, "batch": index + 1, "generator": epoch_generator, "rng": torch.get_rng_state()})
            if evaluate is not None:
                score = evaluate()
                history["val_weak_loss"].append(score)
                if score < best[0]:
                    best = (score, copy.deepcopy(accelerator.unwrap_model(model).state_dict()))
    model = accelerator.unwrap_model(model)
    if cfg.select == "weak_val" and best[1] is not None:
        model.load_state_dict(best[1])
        history["selected_epoch"] = int(np.argmin(history["val_weak_loss"])) + 1
    return history


def probability_rows(targets: np.ndarray) -> np.ndarray:
    """P(class 1) vectors become (N, 2) probability rows."""
    targets = np.asarray(targets, dtype=np.float32)
    return np.stack([1 - targets, targets], axis=1) if targets.ndim == 1 else targets


def train_classifier(model, tokenizer, texts: Sequence[str], targets: np.ndarray, cfg: TrainConfig,
                     val_texts: Sequence[str] | None = None, val_weak: np.ndarray | None = None,
                     desc: str = "train") -> dict:
    """Train a :class:`~w2s_lib.models.heads.BinaryClassifier` in place; returns the history."""
    seed_everything(cfg.seed)
    accelerator = make_accelerator()
    device = accelerator.device
    data = Encoded(tokenizer, texts, cfg.max_length)
    target = torch.from_numpy(probability_rows(targets))
    loss_fn = make_loss(cfg.loss, **cfg.loss_options)

    def step_loss(net, batch: list[int], step_frac: float) -> torch.Tensor:
        ids, mask = data.batch(batch, device)
        return loss_fn(net(ids, mask).float(), target[batch].to(device), step_frac)

    evaluate = None
    if cfg.select == "weak_val":
        if val_texts is None or val_weak is None:
            raise ValueError("select='weak_val' needs val_texts and their weak labels")
        val_target = probability_rows(val_weak)

        def evaluate() -> float:
            p = predict_proba(model, tokenizer, val_texts, cfg.max_length, cfg.eval_batch_size)
            p = np.clip(np.stack([1 - p, p], 1), 1e-6, 1)
            return float(-(val_target * np.log(p)).sum(1).mean())

    return _fit(model, len(data), step_loss, cfg, evaluate, desc, accelerator, data.lengths)


def train_reward_model(model, tokenizer, texts_a: Sequence[str], texts_b: Sequence[str],
                       targets: np.ndarray, cfg: TrainConfig, desc: str = "train rm") -> dict:
    """Train a :class:`~w2s_lib.models.heads.RewardModel` on P(a preferred over b) targets."""
    seed_everything(cfg.seed)
    accelerator = make_accelerator()
    device = accelerator.device
    data_a, data_b = Encoded(tokenizer, texts_a, cfg.max_length), Encoded(tokenizer, texts_b, cfg.max_length)
    target = torch.as_tensor(np.array(targets, dtype=np.float32))
    loss_fn = make_pairwise_loss(cfg.loss, **cfg.loss_options)

    def step_loss(net, batch: list[int], step_frac: float) -> torch.Tensor:
        r_a = net(*data_a.batch(batch, device)).float()
        r_b = net(*data_b.batch(batch, device)).float()
        return loss_fn(r_a, r_b, target[batch].to(device), step_frac)

    return _fit(model, len(data_a), step_loss, cfg, None, desc, accelerator,
                np.maximum(data_a.lengths, data_b.lengths))


@torch.inference_mode()
def predict_outputs(model, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 128) -> np.ndarray:
    """Raw head outputs for every text, batched by length (order restored)."""
    model.eval()
    device = next(model.parameters()).device
    data = Encoded(tokenizer, texts, max_length)
    order = np.argsort(data.lengths, kind="stable")
    outs = [None] * len(data)
    for start in range(0, len(order), batch_size):
        idx = order[start: start + batch_size].tolist()
        out = model(*data.batch(idx, device)).float().cpu().numpy()
        for i, row in zip(idx, out):
            outs[i] = row
    return np.asarray(outs)


def predict_proba(model, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 128) -> np.ndarray:
    """P(class 1) from a binary classifier."""
    logits = predict_outputs(model, tokenizer, texts, max_length, batch_size)
    return torch.softmax(torch.from_numpy(logits), dim=-1)[:, 1].numpy()
