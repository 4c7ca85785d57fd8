"""The weak-to-strong methods: how a strong student learns from its supervisor's labels.

:data:`METHODS` names them all. The baseline and the auxiliary confidence loss are losses the
pipeline's student trains with; the others have one documented function each:

* :func:`aux_confidence_student` — the student's loss mixes the weak labels with its own hardened
  predictions (Burns et al. 2023, §4.3.2), so it can disagree with a confidently wrong supervisor;
* :func:`bootstrap_student` — a chain weak → intermediate rung(s) → strong, each step's student
  labelling the next step's fresh examples (Burns et al. §4.3.1);
* :func:`generative_finetune` — the strong rung first learns the task's text with its own
  language-model objective (masked LM for encoders, next-token for decoders) on unlabelled task
  inputs, test excluded; weak-to-strong training then starts from it (Burns et al. §5.2.2).

:func:`run_method` turns each into the row :func:`w2s_lib.grid.run_grid` stores, scored on the same
fixed test set and against the same original weak supervisor as the baseline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .models.ladder import Rung
from .pipeline import (TaskData, corpus_for, evaluate_run, strong_ceiling, test_accuracy, w2s_student,
                       weak_supervisor)
from .progress import progress
from .store import Artifact, ArtifactSpec, ArtifactStore, default_store
from .seeding import torch_threads, train_threads

@dataclass(frozen=True)
class Method:
    """How a student learns from weak labels: the loss and its options."""

    name: str
    loss: str
    loss_options: dict = field(default_factory=dict)
    description: str = ""
    kind: str = "loss"   # "loss": a student trained with ``loss``; "bootstrap", "generative": see w2s_methods


METHODS: dict[str, Method] = {
    "baseline": Method("baseline", "xent", description="naive finetuning on the weak soft labels"),
    "aux_conf": Method("aux_conf", "aux_conf", {"schedule": "paper"},
                       description="auxiliary confidence loss (α → 0.75 over the first 20 % of steps)"),
    "aux_conf_openai": Method("aux_conf_openai", "aux_conf", {"schedule": "openai"},
                              description="auxiliary confidence loss, OpenAI code schedule (0.5, jump at 10 %)"),
    "bootstrap": Method("bootstrap", "xent", kind="bootstrap",
                        description="a chain weak → intermediate rung(s) → strong, each step labelling the next "
                                    "step's fresh part of B"),
    "generative": Method("generative", "xent", kind="generative",
                         description="the strong rung first trains with its own LM objective (masked LM for "
                                     "encoders) on the task's unlabelled inputs, test excluded"),
}


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise KeyError(f"unknown method {name!r}; accepted: {', '.join(METHODS)}")
    return METHODS[name]


GENERATIVE_VERSION = 1
LM_STEPS = 120            # optimizer steps of LM finetuning (micro: about one pass over the inputs)
LM_LR = 1e-4
LM_BATCH = 16
MLM_PROBABILITY = 0.15


# ----------------------------------------------------------------------------- auxiliary confidence

def aux_confidence_student(rung: Rung, data: TaskData, seed: int, supervisor: Artifact, *,
                           schedule: str = "paper", select: str = "last", store=None) -> Artifact:
    """The strong rung trained on the supervisor's labels of B with the auxiliary confidence loss.

    Target per batch = (1 − α)·weak_soft + α·harden(student), the hardening threshold set so the
    hardened predictions keep the weak labels' class balance; α warms up ("paper": linearly to 0.75
    over the first 20 % of steps; "openai": 0.5 from 10 % of steps). The loss itself is
    :func:`w2s_lib.losses.aux_confidence_loss`."""
    method = METHODS["aux_conf" if schedule == "paper" else "aux_conf_openai"]
    return w2s_student(rung, data, seed, supervisor, method, select, store)


# ----------------------------------------------------------------------------- bootstrapping

def bootstrap_parts(data: TaskData, n_steps: int) -> list[TaskData]:
    """B cut into ``n_steps`` disjoint, consecutive parts: part k trains step k's student, and
    that student labels part k + 1 (its extra split ``Q``); the last part trains the strong rung."""
    b = data.splits.B
    if len(b) < 2 * n_steps:
        raise ValueError(f"task {data.task}: B has {len(b)} examples, too few for a {n_steps}-step bootstrap chain")
    cuts = np.array_split(np.arange(len(b)), n_steps)
    return [data.with_splits(B=b.iloc[cut], Q=b.iloc[cuts[k + 1]] if k + 1 < n_steps else b.iloc[:0])
            for k, cut in enumerate(cuts)]


def bootstrap_student(chain: Sequence[Rung], data: TaskData, seed: int, *, method: Method | None = None,
                      select: str = "last", store=None) -> tuple[Artifact, Artifact, list[Artifact]]:
    """Weak-to-strong through a chain of rungs, smallest first: ``chain[0]`` is the weak supervisor
    (trained on ground truth of A), every later rung a student of the one before.

    Returns the final student, the *direct* student (``chain[-1]`` trained on the weak supervisor's
    labels of the same final examples: the fair comparison) and every step's model.

        parts = split B into len(chain) − 1 disjoint parts
        supervisor = weak(chain[0], A)
        for k, rung in enumerate(chain[1:]):
            student_k = train(rung, parts[k], labels = supervisor(parts[k]))
            supervisor = student_k            # it labels parts[k + 1]
        direct = train(chain[-1], parts[-1], labels = weak(parts[-1]))
    """
    if len(chain) < 3:
        raise ValueError("a bootstrap chain needs a weak rung, at least one intermediate rung and a strong rung")
    method = method or METHODS["baseline"]
    parts = bootstrap_parts(data, len(chain) - 1)
    weak = weak_supervisor(chain[0], data, seed, store)
    supervisor, steps = weak, [weak]
    for rung, part in zip(chain[1:], parts):
        supervisor = w2s_student(rung, part, seed, supervisor, method, select, store)
        steps.append(supervisor)
    direct = w2s_student(chain[-1], parts[-1], seed, weak, method, select, store)
    return supervisor, direct, steps


# ----------------------------------------------------------------------------- generative finetuning

def unlabelled_inputs(data: TaskData) -> tuple[str, ...]:
    """The task's texts a model may read without labels: the whole working universe minus
    every text of the test set."""
    test = {t for c in ("text", "text_a", "text_b") if c in data.splits.test for t in data.splits.test[c]}
    return tuple(t for t in data.universe if t not in test)


def _is_encoder(rung: Rung, source: str) -> bool:
    from .models.sources import default_pooling

    return rung.family != "tiny_gpt2" and default_pooling(source) != "last"


def generative_finetune(rung: Rung, data: TaskData, *, steps: int = LM_STEPS, seed: int = 0,
                        store: ArtifactStore | None = None) -> Rung:
    """The rung after finetuning with its own language-model objective on the task's unlabelled
    inputs (test excluded), as a rung whose backbone is the stored, adapted model.

        texts = universe − test texts
        model = rung + its LM head (masked LM for encoders, next-token LM for decoders)
        for step in 1..steps: minimise LM loss on a batch of texts
        return rung with backbone = model without its head

    The adapted model is an artifact keyed by the rung, the texts and the recipe: every seed,
    weak partner and role (student, ceiling) reuses it."""
    from .models.backbone import backbone_source
    from .training.features import texts_fingerprint

    store = store or default_store()
    corpus = corpus_for(data.task)
    texts = unlabelled_inputs(data)
    source, _ = backbone_source(rung, corpus, store)
    encoder = _is_encoder(rung, rung.source or source)
    inputs = ()
    if rung.family == "tiny_gpt2":
        from .models.pretrain import pretrained_artifact

        inputs = (pretrained_artifact(rung, corpus, store).key,)
    spec = ArtifactSpec("lm_adapted", GENERATIVE_VERSION,
                        {"rung": rung.key_config(), "objective": "mlm" if encoder else "clm", "steps": steps,
                         "lr": LM_LR, "batch": LM_BATCH, "mlm_probability": MLM_PROBABILITY,
                         "texts": texts_fingerprint(texts), "n_texts": len(texts), "threads": train_threads()},
                        inputs=inputs, seed=seed)

    def build(tmp: Path) -> dict:
        with torch_threads(train_threads()):
            return _lm_finetune(rung, corpus, texts, encoder, steps, seed, tmp, store)

    art = store.get_or_build(spec, build)
    extra = {k: v for k, v in rung.extra.items() if k != "feature_depth"}
    return replace(rung, name=f"{rung.name}+gen", family="hf", source=str(art.path), extra=extra)


def _lm_finetune(rung: Rung, corpus: str, texts: Sequence[str], encoder: bool, steps: int, seed: int,
                 out: Path, store) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, DataCollatorForLanguageModeling

    from .devices import resolve_device
    from .models.backbone import backbone_source, load_tokenizer_for, quiet_transformers
    from .seeding import seed_everything

    seed_everything(seed)
    quiet_transformers()
    path, kwargs = backbone_source(rung, corpus, store)
    tokenizer = load_tokenizer_for(rung, corpus, store)
    auto = AutoModelForMaskedLM if encoder else AutoModelForCausalLM
    device = resolve_device()
    model = auto.from_pretrained(path, dtype=torch.float32, **kwargs).to(device).train()
    collate = DataCollatorForLanguageModeling(tokenizer, mlm=encoder, mlm_probability=MLM_PROBABILITY)
    encoded = tokenizer(list(texts), truncation=True, max_length=rung.max_length)["input_ids"]
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(encoded), generator=gen).tolist()
    optim = torch.optim.AdamW(model.parameters(), lr=LM_LR, weight_decay=0.01)
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / steps))))
    losses = []
    torch.manual_seed(seed)  # the collator's masks draw from torch's global generator
    for step in progress(range(steps), desc=f"LM finetune {rung.name} on {len(texts)} inputs"):
        idx = [order[(step * LM_BATCH + i) % len(order)] for i in range(LM_BATCH)]
        batch = collate([{"input_ids": encoded[i]} for i in idx])
        batch = {k: v.to(device) for k, v in batch.items()}
        loss = _masked_lm_loss(model, batch) if encoder and hasattr(model, "cls") else model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step(), sched.step(), optim.zero_grad(set_to_none=True)
        losses.append(float(loss.item()))
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    k = max(1, steps // 10)
    return {"objective": "mlm" if encoder else "clm", "first_loss": float(np.mean(losses[:k])),
            "final_loss": float(np.mean(losses[-k:])), "steps": steps, "n_texts": len(texts)}


def _masked_lm_loss(model, batch):
    """BERT-family masked LM loss with the vocabulary head applied to the masked positions only
    (15 % of tokens): the head over a 30k vocabulary dominates the cost of a shallow encoder, and
    unmasked positions do not enter the loss anyway."""
    import torch.nn.functional as F

    hidden = model.base_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    masked = batch["labels"] != -100
    logits = model.cls(hidden[masked])
    return F.cross_entropy(logits, batch["labels"][masked])


# ----------------------------------------------------------------------------- human weak supervisors

HUMAN_COLUMN = "human_weak_prob"


def has_human_labels(data: TaskData) -> bool:
    return HUMAN_COLUMN in data.splits.B.columns


def human_supervisor(data: TaskData, store: ArtifactStore | None = None) -> Artifact:
    """A single human rater as the weak supervisor: the task's ``human_weak_prob`` column (for
    VADER pairs, one rater's preference between the two snippets, 0.5 on a tie) stored as a
    model's labels, so a student learns from it exactly as from a weak model."""
    store = store or default_store()
    if not has_human_labels(data):
        raise ValueError(f"task {data.task} has no {HUMAN_COLUMN!r} column: no human weak labels")
    splits = ("B", *[s for s in data.emitted if s != "B"])
    spec = ArtifactSpec("human_labels", 1, {"task": data.task, "column": HUMAN_COLUMN},
                        splits=data.splits.fingerprint(labels=()), seed=None)

    def build(tmp: Path) -> dict:
        frame = pd.concat([pd.DataFrame({"id": data.splits[s]["id"].to_numpy(), "split": s,
                                         "prob": data.splits[s][HUMAN_COLUMN].to_numpy(np.float64)})
                           for s in splits], ignore_index=True)
        frame.to_parquet(tmp / "labels.parquet", index=False)
        return {"n": len(frame)}

    # the rater's preferences are input columns, so the splits' fingerprint covers them
    return store.get_or_build(spec, build)


