"""The finetuned regime at ``micro``: a rung's last block and a fresh head, trained on the cached
output of the frozen blocks below it.

A probe on frozen features learns a linear read-out and nothing else; published weak-to-strong work
finds that this regime behaves differently from finetuning. Training every layer of even a small
encoder is minutes per model on two cores, but the last block is where a finetuned model changes
most, and what enters it is the same for every seed, method and role: it is computed once, stored,
and each student and ceiling then trains only

* **encoders** (MiniLM and other BERT-style models, ``encoder.layer``): the last transformer layer
  on the cached token states of the layer below, mean-pooled into a zero-initialised head;
* **board rungs** (:mod:`w2s_lib.models.board`): the last residual block and the final norm on the
  cached states below (of the position and of the one after the move), read out through the move
  features (the pretrained policy layer, kept frozen) into a head.

Dropout stays on in training, the loss is any of :mod:`w2s_lib.losses` by name, and the loop is
the engine's (AdamW, cosine schedule, length-grouped batches, a killed build resumes). The cached
inputs make the model exactly the rung's forward pass (``tests/test_top_block.py`` checks).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..losses import make_loss, make_pairwise_loss
from ..models.ladder import Rung
from ..progress import progress
from ..seeding import seed_everything, torch_threads, train_threads
from ..store import ArtifactSpec, ArtifactStore, default_store
from .engine import TrainConfig, _fit, probability_rows

TOKEN_STATES_VERSION = 1
# lr: the pretrained block's; head_lr: the fresh head's (it starts at zero, as a probe does)
DEFAULT_SETTINGS = {"lr": 3e-4, "head_lr": 3e-3, "epochs": 3, "batch_size": 32, "weight_decay": 0.01}


def top_settings(rung: Rung) -> dict:
    """The regime's training settings: the ladder's ``extra["top"]`` over the defaults."""
    return {**DEFAULT_SETTINGS, **rung.extra.get("top", {})}


# ----------------------------------------------------------------------------- what enters the last block

@dataclass
class CachedInputs:
    """What enters the last block for each text of a universe, and how to batch it."""

    states: np.ndarray            # encoders: (tokens, D) concatenated; board: (N, 2, W), before and after the move
    offsets: np.ndarray | None    # encoders: (N + 1,) token offsets; board: None
    moves: np.ndarray | None      # board: (N,) move indices (−1: none)
    legal: np.ndarray | None = None  # board: (N, 4096) legal-move masks

    @property
    def lengths(self) -> np.ndarray:
        if self.offsets is None:
            return np.ones(len(self.states), np.int64)
        return np.diff(self.offsets)

    def batch(self, rows: Sequence[int]) -> tuple[torch.Tensor, ...]:
        if self.offsets is None:
            return (torch.from_numpy(self.states[rows]), torch.from_numpy(self.moves[rows]),
                    torch.from_numpy(self.legal[rows]))
        lengths = self.lengths[rows]
        out = np.zeros((len(rows), int(lengths.max()), self.states.shape[1]), np.float32)
        mask = np.zeros((len(rows), int(lengths.max())), np.float32)
        for i, (row, n) in enumerate(zip(rows, lengths)):
            out[i, :n] = self.states[self.offsets[row]: self.offsets[row] + n]
            mask[i, :n] = 1
        return torch.from_numpy(out), torch.from_numpy(mask)


def _encoder_layers(model):
    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if layers is None or not len(layers):
        raise ValueError(f"the finetuned regime ('top') needs a BERT-style encoder (encoder.layer) or a board "
                         f"rung; {type(model).__name__} has no encoder.layer")
    return layers


def _check_layer_alone(model, below: torch.Tensor, out: torch.Tensor, mask: torch.Tensor, tol: float = 1e-4) -> None:
    """Refuse an encoder whose last layer, given only the states below it and the mask, does not give
    the model's own output: its layers take more than that (MPNet's relative-position bias, computed
    once by the encoder for all layers), so training that layer alone would silently be another model."""
    alone = EncoderTop.run_layer(_encoder_layers(model)[-1], below, mask)
    gap = float(((alone - out).abs() * mask[..., None]).max())
    if gap > tol:
        raise ValueError(f"the finetuned regime ('top') cannot run {type(model).__name__}'s last layer on its own: "
                         f"from the cached states below it, it differs from the model's output by {gap:.3g} (its "
                         "layers take inputs beyond the states and the mask); use the probe regime for this rung")


def cached_inputs(rung: Rung, corpus: str, texts: Sequence[str], store: ArtifactStore | None = None) -> CachedInputs:
    """The input of ``rung``'s last block for every text: computed once per process for a board rung
    (seconds), stored as an artifact for an encoder (one forward pass of the blocks below,
    shared by every seed, method and role)."""
    store = store or default_store()
    if rung.family == "board":
        from ..models.board import encode_texts, states_below_top

        _, _, moves, legal = encode_texts(texts)
        return CachedInputs(states_below_top(rung, texts, store), None, moves, legal)
    art = token_states_artifact(rung, corpus, texts, store)
    with np.load(art.file("states.npz")) as z:
        return CachedInputs(z["states"].astype(np.float32), z["offsets"], None)


def token_states_artifact(rung: Rung, corpus: str, texts: Sequence[str], store: ArtifactStore):
    from ..models.backbone import load_backbone, load_tokenizer_for
    from .engine import Encoded
    from .features import texts_fingerprint

    spec = ArtifactSpec("token_states", TOKEN_STATES_VERSION,
                        {"backbone": rung.identity(), "max_length": rung.max_length, "below": "last block",
                         "texts": texts_fingerprint(texts), "n": len(texts)})

    def build(tmp: Path) -> dict:
        tokenizer = load_tokenizer_for(rung, corpus, store)
        model = load_backbone(rung, corpus, store).eval()
        depth = len(_encoder_layers(model))
        data = Encoded(tokenizer, texts, rung.max_length)
        order = np.argsort(data.lengths, kind="stable")
        pieces: list[np.ndarray | None] = [None] * len(texts)
        with torch.inference_mode(), torch_threads(train_threads()):
            for start in progress(range(0, len(order), 128), desc=f"token states {rung.name}"):
                idx = order[start: start + 128].tolist()
                ids, mask = data.batch(idx, torch.device("cpu"))
                states = model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
                if start == 0:
                    _check_layer_alone(model, states[depth - 1], states[depth], mask.float())
                hidden = states[depth - 1]
                for row, i in enumerate(idx):
                    pieces[i] = hidden[row, : data.lengths[i]].numpy().astype(np.float16)
        offsets = np.concatenate([[0], np.cumsum(data.lengths)]).astype(np.int64)
        np.savez(tmp / "states.npz", states=np.concatenate(pieces), offsets=offsets)
        return {"tokens": int(offsets[-1]), "layer_input": depth - 1}

    return store.get_or_build(spec, build)


# ----------------------------------------------------------------------------- the trainable top

class _Top(torch.nn.Module):
    """A pretrained part and a fresh head; the head trains at a learning rate of its own."""

    head_lr: float = DEFAULT_SETTINGS["head_lr"]

    def param_groups(self, lr: float) -> list[dict]:
        head = set(map(id, self.head.parameters()))
        body = [p for p in self.parameters() if p.requires_grad and id(p) not in head]
        return [{"params": body, "lr": lr}, {"params": list(self.head.parameters()), "lr": self.head_lr}]


class EncoderTop(_Top):
    """The encoder's last layer (a copy of the pretrained one) and a zero-initialised head on the
    mean over real tokens."""

    def __init__(self, layer: torch.nn.Module, width: int, n_out: int):
        super().__init__()
        self.layer = layer
        self.head = torch.nn.Linear(width, n_out)
        torch.nn.init.zeros_(self.head.weight), torch.nn.init.zeros_(self.head.bias)

    @staticmethod
    def run_layer(layer: torch.nn.Module, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """One encoder layer on token states, padding masked out."""
        additive = (1.0 - mask[:, None, None, :]) * torch.finfo(states.dtype).min
        out = layer(states, attention_mask=additive)
        return out[0] if isinstance(out, tuple) else out

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = self.run_layer(self.layer, states, mask)
        pooled = (out * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp_min(1.0)
        return self.head(pooled)


class BoardTop(_Top):
    """A board network's last block and final norm (trained), its policy layer (frozen), and a
    zero-initialised head on the move features (:func:`w2s_lib.models.board.move_features`)."""

    def __init__(self, net: torch.nn.Module, width: int, n_out: int):
        super().__init__()
        self.block, self.norm, self.policy = net.blocks[-1], net.norm, net.policy
        self.policy.requires_grad_(False)  # the move read-out the features use stays as pretrained
        self.head = torch.nn.Linear(3 * width + 2, n_out)
        torch.nn.init.zeros_(self.head.weight), torch.nn.init.zeros_(self.head.bias)

    def forward(self, states: torch.Tensor, moves: torch.Tensor, legal: torch.Tensor) -> torch.Tensor:
        from ..models.board import move_features

        top = self.norm(self.block(states))  # (N, 2, W): the position and the one after the move
        return self.head(move_features(self, top[:, 0], top[:, 1], moves, legal))


def top_model(rung: Rung, corpus: str, n_out: int, store: ArtifactStore | None = None) -> torch.nn.Module:
    """A fresh trainable top for ``rung`` (pretrained block, zero head)."""
    if rung.family == "board":
        from ..models.board import load_board_net

        return BoardTop(copy.deepcopy(load_board_net(rung, store)), rung.n_embd, n_out)
    from ..models.backbone import load_backbone
    from ..models.heads import hidden_size

    backbone = load_backbone(rung, corpus, store)
    return EncoderTop(copy.deepcopy(_encoder_layers(backbone)[-1]), hidden_size(backbone.config), n_out)


# ----------------------------------------------------------------------------- training and labelling

def finetune_top_and_label(rung: Rung, corpus: str, universe: Sequence[str], rows: dict[str, dict[str, np.ndarray]],
                           train_split: str, targets: np.ndarray, emitted: Sequence[str], *, pairwise: bool,
                           seed: int, loss: str, loss_options: dict, select: str,
                           val_weak: np.ndarray | None, store: ArtifactStore | None = None) -> dict[str, np.ndarray]:
    """Train the top of ``rung`` on ``targets`` (P(class 1), or P(a preferred) for pairs) for the
    rows of ``train_split``; return its P(label 1) on every emitted split. ``rows[split]`` maps the
    text columns (``text`` or ``text_a``/``text_b``) to universe rows."""
    from ..devices import make_accelerator

    store = store or default_store()
    settings = top_settings(rung)
    cfg = TrainConfig(lr=settings["lr"], epochs=settings["epochs"], batch_size=settings["batch_size"],
                      weight_decay=settings["weight_decay"], loss=("bt" if pairwise and loss == "xent" else loss),
                      loss_options=loss_options, select=select if not pairwise else "last", seed=seed)
    inputs = cached_inputs(rung, corpus, universe, store)
    seed_everything(seed)
    model = top_model(rung, corpus, 1 if pairwise else 2, store)
    model.head_lr = settings["head_lr"]
    train = rows[train_split]
    lengths = inputs.lengths

    if pairwise:
        target = torch.from_numpy(np.array(targets, dtype=np.float32))
        loss_fn = make_pairwise_loss(cfg.loss, **cfg.loss_options)

        def step_loss(net, batch, frac):
            r_a = net(*inputs.batch(train["text_a"][batch]))[:, 0]
            r_b = net(*inputs.batch(train["text_b"][batch]))[:, 0]
            return loss_fn(r_a, r_b, target[batch], frac)

        batch_lengths = np.maximum(lengths[train["text_a"]], lengths[train["text_b"]])
    else:
        target = torch.from_numpy(probability_rows(targets))
        loss_fn = make_loss(cfg.loss, **cfg.loss_options)

        def step_loss(net, batch, frac):
            return loss_fn(net(*inputs.batch(train["text"][batch])), target[batch], frac)

        batch_lengths = lengths[train["text"]]

    evaluate = None
    if cfg.select == "weak_val":
        if val_weak is None:
            raise ValueError("select='weak_val' needs the weak labels of val")
        val_rows = probability_rows(val_weak)

        def evaluate() -> float:
            p = np.clip(_predict(model, inputs, rows["val"]["text"]), 1e-6, 1 - 1e-6)
            return float(-(val_rows * np.log(np.stack([1 - p, p], 1))).sum(1).mean())

    _fit(model, len(batch_lengths), step_loss, cfg, evaluate, f"{rung.name} top", make_accelerator(), batch_lengths)
    if pairwise:
        return {s: 1 / (1 + np.exp(-(_rewards(model, inputs, rows[s]["text_a"]) - _rewards(model, inputs, rows[s]["text_b"]))))
                for s in emitted}
    return {s: _predict(model, inputs, rows[s]["text"]) for s in emitted}


@torch.inference_mode()
def _outputs(model: torch.nn.Module, inputs: CachedInputs, rows: np.ndarray, batch_size: int = 256) -> np.ndarray:
    model.eval()
    order = np.argsort(inputs.lengths[rows], kind="stable")
    out = np.zeros((len(rows), model.head.out_features), np.float32)
    with torch_threads(train_threads()):
        for start in range(0, len(order), batch_size):
            idx = order[start: start + batch_size]
            out[idx] = model(*inputs.batch(rows[idx])).float().numpy()
    model.train()
    return out


def _predict(model, inputs, rows) -> np.ndarray:
    return torch.softmax(torch.from_numpy(_outputs(model, inputs, rows)), -1)[:, 1].numpy()


def _rewards(model, inputs, rows) -> np.ndarray:
    return _outputs(model, inputs, rows)[:, 0].astype(np.float64)
