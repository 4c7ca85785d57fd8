"""The finetuned regime: the last block on cached inputs is the rung's own forward pass, it trains,
it is reproducible, and the grid reports it beside the probes."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from w2s_lib.models.ladder import LADDERS, Rung
from w2s_lib.training import top_block as T

TEXTS = ["a dull film", "the acting was brilliant and the plot was fun", "not good", "great"]
START = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"


def test_the_encoder_top_on_cached_states_is_the_models_forward_pass():
    """Cached layer k − 1 states through the pretrained layer k, mean-pooled, equal the rung's frozen
    features (layer k of one stored pass); the cache is float16, hence the tolerance."""
    from w2s_lib.training.features import rung_features

    rung = LADDERS["smoke"][1]
    inputs = T.cached_inputs(rung, "english", TEXTS)
    top = T.top_model(rung, "english", 2).eval()
    captured = {}
    top.head.register_forward_hook(lambda module, args, out: captured.setdefault("pooled", args[0]))
    with torch.no_grad():
        top(*inputs.batch(np.arange(len(TEXTS))))
    frozen = rung_features(rung, "english", TEXTS)
    assert np.abs(captured["pooled"].numpy() - frozen).max() < 2e-2


def test_the_board_top_on_cached_states_gives_the_board_features(tmp_path):
    from w2s_lib.models.board import board_features
    from w2s_lib.store import ArtifactStore

    rung = Rung(name="board-test", family="board", n_layer=2, n_embd=8, n_channels=4, pretrain_steps=3)
    store = ArtifactStore(tmp_path)
    texts = [f"FEN: {START}\nMove: {m}" for m in ("e2e4", "g1f3", "a2a3")]
    inputs = T.cached_inputs(rung, "chess", texts, store)
    top = T.top_model(rung, "chess", 2, store).eval()
    captured = {}
    top.head.register_forward_hook(lambda module, args, out: captured.setdefault("features", args[0]))
    with torch.no_grad():
        top(*inputs.batch(np.arange(len(texts))))
    assert np.allclose(captured["features"].numpy(), board_features(rung, texts, store), atol=1e-5)


def test_the_finetuned_regime_trains_reproducibly_and_sits_beside_the_probes(small_splits):
    """Rows of both regimes for the largest pair; only loss methods run finetuned; the same seed in a
    fresh store gives the same probabilities; the finetuned ceiling fits its training examples."""
    from w2s_lib.grid import run_grid
    from w2s_lib import metrics
    from w2s_lib.pipeline import read_labels, strong_ceiling, task_data
    from w2s_lib.store import ArtifactStore

    runs = run_grid(["sentiment"], "smoke", [0], "smoke", methods=["baseline", "aux_conf", "bootstrap"],
                    finetuned="largest")
    finetuned = runs[runs["regime"] == "finetuned"]
    assert sorted(finetuned["method"]) == ["aux_conf", "baseline"]
    assert set(runs["regime"]) == {"probe", "finetuned"}
    probe = runs[(runs["regime"] == "probe") & (runs["method"] == "baseline")]
    assert set(finetuned["weak_acc"]) == set(probe["weak_acc"])  # the probe student's weak supervisor

    import tempfile

    top = replace(LADDERS["smoke"][1], train_mode="top")
    data = task_data("sentiment", "smoke", 0)
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        a, b = (strong_ceiling(top, data, 0, ArtifactStore(p)) for p in (one, two))
        assert a.key == b.key
        assert (a.file("labels.parquet").read_bytes() == b.file("labels.parquet").read_bytes())
        # it learns what it is trained on (80 examples are too few to say more about test)
        fitted = read_labels(a, "B").loc[data.splits.B["id"]].to_numpy()
        assert metrics.auroc(fitted, data.labels("B")) > 0.75


def test_finetuned_pairs_are_named_or_refused():
    from w2s_lib.grid import finetuned_pairs
    from w2s_lib.notebook_params import NLPW2SParams

    rungs = LADDERS["micro"]
    assert [(w.name, s.name) for w, s in finetuned_pairs(rungs, "largest")] == [("minilm-l1", "minilm-l3")]
    assert finetuned_pairs(rungs, "none") == []
    assert [(w.name, s.name) for w, s in finetuned_pairs(rungs, "tiny-xs>minilm-l3")] == [("tiny-xs", "minilm-l3")]
    with pytest.raises(ValueError, match="finetuned_pairs"):
        NLPW2SParams(ladder="micro", finetuned_pairs="minilm-l3>tiny-xs")
    with pytest.raises(ValueError, match="finetuned_pairs"):
        NLPW2SParams(ladder="micro", finetuned_pairs="biggest")
    assert NLPW2SParams(ladder="micro", finetuned_pairs="tiny-s>minilm-l3").finetuned_pairs == "tiny-s>minilm-l3"


def test_an_encoder_whose_layers_need_more_than_the_states_is_refused():
    """MPNet's layers also take a relative-position bias the encoder computes once: its last layer alone,
    on the states below it, is another model, so the finetuned regime refuses it; BERT's passes."""
    from transformers import BertConfig, BertModel, MPNetConfig, MPNetModel

    torch.manual_seed(0)
    common = dict(vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32)
    ids, mask = torch.randint(3, 30, (3, 7)), torch.ones(3, 7)
    mask[0, 5:] = 0
    for model, refused in ((BertModel(BertConfig(**common)).eval(), False), (MPNetModel(MPNetConfig(**common)).eval(), True)):
        with torch.no_grad():
            states = model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
            if refused:
                with pytest.raises(ValueError, match="cannot run MPNetModel's last layer on its own"):
                    T._check_layer_alone(model, states[1], states[2], mask)
            else:
                T._check_layer_alone(model, states[1], states[2], mask)
