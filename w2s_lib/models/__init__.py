"""Model ladders, backbones and heads."""
from .ladder import LADDERS, Rung, get_ladder, hf_rung

__all__ = ["LADDERS", "Rung", "get_ladder", "hf_rung"]
