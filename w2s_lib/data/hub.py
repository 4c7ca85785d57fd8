"""Paper-scale tasks read from the Hugging Face hub (the ``paper`` preset).

Every hub read goes through :func:`load_hub_split`, so one switch swaps the whole preset
onto local files: when the environment variable ``W2S_HUB_FIXTURES`` names a folder, each
split is read from ``<folder>/<path with "/" -> "__">[__<name>]/<split>.jsonl`` with the
``json`` builder of ``datasets`` instead of the hub. Tests use that to run these loaders,
unchanged, on small files written in each dataset's own schema.

Texts follow Burns et al. 2023's public code (``weak_to_strong/datasets.py``); where that
code draws from a seeded RNG we draw from a stable hash of the example's id instead, so a
pool is the same on every machine, whatever order it is read in. Pools are the
concatenation of the hub splits we read, with ids ``"<split>:<row>"`` or the source's own
ids; the fixed test set is then picked by :mod:`w2s_lib.data.splits`, not by the hub split.

Huge sources are capped: only the first :data:`AMAZON_POLARITY_ROWS_PER_SPLIT` rows of each
amazon_polarity split and the first :data:`LICHESS_PUZZLE_ROWS` Lichess puzzles are read
(Burns et al. train on 20k documents, so the caps leave plenty). ``datasets`` still
downloads the whole split once into its cache; the cap bounds the formatting work.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import chess
import pandas as pd

from ..fingerprint import stable_unit
from .chess_format import format_chess_binary, format_chess_prompt
from .task_spec import TaskSpec, register_task

if TYPE_CHECKING:
    import datasets

FIXTURES_ENV = "W2S_HUB_FIXTURES"

AMAZON_POLARITY_ROWS_PER_SPLIT = 200_000  # of 3.6M train / 400k test reviews
LICHESS_PUZZLE_ROWS = 200_000  # of about 4M puzzles (one hub split, "train")


class HubDataUnavailableError(RuntimeError):
    """A hub dataset could not be read: no network, no local cache, or no fixture file."""


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class HubSource:
    """Where a task's rows live on the hub, and which splits make up its pool."""

    path: str
    name: str | None
    splits: tuple[str, ...]
    revision: str | None = None  # e.g. the parquet export of a dataset still built by a script
    max_rows_per_split: int | None = None


def fixture_file(folder: str | os.PathLike, path: str, name: str | None, split: str) -> Path:
    """The local stand-in for one hub split, in the layout described in the module docstring."""
    stem = path.replace("/", "__") + (f"__{name}" if name else "")
    return Path(folder) / stem / f"{split}.jsonl"


def _unavailable_message(path: str, name: str | None, split: str, cause: str) -> str:
    config = f", config {name!r}" if name else ""
    return (f"could not load Hugging Face dataset {path!r}{config}, split {split!r}: {cause}. "
            "The 'paper' preset reads its data from the Hugging Face hub: it needs network access "
            "or a local Hugging Face cache that already holds this dataset (then set "
            "HF_DATASETS_OFFLINE=1). The 'micro' tasks need neither and work offline.")


def load_hub_split(path: str, name: str | None, split: str, *, revision: str | None = None,
                   max_rows: int | None = None) -> datasets.Dataset:
    """One split of a hub dataset (its first ``max_rows`` rows when given).

    With ``W2S_HUB_FIXTURES`` set, the split comes from the local fixture file instead and
    ``revision`` is ignored; everything downstream is the same code.
    """
    import datasets  # here, not at the top: listing tasks should not pay for importing it
    from datasets.exceptions import DatasetsError

    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
        raise ValueError(f"max_rows must be a positive int or None, got {max_rows!r}")
    row_slice = f"[:{max_rows}]" if max_rows is not None else ""
    fixtures = os.environ.get(FIXTURES_ENV)
    try:
        if fixtures:
            local = fixture_file(fixtures, path, name, split)
            if not local.is_file():
                raise FileNotFoundError(f"no fixture file {local} ({FIXTURES_ENV}={fixtures})")
            return datasets.load_dataset("json", data_files=str(local), split=f"train{row_slice}")
        return datasets.load_dataset(path, name, split=f"{split}{row_slice}", revision=revision)
    except (OSError, DatasetsError) as err:  # ConnectionError, hub HTTP errors, missing files
        raise HubDataUnavailableError(_unavailable_message(path, name, split, str(err))) from err


