"""Board networks: chess rungs that read the position itself, pretrained on our self-play games.

A text-trained model reads a FEN string character by character and, at ``micro`` size, learns
nothing about chess from it (every text rung stayed at chance on the chess tasks). A board rung
reads the board as 12 piece planes of 64 squares (own and opponent pieces, the board turned so
the side to move plays up), the squares each side attacks, castling rights and the en-passant
flag; a convolutional trunk over the 8 × 8 board and a residual MLP block map them to a state,
and a policy layer scores all 64 × 64 from-to moves.

**Pretraining** is self-supervised on the committed self-play corpus: predict the move that was
played in each position (cross-entropy over the 4,096 from-to pairs), every position of the chess
tasks left out, whatever its split. Nothing about the tasks' labels enters; a larger trunk predicts
Stockfish's moves better, which is what gives the chess ladder its range (the README has the numbers).

**Features** of a (position, move) text are the trunk's state ``h`` of the position and ``h'`` of
the position after the move (what the opponent then faces), the move's share of the policy logit
``h ⊙ E[move]`` (its sum plus the move's bias *is* the logit), the move's log-probability under
the policy read over legal moves, and how far its logit falls below the policy's favourite legal
move: what the network knows of the position and what it thinks of the move. A probe reads them; the finetuned regime trains the last block on top of the cached
state below it (:mod:`w2s_lib.training.top_block`).
"""
from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..progress import progress
from ..store import ArtifactSpec, ArtifactStore, default_store
from ..seeding import torch_threads, train_threads
from .pretrain import COMMITTED_DIR  # committed like the tiny rungs, one folder per artifact key

if TYPE_CHECKING:
    from .ladder import Rung

BOARD_VERSION = 5  # 2: every puzzle position left out of the corpus (1: the test pools only); 3: attack planes;
# 4: a convolutional trunk; 5: the pretraining-only games join the corpus
N_PLANES = 12 * 64 + 2 * 64     # pieces (own, then opponent's), then the squares each side attacks
N_INPUTS = N_PLANES + 5          # + castling rights (own K/Q, opponent K/Q) + an en-passant square
N_MOVES = 64 * 64
BATCH_SIZE = 256
PRETRAIN_LR = 2e-3
WEIGHTS_FILE = "board.safetensors"


# ----------------------------------------------------------------------------- what the board rung reads

def encode_position(fen: str) -> tuple[np.ndarray, bool]:
    """(901,) uint8 planes of a position seen by the side to move, and whether it was mirrored
    (black to move: ranks flipped and colours swapped, so every position is played upwards): 12
    piece planes (own pieces first), the squares the side to move attacks, those the opponent
    attacks, castling rights and whether an en-passant capture is on."""
    import chess

    return _planes(chess.Board(fen))


def _planes(board) -> tuple[np.ndarray, bool]:
    import chess

    flip = board.turn == chess.BLACK
    sides = (board.turn, not board.turn)  # own pieces first
    bitboards = [board.pieces_mask(piece_type, side) for side in sides for piece_type in chess.PIECE_TYPES]
    for side in sides:
        attacked = 0
        for square in chess.scan_forward(board.occupied_co[side]):
            attacked |= board.attacks_mask(square)
        bitboards.append(attacked)
    if flip:
        bitboards = [chess.flip_vertical(bb) for bb in bitboards]
    x = np.zeros(N_INPUTS, np.uint8)
    # bit k of a bitboard is square k: little-endian bytes, little-endian bits
    x[:N_PLANES] = np.unpackbits(np.array(bitboards, dtype="<u8").view(np.uint8), bitorder="little")
    us, them = sides
    x[N_PLANES:N_PLANES + 4] = (board.has_kingside_castling_rights(us), board.has_queenside_castling_rights(us),
                                board.has_kingside_castling_rights(them), board.has_queenside_castling_rights(them))
    x[N_PLANES + 4] = board.has_legal_en_passant()  # (a FEN may name a square no pawn can take on)
    return x, flip


def position_after(fen: str, uci: str) -> str:
    """The FEN after a move: what the opponent faces (its threats are what make a move bad)."""
    import chess

    board = chess.Board(fen)
    board.push(chess.Move.from_uci(uci))
    return board.fen()


def move_index(uci: str, flip: bool) -> int:
    """The from-to index (0..4095) of a UCI move on the board as the network sees it."""
    import chess

    move = chess.Move.from_uci(uci)
    a, b = move.from_square, move.to_square
    if flip:
        a, b = chess.square_mirror(a), chess.square_mirror(b)
    return a * 64 + b


def legal_move_mask(fen: str) -> np.ndarray:
    """(4096,) bool: the from-to indices of the position's legal moves, as the network sees them
    (a promotion counts once, whatever the piece)."""
    import chess

    return _legal_mask(chess.Board(fen))


