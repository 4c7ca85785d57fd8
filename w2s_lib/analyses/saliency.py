"""Concept saliency (figure 4): what weak-to-strong training changes in what the strong model represents.

A frozen backbone's representations cannot change, so here the strong rung is *finetuned*: its
last ``k`` transformer blocks and a classifier head train on the task (``train_mode="last_k"``),
once on the weak supervisor's labels (the W2S student) and once on ground truth (the ceiling).
Linear probes then ask how well each concept can be read off the mean-pooled last-layer
representation before training, after W2S training and after ceiling training::

    weak    ← pipeline.weak_supervisor(weak rung, task)            # ground truth of A
    w2s     ← finetune(strong rung, last k blocks + head, weak's soft labels of B[:n])
    ceiling ← finetune(strong rung, last k blocks + head, ground truth of B[:n])
    for each concept c and state s in (before, w2s, ceiling):
        R_s(x) ← mean-pooled last-layer representation of x under s
        probe  ← train_probe(R_s(P_c), labels of P_c)      # P_c: n_train items of c's split A
        acc    ← accuracy(probe, R_s(T_c))                  # T_c: n_test items of c's test split

The probe sets leave out every text the models were trained or selected on (the task's A, B and
val: the concept tasks are built from the same VADER snippets as ``sentiment``), so a probe never
reads a representation of a text its backbone was finetuned on. Probe training and test items are
disjoint by construction and asserted. The finetuned weights (only what trained: the last blocks
and the head) and every representation pass are artifacts, keyed by content: the rung's settings,
the supervisor's artifact key, the split fingerprint, the seed and the texts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import metrics, pipeline
from ..models.ladder import TINY_ACTIVATION, Rung, get_ladder
from ..progress import progress
from ..store import Artifact, ArtifactSpec, ArtifactStore, default_store
from ..training.features import texts_fingerprint
from ..training.probe import ProbeConfig, train_probe
from ..seeding import torch_threads, train_threads

CONCEPTS = ("concept_sentiment", "concept_genre", "concept_intensity", "concept_controversy")
MODEL_STATES = ("before", "w2s", "ceiling")
FINETUNE_VERSION = 1
REPS_VERSION = 1


# ----------------------------------------------------------------------------- which models

def pick_rungs(ladder: str, weak_rung: str = "") -> tuple[Rung, Rung]:
    """(weak, strong): the strong model is the ladder's strongest rung; the weak supervisor is
    ``weak_rung`` or, when empty, the second-smallest rung (the smallest on a two-rung ladder)."""
    rungs = get_ladder(ladder)
    below = {r.name: r for r in rungs[:-1]}
    if weak_rung:
        if weak_rung not in below:
            raise ValueError(f"weak_rung {weak_rung!r} must be a rung of ladder {ladder!r} below the strongest; "
                             f"accepted: {', '.join(below)}")
        return below[weak_rung], rungs[-1]
    return (rungs[1] if len(rungs) > 2 else rungs[0]), rungs[-1]


def finetune_rung(strong: Rung, last_k: int = 1, lr: float = 1e-4, epochs: int = 2) -> Rung:
    """The strong rung as it is finetuned here: the last ``last_k`` blocks and the head train."""
    if last_k < 1:
        raise ValueError(f"last_k must be >= 1, got {last_k}")
    return replace(strong, train_mode="last_k", last_k=last_k, lr=lr, epochs=epochs)


# ----------------------------------------------------------------------------- finetuned backbones

def _classifier(rung: Rung, corpus: str, store: ArtifactStore):
    from ..models.backbone import load_backbone
    from ..models.heads import BinaryClassifier, freeze_all_but_last

    model = BinaryClassifier(load_backbone(rung, corpus, store), rung.pooling)
    freeze_all_but_last(model, rung.last_k)
    return model


def finetuned_model(rung: Rung, data: pipeline.TaskData, seed: int, role: str,
                    supervisor: Artifact | None = None, n_train: int | None = None,
                    store: ArtifactStore | None = None) -> Artifact:
    """The strong rung with its last ``rung.last_k`` blocks and head trained on the first
    ``n_train`` rows of B (all of B when ``None``): on ``supervisor``'s soft labels (``role="w2s"``)
    or on ground truth (``role="ceiling"``). Stores the trained parameters only (``trainable.pt``);
    :func:`load_finetuned` puts them back on the pretrained backbone."""
    if rung.train_mode != "last_k":
        raise ValueError(f"rung {rung.name} trains in mode {rung.train_mode!r}; use finetune_rung() first")
    if role not in ("w2s", "ceiling") or (role == "w2s") != (supervisor is not None):
        raise ValueError("role 'w2s' needs a supervisor and role 'ceiling' none")
    store = store or default_store()
    frame = data.splits.B if n_train is None else data.splits.B.iloc[:n_train]
    if n_train is not None and len(frame) < n_train:
        raise ValueError(f"{data.task}: B has {len(data.splits.B)} rows, fewer than n_train = {n_train}")
    spec = ArtifactSpec("finetuned_backbone", FINETUNE_VERSION,
                        {"role": role, "task": data.task, "rung": rung.key_config(), "n_train": len(frame),
                         "threads": train_threads()},
                        inputs=(supervisor.key,) if supervisor is not None else (),
                        splits=data.splits.fingerprint(labels=("B",) if role == "ceiling" else ()), seed=seed)

    def build(tmp: Path) -> dict:
        import torch
        from ..models.backbone import load_tokenizer_for
        from ..training.engine import TrainConfig, train_classifier

        corpus = pipeline.corpus_for(data.task)
        if role == "w2s":
            targets = pipeline.student_targets(data, supervisor)[0][: len(frame)]
        else:
            targets = frame["label"].to_numpy().astype(np.float32)
        model = _classifier(rung, corpus, store)
        cfg = TrainConfig(lr=rung.lr, epochs=rung.epochs, batch_size=rung.batch_size,
                          max_length=rung.max_length, seed=seed)
        history = train_classifier(model, load_tokenizer_for(rung, corpus, store), frame["text"].tolist(),
                                   targets, cfg, desc=f"{rung.name} {role} (last {rung.last_k})")
        trained = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
        torch.save(trained, tmp / "trainable.pt")
        return {"n_train": len(frame), "trainable_params": int(sum(p.numel() for p in trained.values())),
                "final_loss": float(np.mean(history["loss"][-5:]))}

    return store.get_or_build(spec, build)


def load_finetuned(rung: Rung, art: Artifact | None, corpus: str, store: ArtifactStore | None = None):
    """The classifier of a :func:`finetuned_model` artifact (``None``: the pretrained backbone with a
    zero head, i.e. the model before training), in eval mode."""
    import torch

    store = store or default_store()
    model = _classifier(rung, corpus, store)
    if art is not None:
        trained = torch.load(art.file("trainable.pt"), map_location="cpu", weights_only=True)
        missing, unexpected = model.load_state_dict(trained, strict=False)
        expected = {name for name, p in model.named_parameters() if p.requires_grad}
        if unexpected or set(trained) != expected:
            raise ValueError(f"artifact {art.key} does not hold the trainable parameters of {rung.name} "
                             f"(last {rung.last_k}): unexpected {unexpected[:3]}")
    return model.eval()


# ----------------------------------------------------------------------------- representations

def representations(rung: Rung, texts: Sequence[str], corpus: str, model: Artifact | None = None,
                    store: ArtifactStore | None = None, batch_size: int = 128) -> np.ndarray:
    """(N, D) pooled last-layer representations of ``texts`` under the pretrained backbone
    (``model=None``) or a :func:`finetuned_model`; one stored pass per (model, texts)."""
    store = store or default_store()
    texts = list(texts)
    spec = ArtifactSpec("concept_reps", REPS_VERSION,
                        {"backbone": rung.identity(), "pooling": rung.pooling, "max_length": rung.max_length,
                         "corpus": corpus if rung.family == "tiny_gpt2" else None,
                         **({"activation": TINY_ACTIVATION} if rung.family == "tiny_gpt2" else {}),
                         "last_k": rung.last_k if model is not None else None,
                         "texts": texts_fingerprint(texts), "n": len(texts)},
                        inputs=(model.key,) if model is not None else ())

    def build(tmp: Path) -> dict:
        import torch
        from ..devices import resolve_device
        from ..models.backbone import load_tokenizer_for
        from ..training.engine import Encoded

        device = resolve_device()  # W2S_DEVICE (default auto)
        net = load_finetuned(rung, model, corpus, store).to(device)
        enc = Encoded(load_tokenizer_for(rung, corpus, store), texts, rung.max_length)
        order = np.argsort(enc.lengths, kind="stable")
        out = np.empty((len(texts), net.head.in_features), dtype=np.float32)
        with torch_threads(train_threads()), torch.inference_mode():
            for start in progress(range(0, len(order), batch_size), desc=f"representations {rung.name}"):
                idx = order[start: start + batch_size]
                out[idx] = net.features(*enc.batch(idx.tolist(), device)).float().cpu().numpy()
        np.save(tmp / "reps.npy", out)
        return {"shape": list(out.shape)}

    return np.load(store.get_or_build(spec, build).file("reps.npy"))


def _head_proba(rung: Rung, art: Artifact, reps: np.ndarray) -> np.ndarray:
    """P(class 1) of a finetuned classifier from its representations: its head, applied here."""
    import torch

    trained = torch.load(art.file("trainable.pt"), map_location="cpu", weights_only=True)
    logits = reps @ trained["head.weight"].numpy().T + trained["head.bias"].numpy()
    return 1.0 / (1.0 + np.exp(-(logits[:, 1] - logits[:, 0])))


# ----------------------------------------------------------------------------- probe sets

def probe_sets(concept: str, preset: str, seed: int, n_train: int, n_test: int,
               exclude_texts: frozenset[str] | set[str] = frozenset()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(probe training items, probe test items) of a concept task for a seed: the first ``n_train``
    items of its split A and ``n_test`` items drawn (seeded) from its fixed test split, both without
    ``exclude_texts``. Disjoint by ids and by texts (asserted)."""
    splits = pipeline.make_splits(concept, seed, pipeline.sizes_for_preset(concept, preset))
    a = splits.A[~splits.A["text"].isin(exclude_texts)]
    test = splits.test[~splits.test["text"].isin(exclude_texts)]
    if len(a) < n_train or len(test) < n_test:
        raise ValueError(f"{concept} at preset {preset!r}: {len(a)} probe training and {len(test)} test items are "
                         f"left after excluding the models' training texts; asked for {n_train} and {n_test}")
    train = a.iloc[:n_train].reset_index(drop=True)
    pick = np.sort(np.random.default_rng(seed).permutation(len(test))[:n_test])
    test = test.iloc[pick].reset_index(drop=True)
    assert not set(train["id"]) & set(test["id"]), f"{concept}: probe train and test share ids"
    assert not set(train["text"]) & set(test["text"]), f"{concept}: probe train and test share texts"
    return train, test


