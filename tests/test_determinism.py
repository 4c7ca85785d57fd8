"""Same inputs, same numbers, whatever the machine's thread count."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from w2s_lib.models.ladder import LADDERS
from w2s_lib.models.pretrain import pretrained_artifact
from w2s_lib.store import ArtifactStore
from w2s_lib.training.features import rung_features


def test_pretraining_gives_the_same_weights_whatever_the_process_thread_count(tiny_corpus, tmp_path):
    rung = replace(LADDERS["tiny-test"][1], pretrain_steps=12)
    before = torch.get_num_threads()
    digests = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            art = pretrained_artifact(rung, "english", ArtifactStore(tmp_path / f"cache{threads}"))
            digests.append(art.manifest["files"]["model.safetensors"]["sha256"])
    finally:
        torch.set_num_threads(before)
    assert digests[0] == digests[1]


def test_frozen_features_are_the_same_with_one_or_two_threads(tmp_path):
    texts = [f"a {w} film, {n} times over" for w in ("good", "dull", "fine", "awful") for n in range(16)]
    rung = LADDERS["smoke"][1]
    before = torch.get_num_threads()
    feats = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            feats.append(rung_features(rung, "english", texts, ArtifactStore(tmp_path / f"cache{threads}")))
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(feats[0], feats[1])
