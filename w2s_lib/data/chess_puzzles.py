"""Chess puzzles generated with Stockfish: self-play games, engine labels, "only-move" selection.

The pipeline, each step deterministic for a seed (and independent of the number of workers):

1. :func:`self_play_positions` — Stockfish plays itself at a low depth, choosing at random
   (seeded per game) among the moves within :data:`CHOICE_MARGIN_CP` of its best one, after a
   few uniformly random opening plies. Every position of the first :data:`COMMITTED_GAMES` games
   is a puzzle candidate; those games and :data:`COMMITTED_PRETRAIN_GAMES` more
   (:func:`rebuild_pretrain_games`) are the board rungs' pretraining corpus.
2. :func:`candidate_positions` keeps each distinct position (board, side to move, castling,
   en passant) once, and only if it passes a cheap screen: the self-play search itself already
   saw its best move at least :data:`SCREEN_GAP_CP` ahead of the second. (On a 40-game trial
   the screen sent 40 % of the positions to labelling and kept 90 % of the puzzles that
   labelling every position finds: 2.5 times less engine time for a small loss of deep ones.)
   :func:`label_positions` searches them at ``depth`` with ``multipv=2`` in worker processes,
   one engine each.
3. :func:`select_puzzles` — a puzzle is an *only-move* position: the best move is at least
   :data:`MIN_GAP_CP` better than the second best for the side to move. Positions that are
   already decided are dropped: when even the second-best move keeps a winning score
   (``cp_second >= DECIDED_CP``) the "only move" is not needed to win, and when even the best
   move leaves a lost score (``cp_best <= -DECIDED_CP``) nothing is saved by finding it.

``python -m w2s_lib.data.chess_puzzles`` rebuilds the committed files (see ``--help``).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.util
import random
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple, Sequence, TypeVar

import pandas as pd

from ..paths import RESOURCES_DIR
from .chess_engine import MATE_CP, ENGINE_HASH_MB, ENGINE_THREADS, StockfishAnalyser, find_stockfish

# --- self-play settings (changing any of them changes the committed data) ---
SEED = 20240912
SELFPLAY_DEPTH = 6
SELFPLAY_MULTIPV = 3
CHOICE_MARGIN_CP = 40          # play any of the top moves within this margin of the best
RANDOM_OPENING_PLIES = (2, 6)  # uniformly random legal moves first, for diverse games
MAX_PLIES = 160
RESIGN_CP = 1000               # a game ends once one side is this far ahead ...
RESIGN_AFTER_PLIES = 2         # ... on this many consecutive plies (the loser resigns)

# --- labelling and puzzle selection ---
SCREEN_GAP_CP = 50             # self-play's best-vs-second gap a position needs to be labelled
LABEL_DEPTH = 10
LABEL_MULTIPV = 2
MIN_GAP_CP = 200
DECIDED_CP = 500

PUZZLES_FILE = "chess_puzzles.parquet"
SAMPLE_FILE = "chess_puzzles_sample.parquet"
GAMES_FILE = "chess_games.parquet"
PRETRAIN_GAMES_FILE = "chess_pretrain_games.parquet"
SAMPLE_POSITIONS = 30
COMMITTED_GAMES = 2000
# More games of the same seed, played after the committed ones (games 2000 onwards) and never
# labelled: the board rungs' pretraining corpus only. On 20,000 positions of 1,250 of these games,
# the board-xl rung pretrained on the first 2,000 games alone predicted the played move with a loss
# of 3.16 (2.08 on its own corpus): the larger rungs memorised their 210,000 positions.
COMMITTED_PRETRAIN_GAMES = 6250
CORPUS_FILES = (GAMES_FILE, PRETRAIN_GAMES_FILE)  # the board rungs' pretraining games
METADATA_KEY = b"w2s_chess"

PUZZLE_COLUMNS = ["id", "fen", "best_move", "second_move", "cp_best", "cp_second",
                  "game_id", "ply", "depth"]
LABEL_COLUMNS = ["fen", "best_move", "second_move", "cp_best", "cp_second", "depth"]

T = TypeVar("T")
R = TypeVar("R")


def position_key(fen: str) -> str:
    """The part of a FEN that defines the position (drops the move clocks)."""
    return " ".join(fen.split()[:4])


def game_id(seed: int, index: int) -> str:
    return f"s{seed}-g{index:05d}"


def position_id(game: str, ply: int) -> str:
    return f"{game}-p{ply:03d}"


# ---------------------------------------------------------------- worker processes
_WORKER_ANALYSER: StockfishAnalyser | None = None


def _start_worker_engine(binary: str) -> None:
    global _WORKER_ANALYSER
    _WORKER_ANALYSER = StockfishAnalyser(Path(binary))
    multiprocessing.util.Finalize(_WORKER_ANALYSER, _WORKER_ANALYSER.close, exitpriority=10)


def _call_with_worker_engine(fn: Callable[[StockfishAnalyser, T], R], item: T) -> R:
    assert _WORKER_ANALYSER is not None, "worker engine was not started"
    return fn(_WORKER_ANALYSER, item)


def _map_with_engines(fn: Callable[[StockfishAnalyser, T], R], items: Sequence[T], workers: int,
                      desc: str, unit: str) -> list[R]:
    """``[fn(engine, item) for item in items]`` in order, spread over ``workers`` processes."""
    from tqdm.auto import tqdm

    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    binary = find_stockfish()
    bar = partial(tqdm, total=len(items), desc=desc, unit=unit)
    if workers == 1 or len(items) <= 1:
        with StockfishAnalyser(binary) as analyser:
            return [fn(analyser, item) for item in bar(items)]
    chunksize = max(1, min(32, len(items) // (workers * 8)))
    # spawn, not fork: callers may have torch (and its threads) loaded.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_start_worker_engine, initargs=(str(binary),)) as pool:
        results = list(bar(pool.imap(partial(_call_with_worker_engine, fn), items, chunksize)))
        pool.close()
        pool.join()
    return results


# ---------------------------------------------------------------- 1. self-play
class SelfPlay(NamedTuple):
    """Self-play output: one row per game, and one row per position a move was played from."""

    games: pd.DataFrame      # game_id, seed, moves (list of UCI), result, termination, ...
    positions: pd.DataFrame  # id, game_id, ply, fen, move (played there), screen_gap


def _far_ahead_side(white_cp: int) -> int:
    """+1 when White is at least RESIGN_CP ahead, -1 when Black is, else 0."""
    return (white_cp >= RESIGN_CP) - (white_cp <= -RESIGN_CP)


def _play_one_game(analyser: StockfishAnalyser, game: tuple[int, int]) -> dict[str, Any]:
    import chess

    seed, index = game
    rng = random.Random(f"w2s-chess-selfplay:{seed}:{index}")
    board = chess.Board()
    n_random = rng.randint(*RANDOM_OPENING_PLIES)
    termination, decided_streak, white_cp = "max_plies", 0, 0
    fens: list[str] = []                # the position each move was played from
    screen_gaps: list[int | None] = []  # self-play's own best-vs-second gap, per ply
    while len(board.move_stack) < MAX_PLIES:
        if board.is_game_over(claim_draw=True):
            termination = "game_over"
            break
        legal = sorted(board.legal_moves, key=lambda m: m.uci())
        if len(board.move_stack) < n_random:
            fens.append(board.fen())
            screen_gaps.append(None)
            board.push(rng.choice(legal))
            continue
        lines = analyser.top_moves(board, SELFPLAY_DEPTH, SELFPLAY_MULTIPV)
        previous_leader = _far_ahead_side(white_cp)
        white_cp = lines[0].cp if board.turn == chess.WHITE else -lines[0].cp
        leader = _far_ahead_side(white_cp)
        decided_streak = decided_streak + 1 if leader and leader == previous_leader else abs(leader)
        if decided_streak >= RESIGN_AFTER_PLIES:
            termination = "resigned"
            break
        fens.append(board.fen())
        screen_gaps.append(lines[0].cp - lines[1].cp if len(lines) > 1 else None)
        choices = [line.move_uci for line in lines if line.cp >= lines[0].cp - CHOICE_MARGIN_CP]
        board.push(chess.Move.from_uci(rng.choice(choices)))
    if termination == "resigned":
        result = "1-0" if white_cp > 0 else "0-1"
    else:
        result = board.result(claim_draw=True)
    return {"game_id": game_id(seed, index), "seed": seed,
            "moves": [m.uci() for m in board.move_stack], "fens": fens, "screen_gaps": screen_gaps,
            "result": result, "termination": termination, "random_opening_plies": n_random,
            "n_plies": len(board.move_stack)}


def replay_fens(moves: Sequence[str]) -> list[str]:
    """The FEN of the position before each move of a game (checks that every move is legal)."""
    import chess

    board, fens = chess.Board(), []
    for uci in moves:
        fens.append(board.fen())
        board.push_uci(uci)
    return fens


def game_positions(games: pd.DataFrame) -> pd.DataFrame:
    """One row per position a move was played from, read off the games' stored ``fens``."""
    columns = ["game_id", "fens", "moves", "screen_gaps"]
    plies = games[columns].explode(columns[1:], ignore_index=True)
    plies = plies.rename(columns={"fens": "fen", "moves": "move", "screen_gaps": "screen_gap"})
    plies["ply"] = plies.groupby("game_id", sort=False).cumcount()
    plies["id"] = [position_id(g, p) for g, p in zip(plies["game_id"], plies["ply"])]
    plies["screen_gap"] = pd.to_numeric(plies["screen_gap"]).astype("float64")
    return plies[["id", "game_id", "ply", "fen", "move", "screen_gap"]]


