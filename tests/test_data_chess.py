"""Chess data: committed Stockfish puzzles, the three chess tasks, the corpus, and the generator."""
from __future__ import annotations

import chess
import chess.engine
import pandas as pd
import pytest

from w2s_lib.data import chess_engine, chess_puzzles, chess_tasks
from w2s_lib.data.chess_engine import MATE_CP, StockfishNotFoundError, find_stockfish, score_to_cp
from w2s_lib.data.chess_puzzles import (COMMITTED_GAMES, COMMITTED_PRETRAIN_GAMES, DECIDED_CP, GAMES_FILE,
                                        MIN_GAP_CP, PRETRAIN_GAMES_FILE, PUZZLE_COLUMNS, SAMPLE_FILE, SEED,
                                        build_sample, game_id, game_positions, label_positions, position_key,
                                        read_metadata, replay_fens, select_puzzles, self_play_positions,
                                        write_parquet)
from w2s_lib.data.chess_tasks import (CHESS_TASKS, assert_no_chess_test_leakage, chess_corpus,
                                      chess_test_position_keys, load_chess_puzzles,
                                      load_chess_puzzles_gen, load_rm_chess_moves, puzzles)
from w2s_lib.data.registry import get_task, load_pool
from w2s_lib.data import splits
from w2s_lib.paths import RESOURCES_DIR


def _stockfish_available() -> bool:
    try:
        find_stockfish()
    except StockfishNotFoundError:
        return False
    return True


skip_without_stockfish = pytest.mark.skipif(not _stockfish_available(),
                                            reason="Stockfish binary not found")


# ---------------------------------------------------------------- committed data
def test_committed_puzzles_are_at_least_ten_thousand_distinct_only_move_positions():
    frame = puzzles()
    assert list(frame.columns[:len(PUZZLE_COLUMNS)]) == PUZZLE_COLUMNS
    assert len(frame) >= 10_000
    assert frame["id"].is_unique
    assert frame["fen"].map(position_key).is_unique
    assert (frame["cp_best"] - frame["cp_second"] >= MIN_GAP_CP).all()
    assert (frame["cp_second"] < DECIDED_CP).all() and (frame["cp_best"] > -DECIDED_CP).all()
    assert (frame["depth"] == 10).all()


def test_committed_best_and_second_moves_are_distinct_legal_moves():
    for fen, best, second in zip(*(puzzles()[c] for c in ("fen", "best_move", "second_move"))):
        legal = chess.Board(fen).legal_moves
        assert best != second
        assert chess.Move.from_uci(best) in legal, (fen, best)
        assert chess.Move.from_uci(second) in legal, (fen, second)


def test_committed_files_record_the_stockfish_version():
    for name in ("chess_puzzles.parquet", "chess_games.parquet", PRETRAIN_GAMES_FILE, SAMPLE_FILE):
        metadata = read_metadata(RESOURCES_DIR / name)
        assert metadata["stockfish"].startswith("Stockfish "), name


def test_stored_game_positions_are_what_replaying_the_moves_gives():
    games = pd.read_parquet(RESOURCES_DIR / "chess_games.parquet")
    assert len(games) == read_metadata(RESOURCES_DIR / "chess_games.parquet")["n_games"]
    for row in games.sample(100, random_state=0).itertuples():
        assert list(row.fens) == replay_fens(row.moves), row.game_id


def test_pretraining_games_follow_the_puzzles_games_without_sharing_one():
    puzzle_games = pd.read_parquet(RESOURCES_DIR / GAMES_FILE, columns=["game_id"])["game_id"]
    more = pd.read_parquet(RESOURCES_DIR / PRETRAIN_GAMES_FILE)
    assert len(more) == read_metadata(RESOURCES_DIR / PRETRAIN_GAMES_FILE)["n_games"] == COMMITTED_PRETRAIN_GAMES
    expected = [game_id(SEED, COMMITTED_GAMES + i) for i in range(COMMITTED_PRETRAIN_GAMES)]
    assert list(more["game_id"]) == expected
    assert not set(more["game_id"]) & set(puzzle_games)
    for row in more.sample(50, random_state=0).itertuples():
        assert list(row.fens) == replay_fens(row.moves), row.game_id


def test_every_puzzle_is_the_position_of_its_game_at_its_ply():
    positions = game_positions(pd.read_parquet(RESOURCES_DIR / "chess_games.parquet"))
    merged = puzzles().merge(positions[["id", "fen"]], on="id", suffixes=("", "_in_game"))
    assert len(merged) == len(puzzles())
    assert (merged["fen"] == merged["fen_in_game"]).all()


# ---------------------------------------------------------------- tasks
@pytest.mark.parametrize("task", CHESS_TASKS)
def test_chess_task_pool_is_valid_and_balanced(task):
    pool = load_pool(task)  # validates the kind's column contract
    assert get_task(task).scope == "micro"
    assert len(pool) == len(puzzles())
    if "label" in pool:
        assert 0.47 < pool["label"].mean() < 0.53


def test_binary_candidate_is_the_best_move_when_labelled_one_else_the_second_best():
    pool = load_pool("chess_puzzles").merge(puzzles()[["id", "best_move", "second_move"]], on="id")
    assert (pool["move"] == pool["best_move"].where(pool["label"] == 1, pool["second_move"])).all()
    first = pool.iloc[0]
    assert first["text"] == f"FEN: {first['fen']}\nMove: {first['move']}"


