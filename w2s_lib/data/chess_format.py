"""One text format for chess positions, shared by the micro (Stockfish) and paper (Lichess) tasks.

Keeping it in one place means a model pretrained on our game corpus reads hub puzzles the same way.
"""
from __future__ import annotations


def format_chess_prompt(fen: str) -> str:
    """The generative prompt: the position, asking for the best move (answered in UCI)."""
    return f"FEN: {fen}\nBest move:"


def format_chess_binary(fen: str, move_uci: str) -> str:
    """The binary classification text: a position and one candidate move in UCI."""
    return f"FEN: {fen}\nMove: {move_uci}"


def format_chess_move_line(fen: str, move_uci: str) -> str:
    """One pretraining line of the game corpus: the position and the move that was played."""
    return f"FEN: {fen}\nMove: {move_uci}"
