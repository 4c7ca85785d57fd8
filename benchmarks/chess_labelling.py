"""Positions labelled per second by the Stockfish puzzle labeller (depth 10), by worker count.

A script, not a test. Positions come from the committed self-play games, so no engine is
needed to choose them; labelling needs Stockfish (`apt-get install stockfish`).
Usage: ``python benchmarks/chess_labelling.py [--n 600] [--depth 10] [--workers 1 2]``
"""
from __future__ import annotations

import argparse
import time

import pandas as pd

from w2s_lib.data.chess_puzzles import GAMES_FILE, label_positions
from w2s_lib.paths import RESOURCES_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    games = pd.read_parquet(RESOURCES_DIR / GAMES_FILE, columns=["fens"])
    import chess

    fens = [f for fs in games["fens"] for f in fs if chess.Board(f).legal_moves.count() >= 2][: args.n]
    for workers in args.workers:
        start = time.perf_counter()
        label_positions(fens, depth=args.depth, workers=workers)
        rate = len(fens) / (time.perf_counter() - start)
        print(f"depth {args.depth}, {workers} worker(s): {rate:.1f} positions/s ({len(fens)} positions)", flush=True)


if __name__ == "__main__":
    main()
