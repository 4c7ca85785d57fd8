"""Tiny model folders of any architecture, written as `save_pretrained` would (for tests)."""
from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (AutoModel, BertConfig, DistilBertConfig, GPT2Config, GPTNeoXConfig, LlamaConfig,
                          PreTrainedTokenizerFast)

WORDS = ["[PAD]", "[UNK]", "[CLS]", "good", "bad", "movie", "the", "was", "not", "great", "awful", "film",
         "a", "is", "very", "fun", "dull", "plot", "acting", "story", "A", "B"]


def word_tokenizer(encoder: bool) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    special = {"pad_token": "[PAD]"} if encoder else {"eos_token": "[CLS]"}
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", **special)


def tiny_config(arch: str, width: int = 16, layers: int = 1):
    common = dict(vocab_size=len(WORDS), bos_token_id=2, eos_token_id=2, pad_token_id=0)
    if arch == "gpt2":
        return GPT2Config(n_embd=width, n_layer=layers, n_head=2, n_positions=64, **common)
    if arch == "llama":
        return LlamaConfig(hidden_size=width, intermediate_size=2 * width, num_hidden_layers=layers,
                           num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64, **common)
    if arch == "gpt_neox":
        return GPTNeoXConfig(hidden_size=width, intermediate_size=2 * width, num_hidden_layers=layers,
                             num_attention_heads=2, max_position_embeddings=64, **common)
    if arch == "distilbert":
        return DistilBertConfig(dim=width, hidden_dim=2 * width, n_layers=layers, n_heads=2,
                                max_position_embeddings=64, **common)
    if arch == "bert":
        return BertConfig(hidden_size=width, intermediate_size=2 * width, num_hidden_layers=layers,
                          num_attention_heads=2, max_position_embeddings=64, **common)
    raise ValueError(arch)


ENCODERS = ("bert", "distilbert")


def save_tiny_model(path: Path, arch: str, width: int = 16, layers: int = 1, seed: int = 0) -> Path:
    """A randomly initialised model of ``arch`` with a word-level tokenizer, in ``path``."""
    torch.manual_seed(seed)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    AutoModel.from_config(tiny_config(arch, width, layers)).save_pretrained(path)
    word_tokenizer(arch in ENCODERS).save_pretrained(path)
    return path


def bump_one_weight(path: Path) -> None:
    """Change a single number of a saved model, as an edit in place would."""
    from safetensors.torch import load_file, save_file

    file = Path(path) / "model.safetensors"
    tensors = load_file(file)
    name = sorted(n for n, t in tensors.items() if t.dtype.is_floating_point and t.numel() > 1)[0]
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[0] += 1.0
    save_file(tensors, file, metadata={"format": "pt"})


def save_tiny_causal_lm(path: Path, arch: str = "gpt2", seed: int = 0) -> Path:
    """A randomly initialised causal LM with a word-level tokenizer (it writes noise)."""
    from tokenizers import decoders
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    AutoModelForCausalLM.from_config(tiny_config(arch, 32, 1)).save_pretrained(path)
    tok = word_tokenizer(encoder=False)
    tok.backend_tokenizer.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tok.save_pretrained(path)
    return path