def self_play_positions(n_games: int, seed: int = SEED, workers: int = 2,
                        first_game: int = 0) -> SelfPlay:
    """Play games ``first_game .. first_game + n_games - 1`` of ``seed`` (each its own RNG)."""
    if not isinstance(n_games, int) or n_games < 1:
        raise ValueError(f"n_games must be a positive int, got {n_games!r}")
    tasks = [(seed, first_game + i) for i in range(n_games)]
    games = pd.DataFrame(_map_with_engines(_play_one_game, tasks, workers, "self-play", "game"))
    return SelfPlay(games, game_positions(games))


def candidate_positions(positions: pd.DataFrame, screen_gap_cp: int = SCREEN_GAP_CP) -> pd.DataFrame:
    """Distinct positions (first occurrence wins) with >= 2 legal moves that pass the screen."""
    import chess

    screened = positions[positions["screen_gap"] >= screen_gap_cp]
    distinct = screened[~screened["fen"].map(position_key).duplicated()]
    enough_moves = distinct["fen"].map(lambda fen: chess.Board(fen).legal_moves.count() >= 2)
    return distinct[enough_moves].reset_index(drop=True)


# ---------------------------------------------------------------- 2. labelling
def _label_one(analyser: StockfishAnalyser, job: tuple[str, int]) -> tuple:
    import chess

    fen, depth = job
    board = chess.Board(fen)
    if board.legal_moves.count() < 2:
        raise ValueError(f"position needs at least 2 legal moves to be labelled: {fen!r}")
    best, second = analyser.top_moves(board, depth, LABEL_MULTIPV)[:2]
    return fen, best.move_uci, second.move_uci, best.cp, second.cp, depth


