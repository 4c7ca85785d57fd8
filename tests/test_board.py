"""Board rungs: what they read of a position, their size, pretraining, committed copies, features."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from w2s_lib.models import board as B
from w2s_lib.models.ladder import LADDERS, Rung

START = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"
AFTER_E4 = "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq e3 0 1"
BOARD = [r for r in LADDERS["micro-chess"]]


def _rung(steps: int = 4, width: int = 8, depth: int = 1, channels: int = 4) -> Rung:
    return Rung(name="board-test", family="board", n_layer=depth, n_embd=width, n_channels=channels,
                pretrain_steps=steps)


def test_positions_are_seen_by_the_side_to_move():
    """Black to move is mirrored: after 1. e4 the mirrored position has black's pawns on rank 2 as
    'own' pieces, so a symmetric reply (…e5) has the index white's e4 has from the start."""
    white, flipped_w = B.encode_position(START)
    black, flipped_b = B.encode_position(AFTER_E4)
    assert not flipped_w and flipped_b
    assert white[:768].sum() == black[:768].sum() == 32
    assert white[896:].tolist() == black[896:].tolist() == [1, 1, 1, 1, 0]  # castling; no e.p. capture is on
    own_pawns = lambda x: np.flatnonzero(x[:64])  # noqa: E731 (plane 0: the side to move's pawns)
    assert list(own_pawns(white)) == list(own_pawns(black)) == list(range(8, 16))
    import chess

    for fen, x in ((START, white), (AFTER_E4, black)):  # attack planes: python-chess's own answer, mirrored
        board = chess.Board(fen)
        for square in chess.SQUARES:
            seen = chess.square_mirror(square) if board.turn == chess.BLACK else square
            assert x[768 + seen] == board.is_attacked_by(board.turn, square)
            assert x[832 + seen] == board.is_attacked_by(not board.turn, square)
    assert white[768 + 16: 768 + 24].sum() == 8  # rank 3, every square attacked by a pawn
    assert B.move_index("e2e4", False) == B.move_index("e7e5", True)
    assert B.legal_move_mask(START).sum() == 20


def test_chess_texts_give_planes_moves_and_legal_masks():
    planes, after, moves, legal = B.encode_texts([f"FEN: {START}\nMove: e2e4", f"FEN: {START}\nBest move:"])
    assert moves[0] == B.move_index("e2e4", False) and moves[1] == -1
    assert legal[0, moves[0]] and legal.sum(1).tolist() == [20, 20]
    assert after[0].tolist() == B.encode_position(AFTER_E4)[0].tolist() and not after[1].any()
    with pytest.raises(ValueError, match="not a chess text"):
        B.encode_texts(["a sentence about films"])


@pytest.mark.parametrize("width,depth,channels", [(8, 1, 4), (32, 2, 16), (256, 4, 64)])
def test_the_declared_size_is_the_networks(width, depth, channels):
    rung = _rung(width=width, depth=depth, channels=channels)
    net = B.board_net(width, depth, channels)
    assert rung.non_embedding_params() == sum(p.numel() for p in net.parameters())


def test_the_chess_ladder_is_one_family_growing_in_size():
    assert {r.family for r in BOARD} == {"board"} and len(BOARD) >= 4
    sizes = [r.non_embedding_params() for r in BOARD]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)


def test_every_board_rung_has_a_committed_copy_under_its_current_key():
    """Rebuild with `w2s pretrain --ladder micro-chess --commit` when the recipe or the games change."""
    for rung in BOARD:
        art = B.pretrained_board(rung)
        assert art.meta.get("from_committed"), f"{rung.name}: no committed copy for {art.key}"
        committed = B.COMMITTED_DIR / art.key / B.WEIGHTS_FILE
        assert hashlib.sha256(art.file(B.WEIGHTS_FILE).read_bytes()).hexdigest() == \
            hashlib.sha256(committed.read_bytes()).hexdigest()
        assert art.meta["steps"] == rung.pretrain_steps and art.meta["final_loss"] < art.meta["first_loss"]


def test_pretraining_is_reproducible_and_keyed_by_its_budget(tmp_path):
    from w2s_lib.store import ArtifactStore

    one = B.pretrained_board(_rung(), ArtifactStore(tmp_path / "a"), use_committed=False)
    two = B.pretrained_board(_rung(), ArtifactStore(tmp_path / "b"), use_committed=False)
    assert B.weights_difference(one.path, two.path) == 0.0
    assert B.pretrain_spec(_rung(steps=5)).key != B.pretrain_spec(_rung(steps=4)).key
    assert one.meta["corpus_positions"] > 100_000  # every corpus position but the test pools'


def test_the_committed_rungs_were_pretrained_on_the_corpus_the_code_encodes():
    """The corpus fingerprint (planes and moves of every position) each committed rung recorded is
    the one encoded now: the faster replaying encoder gave the same bytes as parsing each FEN."""
    planes, _, digest = B._corpus_arrays()
    for rung in BOARD:
        meta = B.pretrained_board(rung).meta
        assert (meta["corpus_sha"], meta["corpus_positions"]) == (digest, len(planes)), rung.name


def test_features_read_the_policy_over_legal_moves(tmp_path):
    """[h, h', h ⊙ E[m], log p(m), margin]: log p ≤ 0 over legal moves, summing to 1; the margin is
    0 for the policy's favourite move and positive for the others; a text with no move has zeros."""
    import torch

    from w2s_lib.store import ArtifactStore

    rung = _rung()
    store = ArtifactStore(tmp_path)
    legal = [m for m in ("e2e4", "d2d4", "g1f3", "a2a3", "b1c3", "h2h4")]
    texts = [f"FEN: {START}\nMove: {m}" for m in legal] + [f"FEN: {START}\nBest move:"]
    feats = B.board_features(rung, texts, store)
    w = rung.n_embd
    assert feats.shape == (len(texts), B.feature_width(rung))
    logp, margin = feats[:, 3 * w], feats[:, 3 * w + 1]
    assert (logp[:-1] <= 0).all() and (margin[:-1] >= 0).all() and feats[-1, w:].tolist() == [0.0] * (2 * w + 2)
    net = B.load_board_net(rung, store)
    with torch.no_grad():
        planes, _, _, mask = B.encode_texts(texts[:1])
        logits = net(torch.from_numpy(planes).float()).masked_fill(~torch.from_numpy(mask), float("-inf"))
    probs = torch.softmax(logits, -1)[0]
    assert float(probs.sum()) == pytest.approx(1.0, abs=1e-5)
    for text, lp in zip(texts[:-1], logp[:-1]):
        index = B.encode_texts([text])[2][0]
        assert lp == pytest.approx(float(torch.log(probs[index])), abs=1e-4)
    assert np.isclose(margin[:-1], 0).sum() <= 1


def test_the_pretraining_corpus_holds_no_position_of_any_chess_task():
    """Not only the test pools: a puzzle's played move is nearly always its answer, so a position of
    A, B or dev in the corpus would be recalled, not generalized to."""
    from w2s_lib.data.chess_tasks import puzzles

    planes, _, _ = B._corpus_arrays()
    corpus = {row.tobytes() for row in planes}
    seen = [fen for fen in puzzles()["fen"] if B.encode_position(fen)[0].tobytes() in corpus]
    # planes drop the move clocks and (rarely) tell two positions apart only by them: none may match
    assert not seen, f"{len(seen)} puzzle positions in the board corpus, e.g. {seen[0]!r}"