def read_hub_pool(source: HubSource) -> pd.DataFrame:
    """All splits of a source, concatenated, with ``split`` and ``row`` (index within its split)."""
    frames = []
    for split in source.splits:
        frame = load_hub_split(source.path, source.name, split, revision=source.revision,
                               max_rows=source.max_rows_per_split).to_pandas()
        frame.insert(0, "split", split)
        frame.insert(1, "row", range(len(frame)))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def split_row_ids(raw: pd.DataFrame) -> list[str]:
    """Ids ``"<split>:<row>"`` for sources that have no ids of their own."""
    return [f"{s}:{r}" for s, r in zip(raw["split"], raw["row"])]


# --------------------------------------------------------------------------- stable choices


def _unit(salt: str, example_id: str) -> float:
    """A number in [0, 1) fixed by (salt, id): our replacement for Burns' seeded ``rng``."""
    return stable_unit("w2s-hub", salt, example_id, sep=":")


def stable_label(salt: str, example_id: str) -> int:
    """0 or 1 with equal odds, fixed by (salt, id)."""
    return int(_unit(salt + ":label", example_id) < 0.5)


def stable_pick(salt: str, example_id: str, options: list) -> object:
    """One of ``options``, fixed by (salt, id)."""
    if not options:
        raise ValueError(f"nothing to pick from for example {example_id!r} ({salt})")
    return options[int(_unit(salt + ":pick", example_id) * len(options))]


# --------------------------------------------------------------------------- NLP tasks

SCIQ = HubSource("allenai/sciq", None, ("train", "validation", "test"))
BOOLQ = HubSource("google/boolq", None, ("train", "validation"))
# The hub's cosmos_qa is built by a loading script, which datasets>=4 no longer runs; its
# parquet export has the same rows. The test split's labels are hidden (-1), so it is not read.
COSMOS_QA = HubSource("allenai/cosmos_qa", None, ("train", "validation"),
                      revision="refs/convert/parquet")
AMAZON_POLARITY = HubSource("fancyzhx/amazon_polarity", None, ("train", "test"),
                            max_rows_per_split=AMAZON_POLARITY_ROWS_PER_SPLIT)
HH_RLHF = HubSource("Anthropic/hh-rlhf", None, ("train", "test"))

COSMOS_NONE_OF_THE_ABOVE = "None of the above choices ."


def sciq_text(question: str, answer: str) -> str:
    return f"Q: {question} A: {answer}"


def format_sciq(raw: pd.DataFrame) -> pd.DataFrame:
    """Question with the correct answer (label 1) or one of its three distractors (label 0)."""
    rows = []
    for example_id, ex in zip(split_row_ids(raw), raw.to_dict("records")):
        label = stable_label("sciq", example_id)
        distractors = [ex["distractor1"], ex["distractor2"], ex["distractor3"]]
        answer = ex["correct_answer"] if label else stable_pick("sciq", example_id, distractors)
        rows.append({"id": example_id, "text": sciq_text(ex["question"], answer), "label": label,
                     "question": ex["question"], "answer": answer})
    return pd.DataFrame(rows)


def format_boolq(raw: pd.DataFrame) -> pd.DataFrame:
    """Passage and yes/no question; the label is the dataset's answer."""
    return pd.DataFrame({
        "id": split_row_ids(raw),
        "text": [f"Passage: {p}\nQuestion: {q}" for p, q in zip(raw["passage"], raw["question"])],
        "label": raw["answer"].astype(bool).astype(int).to_numpy(),
    })


def format_cosmos_qa(raw: pd.DataFrame) -> pd.DataFrame:
    """Context, question and one candidate answer: the correct one (1) or a wrong one (0).

    As in Burns et al., an item whose correct answer is "None of the above choices ." is
    always shown with one of the other (wrong) candidates, so its label is 0.
    """
    rows = []
    for ex in raw.drop_duplicates("id").to_dict("records"):
        candidates = [ex[f"answer{i}"] for i in range(4)]
        correct = candidates[int(ex["label"])]
        label = 0 if correct == COSMOS_NONE_OF_THE_ABOVE else stable_label("cosmos_qa", ex["id"])
        wrong = [c for c in candidates if c != correct]
        answer = correct if label else stable_pick("cosmos_qa", ex["id"], wrong)
        rows.append({"id": ex["id"], "label": label,
                     "text": f"Context: {ex['context']}\nQuestion: {ex['question']}\nAnswer: {answer}"})
    return pd.DataFrame(rows)


