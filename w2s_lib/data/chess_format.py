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


def parse_chess_text(text: str) -> tuple[str, str | None]:
    """The position and the candidate move (``None`` for a prompt) of a text in these formats."""
    fen, move = None, None
    for line in text.splitlines():
        if line.startswith("FEN: "):
            fen = line[5:].strip()
        elif line.startswith("Move: "):
            move = line[6:].strip() or None
    if fen is None:
        raise ValueError(f"not a chess text (no 'FEN: ' line): {text[:60]!r}")
    return fen, move
