"""Deterministic Stockfish analysis: the oracle behind the micro chess tasks.

Stockfish is only needed to *regenerate* the committed chess data; importing this module or
loading the committed parquet files never starts it. Results are reproducible because every
search runs with one thread, a fixed hash size, a fixed depth, and a cleared hash (a UCI
``ucinewgame``) before each position, so an answer never depends on what was searched before
it — which is what lets several worker processes share the labelling and still agree.

Scores are centipawns from the point of view of the side to move. Mate scores are mapped to
large centipawns: mate in ``n`` for the side to move is ``MATE_CP - n`` and being mated in ``n``
is ``-(MATE_CP - n)`` (so a faster mate scores higher, and every mate outranks every
material advantage Stockfish reports, which stays far below ``MATE_CP``).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # python-chess is imported lazily so importing this module stays cheap
    import chess
    import chess.engine

STOCKFISH_ENV_VAR = "W2S_STOCKFISH"
DEBIAN_STOCKFISH_PATH = Path("/usr/games/stockfish")
MATE_CP = 10_000
ENGINE_THREADS = 1
ENGINE_HASH_MB = 16


class StockfishNotFoundError(FileNotFoundError):
    """No Stockfish binary: raised only when analysis is actually asked for."""


def find_stockfish() -> Path:
    """The Stockfish binary: ``$W2S_STOCKFISH``, else ``stockfish`` on PATH, else Debian's path."""
    looked: list[str] = []
    from_env = os.environ.get(STOCKFISH_ENV_VAR)
    if from_env:
        if Path(from_env).is_file() and os.access(from_env, os.X_OK):
            return Path(from_env)
        looked.append(f"${STOCKFISH_ENV_VAR}={from_env} (not an executable file)")
    else:
        looked.append(f"${STOCKFISH_ENV_VAR} (unset)")
    on_path = shutil.which("stockfish")
    if on_path:
        return Path(on_path)
    looked.append("'stockfish' on PATH (not found)")
    if DEBIAN_STOCKFISH_PATH.is_file() and os.access(DEBIAN_STOCKFISH_PATH, os.X_OK):
        return DEBIAN_STOCKFISH_PATH
    looked.append(f"{DEBIAN_STOCKFISH_PATH} (missing)")
    raise StockfishNotFoundError(
        "Stockfish is needed to regenerate the chess data but was not found; looked at: "
        + "; ".join(looked)
        + ". Install it with `sudo apt-get install stockfish` or point "
        f"${STOCKFISH_ENV_VAR} at the binary. (The committed chess data loads without it.)")


def score_to_cp(score: "chess.engine.PovScore", turn: bool) -> int:
    """Centipawns for the side to move (``turn``), mates mapped as in the module docstring."""
    return int(score.pov(turn).score(mate_score=MATE_CP))


@dataclass(frozen=True)
class MoveScore:
    """One line of a multi-PV analysis: a root move and its score for the side to move."""

    move_uci: str
    cp: int


class StockfishAnalyser:
    """One Stockfish process with the fixed, deterministic settings; use as a context manager."""

    def __init__(self, binary: Path | None = None):
        import chess.engine

        self.binary = binary or find_stockfish()
        self._engine = chess.engine.SimpleEngine.popen_uci(str(self.binary))
        self._engine.configure({"Threads": ENGINE_THREADS, "Hash": ENGINE_HASH_MB})
        self.version: str = self._engine.id.get("name", "unknown")

    def top_moves(self, board: "chess.Board", depth: int, multipv: int) -> list[MoveScore]:
        """The best ``multipv`` moves at ``depth``, best first, searched from a cleared hash.

        The board's move stack is sent too (it matters for repetitions); pass a board built
        from a FEN to analyse the bare position.
        """
        import chess.engine

        if depth < 1 or multipv < 1:
            raise ValueError(f"depth and multipv must be >= 1, got depth={depth}, multipv={multipv}")
        # A fresh ``game`` object makes python-chess send ``ucinewgame``, which clears the hash.
        infos = self._engine.analyse(board, chess.engine.Limit(depth=depth), multipv=multipv,
                                     game=object())
        lines = [MoveScore(info["pv"][0].uci(), score_to_cp(info["score"], board.turn))
                 for info in infos if info.get("pv")]
        return sorted(lines, key=lambda line: -line.cp)  # stable: ties keep Stockfish's order

    def close(self) -> None:
        self._engine.quit()

    def __enter__(self) -> "StockfishAnalyser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stockfish_version(binary: Path | None = None) -> str:
    """The engine's UCI name, e.g. ``'Stockfish 15.1'`` (starts the engine once)."""
    with StockfishAnalyser(binary) as analyser:
        return analyser.version