def format_amazon_polarity(raw: pd.DataFrame) -> pd.DataFrame:
    """Review title and body; label 1 = positive."""
    return pd.DataFrame({
        "id": split_row_ids(raw),
        "text": [f"{t} {c}" for t, c in zip(raw["title"], raw["content"])],
        "label": raw["label"].astype(int).to_numpy(),
    })


# --------------------------------------------------------------------------- reward modeling


def format_hh_rlhf(raw: pd.DataFrame) -> pd.DataFrame:
    """One conversation per item: the chosen one (label 1) or the rejected one (label 0)."""
    ids = split_row_ids(raw)
    labels = [stable_label("hh_rlhf", i) for i in ids]
    texts = [c if y else r for c, r, y in zip(raw["chosen"], raw["rejected"], labels)]
    return pd.DataFrame({"id": ids, "text": texts, "label": labels})


def format_hh_rlhf_pairs(raw: pd.DataFrame) -> pd.DataFrame:
    """Chosen vs rejected in an order fixed by the id; label 1 when ``text_a`` was chosen.

    Pairs whose two conversations are identical carry no preference and are dropped.
    """
    rows = []
    for example_id, chosen, rejected in zip(split_row_ids(raw), raw["chosen"], raw["rejected"]):
        if chosen == rejected:
            continue
        label = stable_label("hh_rlhf_pairs", example_id)
        text_a, text_b = (chosen, rejected) if label else (rejected, chosen)
        rows.append({"id": example_id, "text_a": text_a, "text_b": text_b, "label": label})
    return pd.DataFrame(rows, columns=["id", "text_a", "text_b", "label"])


# --------------------------------------------------------------------------- chess

LICHESS_PUZZLES = HubSource("Lichess/chess-puzzles", None, ("train",),
                            max_rows_per_split=LICHESS_PUZZLE_ROWS)


def lichess_puzzle_position(fen: str, moves: str) -> tuple[chess.Board, chess.Move] | None:
    """The puzzle position (``fen`` after the opponent's first move) and the solution move.

    ``None`` for a malformed row (fewer than two moves, or a move that is not legal).
    """
    ucis = moves.split()
    if len(ucis) < 2:
        return None
    try:
        board = chess.Board(fen)
        opponent, solution = chess.Move.from_uci(ucis[0]), chess.Move.from_uci(ucis[1])
    except ValueError:
        return None
    if not board.is_legal(opponent):
        return None
    board.push(opponent)
    if not board.is_legal(solution):
        return None
    return board, solution


def _gives_mate(board: chess.Board, move: chess.Move) -> bool:
    board.push(move)
    try:
        return board.is_checkmate()
    finally:
        board.pop()


def wrong_moves(board: chess.Board, solution: chess.Move) -> list[str]:
    """Legal moves other than the solution, sorted by UCI.

    Lichess accepts any mate in the final move of a puzzle, so when the solution mates,
    other mating moves are not wrong and are left out.
    """
    mates = _gives_mate(board, solution)
    return sorted(m.uci() for m in board.legal_moves
                  if m != solution and not (mates and _gives_mate(board, m)))


