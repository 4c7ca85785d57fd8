"""Frozen features of a rung for a set of texts, computed once and stored as artifacts.

The texts are a task's whole working universe (the working pool plus the test set), so every
seed, method and role (weak, student, ceiling) reuses one forward pass per rung. MiniLM
truncations share one pass too: the output of layer k of the full model *is* the output of
its first-k-layer truncation, so ``minilm:k`` reads layer k of one stored pass of the first
``feature_depth`` layers (6 unless its ladder says less: the smoke ladder needs two).
"""
from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..models.ladder import TINY_ACTIVATION, Rung
from ..models.sources import MINILM_LAYERS, MINILM_PREFIX
from ..progress import progress
from ..store import ArtifactSpec, ArtifactStore, default_store

FEATURES_VERSION = 2


def texts_fingerprint(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _extract(rung: Rung, corpus: str, texts: Sequence[str], all_layers: bool, store, batch_size: int):
    import torch
    from ..devices import resolve_device
    from ..models.backbone import load_backbone, load_tokenizer_for
    from ..models.heads import pool
    from ..checkpoint import Checkpointer
    from .engine import Encoded

    device = resolve_device()  # W2S_DEVICE (default auto)
    tokenizer = load_tokenizer_for(rung, corpus, store)
    model = load_backbone(rung, corpus, store).to(device).eval()
    data = Encoded(tokenizer, texts, rung.max_length)
    order = np.argsort(data.lengths, kind="stable")
    # a killed pass resumes at the batch after its last checkpoint (the largest take minutes)
    checkpoint = Checkpointer.for_current_build()
    saved = checkpoint.load() or {"chunks": [], "index": [], "next": 0}
    chunks, index = saved["chunks"], saved["index"]
    starts = range(saved["next"], len(order), batch_size)
    with torch.inference_mode():
        for start in progress(starts, total=math.ceil(len(order) / batch_size), initial=len(chunks),
                              desc=f"features {rung.name}"):
            idx = order[start: start + batch_size].tolist()
            ids, mask = data.batch(idx, device)
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=all_layers)
            layers = out.hidden_states if all_layers else (out.last_hidden_state,)
            chunks.append(torch.stack([pool(h, mask, rung.pooling) for h in layers]).float().cpu().numpy())
            index.extend(idx)
            checkpoint.maybe_save(lambda: {"chunks": chunks, "index": index, "next": start + batch_size})
    feats = np.concatenate(chunks, axis=1)               # (layers, N, D) in length order
    restored = np.empty_like(feats)
    restored[:, np.asarray(index)] = feats
    return restored


def feature_artifact(rung: Rung, corpus: str, texts: Sequence[str], store: ArtifactStore | None = None,
                     batch_size: int = 128):
    store = store or default_store()
    if rung.family == "board":
        return _board_feature_artifact(rung, texts, store)
    all_layers = rung.source.startswith(MINILM_PREFIX)
    depth = rung.extra.get("feature_depth", MINILM_LAYERS)  # the truncations of a ladder share one pass
    base = replace(rung, source=f"{MINILM_PREFIX}{depth}", name=f"minilm-l{depth}", extra={}) \
        if all_layers else rung
    inputs = ()
    if base.family == "tiny_gpt2":
        from ..models.pretrain import pretrained_artifact

        inputs = (pretrained_artifact(base, corpus, store).key,)
    spec = ArtifactSpec("features", FEATURES_VERSION,
                        {"backbone": base.identity(), "corpus": corpus if base.family == "tiny_gpt2" else None,
                         **({"activation": TINY_ACTIVATION} if base.family == "tiny_gpt2" else {}),
                         "pooling": base.pooling, "max_length": base.max_length, "all_layers": all_layers,
                         "texts": texts_fingerprint(texts), "n": len(texts)}, inputs=inputs)

    def build(tmp: Path) -> dict:
        feats = _extract(base, corpus, texts, all_layers, store, batch_size)
        np.save(tmp / "features.npy", feats.astype(np.float16 if all_layers else np.float32))
        return {"shape": list(feats.shape)}

    return store.get_or_build(spec, build)


def _board_feature_artifact(rung: Rung, texts: Sequence[str], store: ArtifactStore):
    """A board rung's features of chess texts (:func:`w2s_lib.models.board.board_features`), stored
    as one layer (1, N, D) like a text rung's."""
    from ..models.board import board_features, pretrained_board
    from ..models.ladder import BOARD_READOUT_VERSION

    spec = ArtifactSpec("features", FEATURES_VERSION,
                        {"backbone": rung.identity(), "reads": "board", "readout": BOARD_READOUT_VERSION, "texts": texts_fingerprint(texts),
                         "n": len(texts)}, inputs=(pretrained_board(rung, store).key,))

    def build(tmp: Path) -> dict:
        feats = board_features(rung, texts, store)[None]
        np.save(tmp / "features.npy", feats.astype(np.float32))
        return {"shape": list(feats.shape)}

    return store.get_or_build(spec, build)


@functools.lru_cache(maxsize=8)
def _load_features(path: str, stamp: float) -> np.ndarray:
    return np.load(path)


def rung_features(rung: Rung, corpus: str, texts: Sequence[str], store: ArtifactStore | None = None) -> np.ndarray:
    """(N, D) float32 features of ``texts`` for ``rung`` (layer k for ``minilm:k``).

    The stored array is read once per process: weak, ceiling and every student of every seed
    and method use the same features."""
    art = feature_artifact(rung, corpus, texts, store)
    feats = _load_features(str(art.file("features.npy")), art.file("manifest.json").stat().st_mtime)
    layer = int(rung.source[len(MINILM_PREFIX):]) if rung.source.startswith(MINILM_PREFIX) else -1
    return feats[layer].astype(np.float32)
