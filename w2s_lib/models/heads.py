"""Heads on any backbone: a binary classifier and a scalar reward model.

Decoders are pooled at the last real token, found through the attention mask (never by
looking for a pad id: GPT-2's id 0 is "!"), which works for left and right padding.
Encoders use mean pooling over real tokens, or the first ([CLS]) token.
"""
from __future__ import annotations

import torch
from torch import nn


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: str) -> torch.Tensor:
    """(N, T, D) hidden states -> (N, D) sequence representations."""
    mask = attention_mask.to(hidden.dtype)
    if how == "last":
        positions = torch.arange(mask.shape[1], device=mask.device)
        last = (attention_mask.long() * positions).argmax(dim=1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    if how == "mean":
        summed = (hidden * mask.unsqueeze(-1)).sum(dim=1)
        return summed / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
    if how == "cls":
        return hidden[:, 0]
    raise ValueError(f"unknown pooling {how!r}; accepted: last, mean, cls")


def hidden_size(config) -> int:
    for name in ("hidden_size", "n_embd", "d_model", "dim"):
        if getattr(config, name, None):
            return int(getattr(config, name))
    raise ValueError(f"cannot find the hidden size of a {type(config).__name__}")


class PooledHead(nn.Module):
    """backbone -> pooled representation -> linear head with ``n_out`` outputs (zero-initialised).

    A zero head starts every model at p = 0.5 (as in Burns et al.'s code), so early training
    signal comes from the labels, not from a random head.
    """

    def __init__(self, backbone: nn.Module, pooling: str, n_out: int):
        super().__init__()
        self.backbone = backbone
        self.pooling = pooling
        self.head = nn.Linear(hidden_size(backbone.config), n_out)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        return pool(out.last_hidden_state, attention_mask, self.pooling)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        feats = self.features(input_ids, attention_mask)
        return self.head(feats.to(self.head.weight.dtype))


class BinaryClassifier(PooledHead):
    """Two logits per sequence."""

    def __init__(self, backbone: nn.Module, pooling: str):
        super().__init__(backbone, pooling, n_out=2)


class RewardModel(PooledHead):
    """One scalar reward per sequence; preferences are sigmoid(r_a - r_b) (Bradley–Terry)."""

    def __init__(self, backbone: nn.Module, pooling: str):
        super().__init__(backbone, pooling, n_out=1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return super().forward(input_ids, attention_mask).squeeze(-1)


def freeze_all_but_last(model: PooledHead, k: int) -> int:
    """Train only the last ``k`` transformer blocks and the head; returns trainable params."""
    blocks = None
    for module in model.backbone.modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0:
            blocks = module  # the first ModuleList in module order is the layer stack
            break
    if blocks is None:
        raise ValueError("cannot find the transformer blocks of this backbone for last_k training")
    for p in model.backbone.parameters():
        p.requires_grad_(False)
    for block in list(blocks)[-k:]:
        for p in block.parameters():
            p.requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