def _legal_mask(board) -> np.ndarray:
    import chess

    mask = np.zeros(N_MOVES, bool)
    flip = board.turn == chess.BLACK
    for move in board.legal_moves:
        a, b = move.from_square, move.to_square
        mask[(chess.square_mirror(a) * 64 + chess.square_mirror(b)) if flip else a * 64 + b] = True
    return mask


def encode_texts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Planes of each position (N, 901) and of the position after its move (zeros where a text
    names no move), move indices (N,; −1: none) and legal-move masks (N, 4096) of chess texts.
    Read once per process for a given list (every model of a task reads the same universe); the
    arrays are shared, so callers must not write to them."""
    return _encoded(tuple(texts))


@functools.lru_cache(maxsize=4)
def _encoded(texts: tuple[str, ...]):
    import chess

    from ..data.chess_format import parse_chess_text

    n = len(texts)
    planes, after = np.zeros((n, N_INPUTS), np.uint8), np.zeros((n, N_INPUTS), np.uint8)
    moves, legal = np.full(n, -1, np.int64), np.zeros((n, N_MOVES), bool)
    for i, text in enumerate(texts):
        fen, move = parse_chess_text(text)
        board = chess.Board(fen)
        planes[i], flip = _planes(board)
        legal[i] = _legal_mask(board)
        if move is not None:
            moves[i] = move_index(move, flip)
            board.push(chess.Move.from_uci(move))
            after[i] = _planes(board)[0]
    return planes, after, moves, legal


# ----------------------------------------------------------------------------- the network

def board_net(width: int, depth: int, channels: int):
    """A fresh network: a 3×3 convolution stem over the 14 planes, ``depth`` residual convolution
    blocks of ``channels`` channels, a projection of every square's channels (and the 5 flags) to
    ``width``, one residual MLP block, a final norm and the policy layer.

    Convolutions see a piece's neighbourhood the same way on every square, which the MLP trunk of
    version 3 had to learn square by square from 210,000 positions: on the puzzles outside the test
    pools, a probe on a 128-wide convolutional network (32 channels, 2 blocks, 2,000 steps) read
    ``chess_puzzles`` 0.61 right, on the MLP of the same width (2 blocks, 3,000 steps) 0.56. The MLP
    block on top is the finetuned regime's last block."""
    import torch
    from torch import nn

    class ConvBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.BatchNorm2d(channels)
            self.conv1, self.conv2 = (nn.Conv2d(channels, channels, 3, padding=1) for _ in range(2))

        def forward(self, h):
            return h + self.conv2(torch.nn.functional.gelu(self.conv1(self.norm(h))))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.up, self.down = nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.Linear(2 * width, width)

        def forward(self, h):
            return h + self.down(torch.nn.functional.gelu(self.up(self.norm(h))))

    class BoardNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(N_PLANES // 64, channels, 3, padding=1)
            self.convs = nn.ModuleList(ConvBlock() for _ in range(depth))
            self.proj = nn.Linear(channels * 64 + N_INPUTS - N_PLANES, width)
            self.blocks = nn.ModuleList([Block()])
            self.norm = nn.LayerNorm(width)
            self.policy = nn.Linear(width, N_MOVES)

        def below_top(self, x):
            """The state that enters the last block (what the finetuned regime caches)."""
            h = self.stem(x[:, :N_PLANES].view(-1, N_PLANES // 64, 8, 8))  # (plane, rank, file)
            for block in self.convs:
                h = block(h)
            h = torch.nn.functional.gelu(self.proj(torch.cat([h.flatten(1), x[:, N_PLANES:]], 1)))
            for block in self.blocks[:-1]:
                h = block(h)
            return h

        def top(self, h):
            """The last block and the final norm: the trunk's state from the cached one."""
            return self.norm(self.blocks[-1](h))

        def forward(self, x):
            return self.policy(self.top(self.below_top(x)))

    return BoardNet()


def move_features(net, state, after, moves, legal):
    """[h, h', h ⊙ E[move], log p(move), margin] from trunk states ``state`` of the positions and
    ``after`` of the positions after the moves (N, W), move indices ``moves`` (−1: none) and
    legal-move masks ``legal`` (N, 4096): the policy is read over legal moves only, and the margin
    is how far the move's logit falls below the policy's favourite legal move. Without a move,
    everything after ``h`` is 0."""
    import torch

    has_move = (moves >= 0).to(state.dtype)[:, None]
    safe = moves.clamp_min(0)[:, None]
    logits = net.policy(state).masked_fill(~legal, float("-inf"))
    chosen = logits.gather(1, safe).clamp_min(-1e4)
    share = state * net.policy.weight[safe[:, 0]] * has_move
    logp = (chosen - torch.logsumexp(logits, -1, keepdim=True)) * has_move
    margin = (logits.max(-1, keepdim=True).values - chosen) * has_move
    return torch.cat([state, after * has_move, share, logp, margin], dim=1)


def feature_width(rung: "Rung") -> int:
    return 3 * rung.n_embd + 2


# ----------------------------------------------------------------------------- pretraining

@functools.cache
def puzzle_position_keys() -> frozenset[str]:
    """Every position of the chess tasks, whichever split it falls in: the pretraining corpus leaves
    them all out. (Leaving out only the test pools was not enough: the move played in a puzzle
    position is nearly always its best move, and board rungs pretrained on the dev positions scored
    10 points higher on dev than on test — they recalled answers.)"""
    from ..data.chess_puzzles import position_key
    from ..data.chess_tasks import puzzles

    return frozenset(puzzles()["fen"].map(position_key))


@functools.cache
def _corpus_arrays() -> tuple[np.ndarray, np.ndarray, str]:
    """Every position of the self-play corpus (the puzzles' games and the pretraining-only ones) a
    move was played from, the chess tasks' positions left out (:func:`puzzle_position_keys`):
    planes, the played move's index, and a fingerprint of both."""
    import hashlib

    import chess
    import pandas as pd

    from ..data.chess_puzzles import CORPUS_FILES, position_key
    from ..paths import RESOURCES_DIR

    games = pd.concat([pd.read_parquet(RESOURCES_DIR / name, columns=["fens", "moves"]) for name in CORPUS_FILES],
                      ignore_index=True)
    excluded = puzzle_position_keys()
    keep = [[position_key(fen) not in excluded for fen in fens] for fens in games["fens"]]
    planes = np.zeros((sum(map(sum, keep)), N_INPUTS), np.uint8)
    moves = np.zeros(len(planes), np.int64)
    row = 0
    for kept, game in progress(zip(keep, games["moves"]), total=len(games), desc="encode the self-play games"):
        if len(kept) != len(game):
            raise ValueError(f"a stored game has {len(kept)} positions for {len(game)} moves")
        board = chess.Board()  # replaying is several times faster than parsing each stored FEN
        for wanted, uci in zip(kept, game):
            if wanted:
                planes[row], flip = _planes(board)
                moves[row] = move_index(uci, flip)
                row += 1
            board.push_uci(uci)
    digest = hashlib.sha256(planes.tobytes() + moves.tobytes()).hexdigest()[:16]
    return planes, moves, digest


def pretrain_spec(rung: "Rung", seed: int = 0) -> ArtifactSpec:
    """Keyed by the architecture and budget, the committed games files' content and the recipe."""
    from ..data.chess_puzzles import CORPUS_FILES, PUZZLES_FILE
    from ..fingerprint import remembered_sha256
    from ..paths import RESOURCES_DIR

    return ArtifactSpec("pretrain_board", BOARD_VERSION,
                        {"rung": rung.identity(),
                         "games": [remembered_sha256(RESOURCES_DIR / name)[:16] for name in CORPUS_FILES],
                         # the puzzles define the test pools the corpus leaves out
                         "puzzles": remembered_sha256(RESOURCES_DIR / PUZZLES_FILE)[:16],
                         "objective": "played move", "batch": BATCH_SIZE, "lr": PRETRAIN_LR,
                         "threads": train_threads()}, seed=seed)


def pretrained_board(rung: "Rung", store: ArtifactStore | None = None, seed: int = 0, use_committed: bool = True):
    """The board rung pretrained to predict the played move (an artifact; a committed copy under
    the same key, ``resources/pretrained/<key>``, is used when there is one: ``w2s pretrain --check``
    retrains and compares)."""
    if rung.family != "board":
        raise ValueError(f"rung {rung.name} is not a board rung (family {rung.family})")
    store = store or default_store()
    spec = pretrain_spec(rung, seed)

    def build(tmp: Path) -> dict:
        committed = COMMITTED_DIR / spec.key
        if use_committed and (committed / WEIGHTS_FILE).exists():
            from .pretrain import copy_committed

            return copy_committed(committed, tmp)
        with torch_threads(train_threads()):
            return _pretrain(rung, seed, tmp)

    return store.get_or_build(spec, build)


def _pretrain(rung: "Rung", seed: int, out: Path) -> dict:
    import torch
    from safetensors.torch import save_file

    from ..checkpoint import Checkpointer
    from ..seeding import seed_everything

    seed_everything(seed)
    planes, moves, digest = _corpus_arrays()
    x, y = torch.from_numpy(planes), torch.from_numpy(moves)
    net = board_net(rung.n_embd, rung.n_layer, rung.n_channels)
    optim = torch.optim.AdamW(net.parameters(), lr=PRETRAIN_LR, weight_decay=0.01)
    steps, warmup = rung.pretrain_steps, max(1, rung.pretrain_steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / steps))))
    gen = torch.Generator().manual_seed(seed)
    losses, start = [], 0
    checkpoint = Checkpointer.for_current_build()
    saved = checkpoint.load()
    if saved is not None:  # a killed run continues where it stopped
        net.load_state_dict(saved["net"]), optim.load_state_dict(saved["optim"]), sched.load_state_dict(saved["sched"])
        losses, start = saved["losses"], saved["step"]
        gen.set_state(saved["gen"])
    net.train()
    for step in progress(range(start, steps), initial=start, total=steps, desc=f"pretrain {rung.name} on self-play moves"):
        idx = torch.randint(0, len(x), (BATCH_SIZE,), generator=gen)
        loss = torch.nn.functional.cross_entropy(net(x[idx].float()), y[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optim.step(), sched.step(), optim.zero_grad(set_to_none=True)
        losses.append(float(loss.item()))
        checkpoint.maybe_save(lambda: {"net": net.state_dict(), "optim": optim.state_dict(), "sched": sched.state_dict(),
                                       "losses": losses, "step": step + 1, "gen": gen.get_state()})
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(out / WEIGHTS_FILE))
    tail = losses[-max(1, steps // 10):]
    return {"final_loss": float(np.mean(tail)), "first_loss": losses[0], "steps": steps,
            "positions_seen": steps * BATCH_SIZE, "corpus_positions": int(len(x)), "corpus_sha": digest,
            "non_embedding_params": rung.non_embedding_params()}


def load_board_net(rung: "Rung", store: ArtifactStore | None = None):
    """The pretrained network of a board rung, in eval mode, fp32."""
    from safetensors.torch import load_file

    art = pretrained_board(rung, store)
    net = board_net(rung.n_embd, rung.n_layer, rung.n_channels)
    net.load_state_dict(load_file(str(art.file(WEIGHTS_FILE))))
    return net.eval()


_STATES_BELOW_TOP: dict = {}  # (pretrained key, texts) -> states; the last few universes of this process


def states_below_top(rung: "Rung", texts: Sequence[str], store: ArtifactStore | None = None,
                     batch_size: int = 1024) -> np.ndarray:
    """(N, 2, W) states entering the last block, of each text's position and of the position after its
    move: what the finetuned regime trains on. Computed once per process and universe (every seed,
    method and role of a task reads the same), shared: callers must not write to it."""
    import torch

    key = (pretrained_board(rung, store).key, tuple(texts))
    if key not in _STATES_BELOW_TOP:
        net = load_board_net(rung, store)
        planes, after, _, _ = encode_texts(texts)
        chunks = []
        with torch.inference_mode(), torch_threads(train_threads()):
            for start in range(0, len(texts), batch_size):
                part = slice(start, start + batch_size)
                chunks.append(torch.stack([net.below_top(torch.from_numpy(p[part]).float())
                                           for p in (planes, after)], 1).numpy())
        while len(_STATES_BELOW_TOP) >= 4:
            _STATES_BELOW_TOP.pop(next(iter(_STATES_BELOW_TOP)))
        _STATES_BELOW_TOP[key] = np.concatenate(chunks) if chunks else np.zeros((0, 2, rung.n_embd), np.float32)
    return _STATES_BELOW_TOP[key]


def board_features(rung: "Rung", texts: Sequence[str], store: ArtifactStore | None = None,
                   batch_size: int = 1024) -> np.ndarray:
    """(N, 3W + 2) features of chess texts (see the module's docstring)."""
    import torch

    net = load_board_net(rung, store)
    below = states_below_top(rung, texts, store, batch_size)  # the finetuned regime reads them too
    _, _, moves, legal = encode_texts(texts)
    chunks = []
    with torch.inference_mode(), torch_threads(train_threads()):
        for start in progress(range(0, len(texts), batch_size), desc=f"features {rung.name}"):
            part = slice(start, start + batch_size)
            top = net.top(torch.from_numpy(below[part]))
            chunks.append(move_features(net, top[:, 0], top[:, 1], torch.from_numpy(moves[part]),
                                        torch.from_numpy(legal[part])).numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, feature_width(rung)), np.float32)


def weights_difference(a: Path, b: Path) -> float:
    """Largest absolute difference between two saved board networks (0.0: identical)."""
    from .pretrain import weights_difference as difference

    return difference(a, b, WEIGHTS_FILE)