def label_positions(fens: Iterable[str], depth: int = LABEL_DEPTH, workers: int = 2) -> pd.DataFrame:
    """Best and second-best move of each position with their scores (side to move's view).

    One Stockfish per worker process; the result does not depend on ``workers``.
    """
    jobs = [(fen, depth) for fen in fens]
    rows = _map_with_engines(_label_one, jobs, workers, f"label depth {depth}", "pos")
    return pd.DataFrame(rows, columns=LABEL_COLUMNS).astype({"cp_best": "int64", "cp_second": "int64",
                                                             "depth": "int64"})


# ---------------------------------------------------------------- 3. selection
def select_puzzles(labelled: pd.DataFrame, min_gap_cp: int = MIN_GAP_CP,
                   decided_cp: int = DECIDED_CP) -> pd.DataFrame:
    """Only-move positions that are not already decided (see the module docstring)."""
    gap = labelled["cp_best"] - labelled["cp_second"]
    decided = (labelled["cp_second"] >= decided_cp) | (labelled["cp_best"] <= -decided_cp)
    return labelled[(gap >= min_gap_cp) & ~decided].reset_index(drop=True)


def build_puzzles(positions: pd.DataFrame, depth: int = LABEL_DEPTH,
                  workers: int = 2) -> tuple[pd.DataFrame, int]:
    """Label the candidate positions and keep the puzzles; also returns how many were labelled."""
    candidates = candidate_positions(positions)
    labels = label_positions(candidates["fen"], depth=depth, workers=workers)
    labelled = pd.concat([candidates[["id", "game_id", "ply"]], labels], axis=1)
    return select_puzzles(labelled)[PUZZLE_COLUMNS], len(labelled)