def lichess_positions(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per well-formed puzzle: id, fen (puzzle position), best_move, wrong_moves, ..."""
    rows = []
    for ex in raw.to_dict("records"):
        parsed = lichess_puzzle_position(ex["FEN"], ex["Moves"])
        if parsed is None:
            continue
        board, solution = parsed
        rows.append({"id": str(ex["PuzzleId"]), "fen": board.fen(), "best_move": solution.uci(),
                     "wrong_moves": wrong_moves(board, solution), "rating": int(ex["Rating"]),
                     "themes": ex["Themes"] if isinstance(ex["Themes"], str) else ""})
    return pd.DataFrame(rows, columns=["id", "fen", "best_move", "wrong_moves", "rating", "themes"])


def format_lichess_binary(raw: pd.DataFrame) -> pd.DataFrame:
    """Position plus a candidate move: the solution (1) or another legal move (0).

    Puzzles whose only legal move is the solution cannot have a negative and are dropped.
    """
    rows = []
    for p in lichess_positions(raw).to_dict("records"):
        if not p["wrong_moves"]:
            continue
        label = stable_label("lichess_puzzles", p["id"])
        move = p["best_move"] if label else stable_pick("lichess_puzzles", p["id"], p["wrong_moves"])
        rows.append({"id": p["id"], "text": format_chess_binary(p["fen"], move), "label": label,
                     "fen": p["fen"], "move": move, "best_move": p["best_move"],
                     "rating": p["rating"], "themes": p["themes"]})
    return pd.DataFrame(rows)


def format_lichess_generative(raw: pd.DataFrame) -> pd.DataFrame:
    """Position as the prompt, the solution's first move (UCI) as the target."""
    positions = lichess_positions(raw)
    return pd.DataFrame({
        "id": positions["id"],
        "prompt": [format_chess_prompt(f) for f in positions["fen"]],
        "target": positions["best_move"],
        "fen": positions["fen"], "rating": positions["rating"], "themes": positions["themes"],
    })


# --------------------------------------------------------------------------- debate

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a SciQ support paragraph (a plain rule: end mark, space, capital or digit)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def mentions(sentence: str, answer: str) -> bool:
    """Whether ``answer`` occurs in ``sentence`` as whole words, ignoring case."""
    pattern = r"(?<!\w)" + re.escape(answer.strip().lower()) + r"(?!\w)"
    return re.search(pattern, sentence.lower()) is not None


def format_sciq_debate(raw: pd.DataFrame) -> pd.DataFrame:
    """SciQ items as debates over their support paragraph: correct answer vs distractor1.

    Gold evidence = the support sentences that mention the correct answer. Items without
    support, without such a sentence, or whose distractor equals the answer are dropped.
    """
    rows = []
    for example_id, ex in zip(split_row_ids(raw), raw.to_dict("records")):
        sentences = split_sentences(ex["support"] or "")
        correct, distractor = ex["correct_answer"].strip(), ex["distractor1"].strip()
        gold = [i for i, s in enumerate(sentences) if mentions(s, correct)]
        if not gold or correct.lower() == distractor.lower():
            continue
        label = stable_label("sciq_debate", example_id)
        candidate = correct if label else distractor
        rows.append({"id": example_id, "passage": " ".join(sentences), "sentences": sentences,
                     "question": ex["question"], "answer_correct": correct,
                     "answer_distractor": distractor, "gold_evidence": gold,
                     "text": sciq_text(ex["question"], candidate), "candidate": candidate,
                     "label": label})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- registration


def _register(name: str, domain: str, kind: str, source: HubSource, license: str,
              formatter, description: str) -> None:
    def load() -> pd.DataFrame:
        return formatter(read_hub_pool(source)).reset_index(drop=True)

    load.__name__ = f"load_{name}"
    register_task(TaskSpec(name=name, domain=domain, kind=kind, source=f"hf:{source.path}",
                           license=license, load=load, scope="paper", description=description))


_register("sciq", "nlp", "binary", SCIQ, "CC BY-NC 3.0", format_sciq,
          "SciQ: 'Q: question A: answer' with the correct answer or a distractor (Burns et al.)")
_register("boolq", "nlp", "binary", BOOLQ, "CC BY-SA 3.0", format_boolq,
          "BoolQ: passage + yes/no question, label = answer")
_register("cosmos_qa", "nlp", "binary", COSMOS_QA, "CC BY 4.0", format_cosmos_qa,
          "CosmosQA: context + question + one candidate, correct or wrong")
_register("amazon_polarity", "nlp", "binary", AMAZON_POLARITY, "Apache-2.0",
          format_amazon_polarity,
          f"Amazon review polarity: title + content; first {AMAZON_POLARITY_ROWS_PER_SPLIT:,} "
          "rows of each split")
_register("hh_rlhf", "reward_modeling", "binary", HH_RLHF, "MIT", format_hh_rlhf,
          "Anthropic HH-RLHF: one conversation, chosen (1) or rejected (0)")
_register("hh_rlhf_pairs", "reward_modeling", "pairwise", HH_RLHF, "MIT", format_hh_rlhf_pairs,
          "Anthropic HH-RLHF: chosen vs rejected conversation, order by stable hash")
_register("lichess_puzzles", "chess", "binary", LICHESS_PUZZLES, "CC0-1.0",
          format_lichess_binary,
          f"Lichess puzzles: position + solution move or another legal move; first "
          f"{LICHESS_PUZZLE_ROWS:,} puzzles")
_register("lichess_puzzles_gen", "chess", "generative", LICHESS_PUZZLES, "CC0-1.0",
          format_lichess_generative,
          f"Lichess puzzles: position -> solution move (UCI); first {LICHESS_PUZZLE_ROWS:,} puzzles")
_register("sciq_debate", "debate", "debate", SCIQ, "CC BY-NC 3.0", format_sciq_debate,
          "SciQ support paragraphs as debates: correct answer vs distractor1, gold = sentences "
          "that mention the answer")
