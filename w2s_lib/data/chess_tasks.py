"""The micro chess tasks and the chess pretraining corpus, built from the committed files only.

All three tasks share the puzzles of ``chess_puzzles.parquet`` (see :mod:`.chess_puzzles`) and
their ids, and use the text formats of :mod:`.chess_format`, so a model pretrained on
:func:`chess_corpus` reads them in the notation it learned:

* ``chess_puzzles`` (binary): a position and one candidate move — the best move (label 1) or the
  second best, a hard negative (label 0); which one is fixed by a stable hash of the id.
* ``chess_puzzles_gen`` (generative): the position; the target is the best move in UCI.
* ``rm_chess_moves`` (pairwise reward modeling): the best and second-best move of a position,
  in an order fixed by a stable hash of the id; ``label`` is 1 when ``text_a`` is the better move.

The corpus leaves out every position that is in the test pool of any of these tasks.
"""
from __future__ import annotations

import functools
import hashlib
import re

import pandas as pd

from ..paths import RESOURCES_DIR
from .chess_format import format_chess_binary, format_chess_move_line, format_chess_prompt
from .chess_puzzles import GAMES_FILE, PUZZLES_FILE, game_positions, position_key, read_metadata
from .task_spec import TaskSpec, register_task
from .split_rules import test_pool_mask

CHESS_TASKS = ("chess_puzzles", "chess_puzzles_gen", "rm_chess_moves")
_FEN_LINE = re.compile(r"^FEN: (.+)$", re.MULTILINE)


def _hash_half(salt: str, example_id: str) -> bool:
    """A stable coin flip per id (True for about half of the ids)."""
    digest = hashlib.sha1(f"{salt}:{example_id}".encode()).digest()
    return digest[0] < 128


def candidate_is_best(puzzle_id: str) -> bool:
    """Whether ``chess_puzzles`` shows the best move (else the second best) for this puzzle."""
    return _hash_half("w2s-chess-candidate", puzzle_id)


def best_move_first(puzzle_id: str) -> bool:
    """Whether ``rm_chess_moves`` puts the best move in ``text_a`` for this puzzle."""
    return _hash_half("w2s-chess-pair-order", puzzle_id)


@functools.cache
def _puzzles() -> pd.DataFrame:
    return pd.read_parquet(RESOURCES_DIR / PUZZLES_FILE)


def puzzles() -> pd.DataFrame:
    """The committed Stockfish puzzles (a copy), with ``cp_gap = cp_best - cp_second``."""
    frame = _puzzles().copy()
    frame["cp_gap"] = frame["cp_best"] - frame["cp_second"]
    return frame


def puzzles_metadata() -> dict:
    """How the committed puzzles were generated (Stockfish version, depths, thresholds)."""
    return read_metadata(RESOURCES_DIR / PUZZLES_FILE)


def load_chess_puzzles() -> pd.DataFrame:
    frame = puzzles()
    shows_best = frame["id"].map(candidate_is_best)
    move = frame["best_move"].where(shows_best, frame["second_move"])
    return pd.DataFrame({
        "id": frame["id"],
        "text": [format_chess_binary(fen, m) for fen, m in zip(frame["fen"], move)],
        "label": shows_best.astype("int64"),
        "fen": frame["fen"], "move": move, "cp_gap": frame["cp_gap"],
    })


def load_chess_puzzles_gen() -> pd.DataFrame:
    frame = puzzles()
    return pd.DataFrame({
        "id": frame["id"],
        "prompt": frame["fen"].map(format_chess_prompt),
        "target": frame["best_move"],
        "fen": frame["fen"], "cp_gap": frame["cp_gap"],
    })


def load_rm_chess_moves() -> pd.DataFrame:
    frame = puzzles()
    first = frame["id"].map(best_move_first)
    move_a = frame["best_move"].where(first, frame["second_move"])
    move_b = frame["second_move"].where(first, frame["best_move"])
    return pd.DataFrame({
        "id": frame["id"],
        "text_a": [format_chess_binary(fen, m) for fen, m in zip(frame["fen"], move_a)],
        "text_b": [format_chess_binary(fen, m) for fen, m in zip(frame["fen"], move_b)],
        "label": first.astype("int64"),
        "fen": frame["fen"], "move_a": move_a, "move_b": move_b, "cp_gap": frame["cp_gap"],
    })


# ---------------------------------------------------------------- pretraining corpus
@functools.cache
def chess_test_position_keys() -> frozenset[str]:
    """Positions (FEN without move clocks) in the test pool of any chess task."""
    frame = _puzzles()
    in_any_test_pool = functools.reduce(
        lambda acc, task: acc | test_pool_mask(task, frame["id"]), CHESS_TASKS[1:],
        test_pool_mask(CHESS_TASKS[0], frame["id"]))
    return frozenset(frame["fen"][in_any_test_pool].map(position_key))


@functools.cache
def _chess_corpus() -> tuple[str, ...]:
    positions = game_positions(pd.read_parquet(RESOURCES_DIR / GAMES_FILE, columns=[
        "game_id", "fens", "moves", "screen_gaps"]))
    excluded = chess_test_position_keys()
    keep = ~positions["fen"].map(position_key).isin(excluded)
    lines = [format_chess_move_line(fen, move)
             for fen, move in zip(positions["fen"][keep], positions["move"][keep])]
    documents = pd.Series(lines).groupby(positions["game_id"][keep].to_numpy(), sort=False)
    corpus = tuple(documents.agg("\n".join))
    assert_no_chess_test_leakage(list(corpus))
    return corpus


def chess_corpus() -> list[str]:
    """Pretraining documents, one per self-play game: a ``FEN:``/``Move:`` pair per ply.

    Plies played from a test-pool position are left out (the rest of the game stays).
    """
    return list(_chess_corpus())


def assert_no_chess_test_leakage(corpus: list[str]) -> None:
    """Fail when any ``FEN:`` line of the corpus is a test-pool position of a chess task."""
    excluded = chess_test_position_keys()
    leaks = [fen for document in corpus for fen in _FEN_LINE.findall(document)
             if position_key(fen) in excluded]
    if leaks:
        raise AssertionError(f"chess corpus contains {len(leaks)} test-pool positions of "
                             f"{CHESS_TASKS}, e.g. {leaks[0]!r}")


# ---------------------------------------------------------------- registration
_SOURCE = "Stockfish 15.1 self-play + depth-10 labels (resources/chess_puzzles.parquet)"
_LICENSE = "project data: Stockfish (GPL-3) output, see resources/NOTICE.md"

register_task(TaskSpec(
    name="chess_puzzles", domain="chess", kind="binary", source=_SOURCE, license=_LICENSE,
    load=load_chess_puzzles, scope="micro",
    description="Only-move position + candidate move: is it the best move (1) or the second best (0)?"))
register_task(TaskSpec(
    name="chess_puzzles_gen", domain="chess", kind="generative", source=_SOURCE, license=_LICENSE,
    load=load_chess_puzzles_gen, scope="micro",
    description="Only-move position; target is Stockfish's best move in UCI."))
register_task(TaskSpec(
    name="rm_chess_moves", domain="reward_modeling", kind="pairwise", source=_SOURCE,
    license=_LICENSE, load=load_rm_chess_moves, scope="micro",
    description="Two moves in one position (best vs second best, >= 200 cp apart): is text_a better?"))