def test_generative_target_is_the_best_move():
    pool = load_pool("chess_puzzles_gen").merge(puzzles()[["id", "best_move"]], on="id")
    assert (pool["target"] == pool["best_move"]).all()
    assert pool["prompt"].str.startswith("FEN: ").all()


def test_reward_pair_label_points_to_the_better_move():
    pool = load_pool("rm_chess_moves").merge(puzzles()[["id", "best_move"]], on="id")
    better = pool["move_a"].where(pool["label"] == 1, pool["move_b"])
    assert (better == pool["best_move"]).all()
    assert (pool["cp_gap"] >= MIN_GAP_CP).all()


# ---------------------------------------------------------------- corpus
def test_chess_corpus_leaves_out_every_test_pool_position():
    corpus = chess_corpus()
    assert len(corpus) > 1000
    assert corpus[0].startswith("FEN: ") and "\nMove: " in corpus[0]
    assert_no_chess_test_leakage(corpus)  # also run by chess_corpus itself
    frame = puzzles()
    for task in CHESS_TASKS:
        test_fens = frame["fen"][splits.test_pool_mask(task, frame["id"])]
        assert set(test_fens.map(position_key)) <= chess_test_position_keys()


def test_leakage_assertion_catches_a_test_position():
    test_fen = next(iter(chess_test_position_keys())) + " 0 1"
    with pytest.raises(AssertionError, match="test-pool positions"):
        assert_no_chess_test_leakage(["FEN: 8/8/8/8/8/8/8/K1k5 w - - 0 1\nMove: a1a2",
                                      f"FEN: {test_fen}\nMove: a1a2"])


# ---------------------------------------------------------------- selection and engine helpers
def test_select_puzzles_keeps_only_move_positions_that_are_not_decided():
    labelled = pd.DataFrame({"name": ["only", "small_gap", "both_win", "both_lose", "mate_only"],
                             "cp_best": [250, 150, 900, -600, MATE_CP - 3],
                             "cp_second": [30, 0, 600, -900, 100]})
    assert select_puzzles(labelled)["name"].tolist() == ["only", "mate_only"]


def test_mate_scores_map_to_large_centipawns_for_the_side_to_move():
    mate_in_3_for_white = chess.engine.PovScore(chess.engine.Mate(3), chess.WHITE)
    assert score_to_cp(mate_in_3_for_white, chess.WHITE) == MATE_CP - 3
    assert score_to_cp(mate_in_3_for_white, chess.BLACK) == -(MATE_CP - 3)


def test_missing_stockfish_raises_an_error_naming_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("W2S_STOCKFISH", str(tmp_path / "no-such-stockfish"))
    monkeypatch.setattr(chess_engine.shutil, "which", lambda name: None)
    monkeypatch.setattr(chess_engine, "DEBIAN_STOCKFISH_PATH", tmp_path / "games" / "stockfish")
    with pytest.raises(StockfishNotFoundError) as raised:
        label_positions([chess.STARTING_FEN], workers=1)
    message = str(raised.value)
    assert "no-such-stockfish" in message and str(tmp_path / "games" / "stockfish") in message
    assert "apt-get install stockfish" in message


def test_loading_the_committed_chess_data_never_needs_stockfish(monkeypatch):
    def no_stockfish():
        raise StockfishNotFoundError("test: Stockfish must not be needed here")

    for module in (chess_engine, chess_puzzles):
        monkeypatch.setattr(module, "find_stockfish", no_stockfish)
        monkeypatch.setattr(module, "StockfishAnalyser", None)
    chess_tasks._puzzles.cache_clear()
    chess_tasks._chess_corpus.cache_clear()
    for loader in (load_chess_puzzles, load_chess_puzzles_gen, load_rm_chess_moves):
        assert len(loader()) == len(puzzles())
    assert chess_corpus()


# ---------------------------------------------------------------- generator (needs Stockfish)
@pytest.mark.needs_stockfish
@skip_without_stockfish
def test_generator_reproduces_the_committed_sample_exactly():
    committed = pd.read_parquet(RESOURCES_DIR / SAMPLE_FILE)
    regenerated = build_sample(workers=1)
    pd.testing.assert_frame_equal(regenerated, committed)
    # and the sample's puzzles are exactly the committed puzzles of those positions
    in_sample = puzzles().merge(committed[["id"]], on="id")[PUZZLE_COLUMNS]
    pd.testing.assert_frame_equal(select_puzzles(committed), in_sample)


@pytest.mark.needs_stockfish
@skip_without_stockfish
def test_generator_replays_the_first_committed_pretraining_games(tmp_path):
    committed = pd.read_parquet(RESOURCES_DIR / PRETRAIN_GAMES_FILE).head(2)
    replayed = self_play_positions(2, SEED, workers=1, first_game=COMMITTED_GAMES).games
    write_parquet(replayed, tmp_path / "games.parquet", {})  # as the rebuild stores them
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "games.parquet"), committed)


@pytest.mark.needs_stockfish
@skip_without_stockfish
def test_labelling_is_identical_with_one_and_two_workers():
    fens = pd.read_parquet(RESOURCES_DIR / SAMPLE_FILE)["fen"].iloc[:6].tolist()
    pd.testing.assert_frame_equal(label_positions(fens, depth=8, workers=1),
                                  label_positions(fens, depth=8, workers=2))