def build_sample(n_positions: int = SAMPLE_POSITIONS, seed: int = SEED, depth: int = LABEL_DEPTH,
                 workers: int = 1) -> pd.DataFrame:
    """The first ``n_positions`` labelled candidates of ``seed``'s games (puzzles or not)."""
    candidates, index = pd.DataFrame(), 0
    while len(candidates) < n_positions:
        positions = self_play_positions(1, seed, workers=1, first_game=index).positions
        candidates = candidate_positions(pd.concat([candidates, positions], ignore_index=True))
        index += 1
    candidates = candidates.iloc[:n_positions].reset_index(drop=True)
    labels = label_positions(candidates["fen"], depth=depth, workers=workers)
    return pd.concat([candidates[["id", "game_id", "ply"]], labels], axis=1)[PUZZLE_COLUMNS]


# ---------------------------------------------------------------- files
def generation_metadata(**extra: Any) -> dict[str, Any]:
    """Everything that determines the generated files, stored in each parquet's metadata."""
    import chess

    from .chess_engine import stockfish_version

    return {"stockfish": stockfish_version(), "python_chess": chess.__version__,
            "engine_threads": ENGINE_THREADS, "engine_hash_mb": ENGINE_HASH_MB, "mate_cp": MATE_CP,
            "selfplay_depth": SELFPLAY_DEPTH, "selfplay_multipv": SELFPLAY_MULTIPV,
            "choice_margin_cp": CHOICE_MARGIN_CP, "random_opening_plies": list(RANDOM_OPENING_PLIES),
            "max_plies": MAX_PLIES, "resign_cp": RESIGN_CP, "resign_after_plies": RESIGN_AFTER_PLIES,
            "screen_gap_cp": SCREEN_GAP_CP, "label_multipv": LABEL_MULTIPV, "min_gap_cp": MIN_GAP_CP, "decided_cp": DECIDED_CP,
            **extra}


def write_parquet(frame: pd.DataFrame, path: Path, metadata: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    merged = {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(metadata).encode()}
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(merged), path, compression="zstd",
                   compression_level=19)


def read_metadata(path: Path) -> dict[str, Any]:
    """The generation metadata stored in one of the chess parquet files."""
    import pyarrow.parquet as pq

    return json.loads(pq.read_schema(path).metadata[METADATA_KEY])