# ----------------------------------------------------------------------------- the analysis

@dataclass
class SaliencyResult:
    """``runs``: one row per (concept, model_state, seed) with ``probe_acc`` and the packed per-item
    outcomes ``probe_items`` (the probe test items are the same for every state of a concept and
    seed, so states compare paired); ``models``: one row per
    (seed, model) with the test accuracy on the task of the weak supervisor and the two finetuned
    classifiers; ``artifacts``: the keys of the finetuned models, per seed."""

    runs: pd.DataFrame
    models: pd.DataFrame
    artifacts: dict


def concept_saliency(task: str, ladder: str, seeds: Sequence[int], preset: str,
                     concepts: Sequence[str] = CONCEPTS, weak_rung: str = "", probe_train: int = 150,
                     probe_test: int = 150, n_finetune: int | None = None, n_eval: int | None = None,
                     last_k: int = 1, lr: float = 1e-4, epochs: int = 2, probe: dict | None = None,
                     store: ArtifactStore | None = None) -> SaliencyResult:
    """Probe accuracy of each concept on the strong rung's representations before training, after
    W2S training and after ceiling training on ``task`` (see the module docstring), per seed.

    ``n_finetune``: rows of B the two finetuned models train on (``None``: all of B); ``n_eval``:
    test items of ``task`` the three classifiers are scored on (``None``: the whole test split);
    ``probe``: :class:`~w2s_lib.training.probe.ProbeConfig` options of the concept probes."""
    store = store or default_store()
    weak_r, strong = pick_rungs(ladder, weak_rung)
    tuned = finetune_rung(strong, last_k=last_k, lr=lr, epochs=epochs)
    corpus = pipeline.corpus_for(task)
    rows, model_rows, keys = [], [], {}
    for seed in progress(list(seeds), desc="concept saliency: seeds", leave=True):
        data = pipeline.task_data(task, preset, seed)
        weak = pipeline.weak_supervisor(weak_r, data, seed, store)
        states = {"before": None,
                  "w2s": finetuned_model(tuned, data, seed, "w2s", weak, n_finetune, store),
                  "ceiling": finetuned_model(tuned, data, seed, "ceiling", None, n_finetune, store)}
        keys[seed] = {s: a.key for s, a in states.items() if a is not None}
        seen = set().union(*(data.splits[s]["text"] for s in ("A", "B", "val")))
        sets = {c: probe_sets(c, preset, seed, probe_train, probe_test, seen) for c in concepts}
        probe_texts = sorted({t for tr, te in sets.values() for t in (*tr["text"], *te["text"])})
        test = data.splits.test if n_eval is None else data.splits.test.iloc[:n_eval]
        eval_texts = sorted(set(test["text"]) - set(probe_texts))
        y_test = test["label"].to_numpy()
        p_weak = pipeline.read_labels(weak, "test").loc[test["id"]].to_numpy()
        model_rows.append({"seed": seed, "model": f"weak supervisor ({weak_r.name})", "model_state": "weak",
                           "test_acc": metrics.accuracy(p_weak, y_test), "n_test": len(test)})
        for state, art in states.items():
            texts = probe_texts if art is None else probe_texts + eval_texts
            reps = representations(tuned, texts, corpus, art, store)
            row_of = {t: i for i, t in enumerate(texts)}
            if art is not None:
                proba = _head_proba(tuned, art, reps[[row_of[t] for t in test["text"]]])
                model_rows.append({"seed": seed, "model": f"{strong.name} {state}", "model_state": state,
                                   "test_acc": metrics.accuracy(proba, y_test), "n_test": len(test)})
            cfg = ProbeConfig(seed=seed, **(probe or {}))
            for concept, (tr, te) in sets.items():
                fitted = train_probe(reps[[row_of[t] for t in tr["text"]]], tr["label"].to_numpy().astype(np.float32),
                                     cfg)
                p = fitted.predict_proba(reps[[row_of[t] for t in te["text"]]])
                rows.append({"concept": concept, "model_state": state, "seed": seed,
                             "probe_acc": metrics.accuracy(p, te["label"].to_numpy()),
                             "probe_items": metrics.pack_outcomes(metrics.outcomes(p, te["label"].to_numpy())),
                             "probe_auroc": metrics.auroc(p, te["label"].to_numpy()),
                             "n_probe_train": len(tr), "n_probe_test": len(te), "task": task,
                             "strong_model": strong.name, "weak_model": weak_r.name})
    return SaliencyResult(pd.DataFrame(rows), pd.DataFrame(model_rows), keys)


# ----------------------------------------------------------------------------- summaries

