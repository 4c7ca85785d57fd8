"""Load a rung's backbone and tokenizer, whatever the architecture (AutoModel/AutoTokenizer)."""
from __future__ import annotations

from ..store import ArtifactStore
from .ladder import TINY_ACTIVATION, Rung
from .pretrain import pretrained_artifact
from .sources import load_arguments, minilm_path

__all__ = ["backbone_source", "load_backbone", "load_tokenizer_for", "minilm_path", "quiet_transformers"]


def backbone_source(rung: Rung, corpus: str, store: ArtifactStore | None = None) -> tuple[str, dict]:
    """Where the weights come from and the extra ``from_pretrained`` arguments."""
    if rung.family == "tiny_gpt2":  # pretrained with "gelu_new"; run with the same function, fused
        return str(pretrained_artifact(rung, corpus, store).path), {"activation_function": TINY_ACTIVATION}
    return load_arguments(rung.source)


def quiet_transformers() -> None:
    """Loading a truncated model prints a report of the layers left out, and every load a
    progress bar: expected, and noise in a notebook. Errors still show."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def load_tokenizer_for(rung: Rung, corpus: str, store: ArtifactStore | None = None):
    from transformers import AutoTokenizer

    path, kwargs = backbone_source(rung, corpus, store)
    tok = AutoTokenizer.from_pretrained(path, **{k: v for k, v in kwargs.items() if k == "revision"})
    if tok.pad_token is None:  # GPT-2, Llama, Qwen: pad with EOS; the attention mask marks padding
        tok.pad_token = tok.eos_token
    return tok


def load_backbone(rung: Rung, corpus: str, store: ArtifactStore | None = None, dtype=None):
    """The bare transformer (no LM head), e.g. GPT2Model, BertModel, Qwen2Model."""
    import torch
    from transformers import AutoModel

    path, kwargs = backbone_source(rung, corpus, store)
    quiet_transformers()
    return AutoModel.from_pretrained(path, dtype=dtype or torch.float32, **kwargs)