def rebuild(n_games: int, out: Path, seed: int = SEED, depth: int = LABEL_DEPTH,
            workers: int = 2) -> dict[str, Any]:
    """Regenerate the games and puzzle files into ``out``; returns timings and counts."""
    start = time.perf_counter()
    selfplay = self_play_positions(n_games, seed, workers)
    selfplay_s = time.perf_counter() - start
    start = time.perf_counter()
    puzzles, n_labelled = build_puzzles(selfplay.positions, depth, workers)
    label_s = time.perf_counter() - start
    stats = {"seed": seed, "n_games": n_games, "depth": depth, "workers": workers,
             "n_positions": len(selfplay.positions), "n_labelled": n_labelled,
             "n_puzzles": len(puzzles), "selfplay_s": round(selfplay_s, 1),
             "label_s": round(label_s, 1), "label_positions_per_s": round(n_labelled / label_s, 1)}
    metadata = generation_metadata(**{k: stats[k] for k in ("seed", "n_games", "depth",
                                                               "n_positions", "n_labelled",
                                                               "n_puzzles")})
    write_parquet(selfplay.games, out / GAMES_FILE, metadata)
    write_parquet(puzzles, out / PUZZLES_FILE, metadata)
    return stats


def rebuild_pretrain_games(n_games: int, out: Path, seed: int = SEED, workers: int = 2) -> dict[str, Any]:
    """Play the pretraining-only games (``COMMITTED_GAMES`` onwards, so none shares a game with the
    puzzles) into ``out``; returns timings and counts."""
    start = time.perf_counter()
    selfplay = self_play_positions(n_games, seed, workers, first_game=COMMITTED_GAMES)
    stats = {"seed": seed, "first_game": COMMITTED_GAMES, "n_games": n_games, "workers": workers,
             "n_positions": len(selfplay.positions), "selfplay_s": round(time.perf_counter() - start, 1)}
    write_parquet(selfplay.games, out / PRETRAIN_GAMES_FILE, generation_metadata(
        **{k: stats[k] for k in ("seed", "first_game", "n_games", "n_positions")}))
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m w2s_lib.data.chess_puzzles",
        description="Rebuild the committed chess files (needs Stockfish).")
    parser.add_argument("--games", type=int, default=COMMITTED_GAMES,
                        help="self-play games to play (default: as many as committed)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--depth", type=int, default=LABEL_DEPTH, help="labelling search depth")
    parser.add_argument("--workers", type=int, default=2, help="engine processes")
    parser.add_argument("--out", type=Path, default=RESOURCES_DIR, help="output folder")
    parser.add_argument("--sample", action="store_true",
                        help=f"rebuild only {SAMPLE_FILE} and compare it with the committed one")
    parser.add_argument("--pretrain-games", type=int, metavar="N",
                        help=f"rebuild only {PRETRAIN_GAMES_FILE}: N more games, never labelled "
                             f"(committed: {COMMITTED_PRETRAIN_GAMES})")
    args = parser.parse_args(argv)
    if args.sample:
        return _rebuild_sample(args)
    if args.pretrain_games is not None:
        print(json.dumps(rebuild_pretrain_games(args.pretrain_games, args.out, args.seed, args.workers), indent=1))
        return 0
    stats = rebuild(args.games, args.out, args.seed, args.depth, args.workers)
    print(json.dumps(stats, indent=1))
    return 0


def _rebuild_sample(args: argparse.Namespace) -> int:
    sample = build_sample(seed=args.seed, depth=args.depth, workers=args.workers)
    committed_path = RESOURCES_DIR / SAMPLE_FILE
    committed = pd.read_parquet(committed_path) if committed_path.exists() else None
    write_parquet(sample, args.out / SAMPLE_FILE,
                  generation_metadata(seed=args.seed, depth=args.depth, n_positions=len(sample)))
    if committed is None:
        verdict, status = "there is no committed sample to compare with", 0
    elif committed.equals(sample):
        verdict, status = "it matches the committed sample", 0
    else:
        verdict, status = "it DIFFERS from the committed sample", 1
    print(f"wrote {args.out / SAMPLE_FILE}; {verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