# ----------------------------------------------------------------------------- rows of the grid

def run_method(method: Method, rungs: Sequence[Rung], weak_rung: Rung, strong_rung: Rung, data: TaskData,
               seed: int, weak: Artifact, ceiling: Artifact, *, select: str = "last", store=None,
               lm_steps: int | None = None) -> dict | None:
    """One run of a non-loss method for one (weak, strong) pair, in the columns of the baseline's
    rows (accuracies, AUROCs, agreements) plus what its comparison needs; ``None`` where the
    method does not apply (bootstrapping a pair with no rung between; generative finetuning of a
    strong rung other than the ladder's largest, which would cost one LM finetune and feature
    pass each, or of a board rung, which has no language-model objective)."""
    if method.kind == "bootstrap":
        names = [r.name for r in rungs]
        chain = list(rungs[names.index(weak_rung.name): names.index(strong_rung.name) + 1])
        if len(chain) < 3:
            return None
        final, direct, _ = bootstrap_student(chain, data, seed, select=select, store=store)
        return {**evaluate_run(data, weak, final, ceiling), "direct_student_acc": test_accuracy(data, direct),
                "chain": " → ".join(r.name for r in chain)}
    if method.kind == "generative":
        if strong_rung.family == "board":
            return None  # a board network has no language-model objective to adapt with
        if strong_rung.name != rungs[-1].name:
            return None  # one LM finetune per task: for the ladder's largest rung only (the budget)
        adapted = generative_finetune(strong_rung, data, steps=lm_steps or LM_STEPS, store=store)
        student = w2s_student(adapted, data, seed, weak, METHODS["baseline"], select, store)
        adapted_ceiling = strong_ceiling(adapted, data, seed, store)
        return {**evaluate_run(data, weak, student, adapted_ceiling),
                "plain_ceiling_acc": test_accuracy(data, ceiling)}
    raise ValueError(f"method {method.name!r} has kind {method.kind!r}; run_grid trains loss methods itself")
