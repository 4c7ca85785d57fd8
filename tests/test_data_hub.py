"""The paper-scale hub loaders, run unchanged on local fixtures in each hub dataset's schema."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import chess
import datasets
import pandas as pd
import pytest

from w2s_lib.data import hub, registry
from w2s_lib.data.chess_format import format_chess_binary, format_chess_prompt

FIXTURES = Path(__file__).parent / "fixtures" / "hub"

PAPER_TASKS = {
    "sciq": ("nlp", "binary"), "boolq": ("nlp", "binary"), "cosmos_qa": ("nlp", "binary"),
    "amazon_polarity": ("nlp", "binary"), "hh_rlhf": ("reward_modeling", "binary"),
    "hh_rlhf_pairs": ("reward_modeling", "pairwise"), "lichess_puzzles": ("chess", "binary"),
    "lichess_puzzles_gen": ("chess", "generative"), "sciq_debate": ("debate", "debate"),
}
LABELLED = [n for n, (_, kind) in PAPER_TASKS.items() if kind != "generative"]

# Field names of each hub dataset, as its dataset card lists them.
HUB_SCHEMAS = {
    "allenai__sciq": {"question", "distractor3", "distractor1", "distractor2", "correct_answer", "support"},
    "google__boolq": {"question", "answer", "passage"},
    "allenai__cosmos_qa": {"id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"},
    "fancyzhx__amazon_polarity": {"label", "title", "content"},
    "Anthropic__hh-rlhf": {"chosen", "rejected"},
    "Lichess__chess-puzzles": {"PuzzleId", "FEN", "Moves", "Rating", "RatingDeviation", "Popularity",
                               "NbPlays", "Themes", "GameUrl", "OpeningTags"},
}


@pytest.fixture
def hub_fixtures(monkeypatch):
    """Point every hub read at tests/fixtures/hub; pools cached by other tests are dropped."""
    monkeypatch.setenv(hub.FIXTURES_ENV, str(FIXTURES))
    registry._load_pool_cached.cache_clear()
    yield FIXTURES
    registry._load_pool_cached.cache_clear()


def raw_rows(source: hub.HubSource) -> pd.DataFrame:
    """The fixture rows of a source with the pool ids ``"<split>:<row>"``."""
    raw = hub.read_hub_pool(source)
    return raw.set_index(pd.Index(hub.split_row_ids(raw)))


# --------------------------------------------------------------------------- fixtures and registry


def test_fixture_files_use_each_hub_dataset_schema():
    for folder, fields in HUB_SCHEMAS.items():
        files = sorted((FIXTURES / folder).glob("*.jsonl"))
        assert files, f"no fixture files for {folder}"
        n_rows = 0
        for file in files:
            for line in file.read_text().splitlines():
                assert set(json.loads(line)) == fields, f"{file}: fields differ from the hub schema"
                n_rows += 1
        assert 10 <= n_rows <= 30, f"{folder}: {n_rows} rows"


def test_every_paper_task_is_registered_with_its_domain_and_kind():
    assert set(registry.task_names(scope="paper")) >= set(PAPER_TASKS)
    for name, (domain, kind) in PAPER_TASKS.items():
        spec = registry.get_task(name)
        assert (spec.domain, spec.kind, spec.scope) == (domain, kind, "paper")
        assert spec.source.startswith("hf:") and spec.license


@pytest.mark.parametrize("name", sorted(PAPER_TASKS))
def test_pool_meets_the_kind_contract_and_ids_are_stable_across_loads(hub_fixtures, name):
    first = registry.load_pool(name)  # validate_pool runs inside
    assert len(first) >= 10
    assert set(registry.REQUIRED_COLUMNS[registry.get_task(name).kind]) <= set(first.columns)
    assert all(isinstance(i, str) for i in first["id"])
    registry._load_pool_cached.cache_clear()
    second = registry.load_pool(name)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("name", LABELLED)
def test_labels_are_plausibly_balanced(hub_fixtures, name):
    share = registry.load_pool(name)["label"].mean()
    assert 0.25 <= share <= 0.75, f"{name}: {share:.2f} of labels are 1"


# --------------------------------------------------------------------------- reading


def test_load_hub_split_asks_the_hub_for_the_split_with_its_row_cap(monkeypatch):
    monkeypatch.delenv(hub.FIXTURES_ENV, raising=False)
    calls = []

    def fake_load_dataset(path, name=None, split=None, revision=None):
        calls.append((path, name, split, revision))
        return datasets.Dataset.from_list([{"x": 1}])

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    hub.load_hub_split("fancyzhx/amazon_polarity", None, "train", max_rows=200_000)
    hub.load_hub_split("allenai/cosmos_qa", None, "validation", revision="refs/convert/parquet")
    assert calls == [("fancyzhx/amazon_polarity", None, "train[:200000]", None),
                     ("allenai/cosmos_qa", None, "validation", "refs/convert/parquet")]


def test_fixture_file_name_joins_path_and_config_with_double_underscores(tmp_path):
    assert hub.fixture_file(tmp_path, "Anthropic/hh-rlhf", None, "test") == \
        tmp_path / "Anthropic__hh-rlhf" / "test.jsonl"
    assert hub.fixture_file(tmp_path, "super_glue", "boolq", "train") == \
        tmp_path / "super_glue__boolq" / "train.jsonl"


def test_row_cap_keeps_the_first_rows_of_each_split(hub_fixtures):
    capped = hub.read_hub_pool(dataclasses.replace(hub.AMAZON_POLARITY, max_rows_per_split=5))
    assert capped.groupby("split")["row"].apply(list).to_dict() == {
        "train": [0, 1, 2, 3, 4], "test": [0, 1, 2, 3, 4]}
    full = hub.read_hub_pool(hub.AMAZON_POLARITY)
    assert capped["title"].tolist()[:5] == full["title"].tolist()[:5]


def test_bad_row_cap_is_rejected_with_the_value():
    with pytest.raises(ValueError, match="max_rows.*0"):
        hub.load_hub_split("allenai/sciq", None, "train", max_rows=0)


def test_missing_fixture_gives_the_clear_unavailable_error(monkeypatch, tmp_path):
    monkeypatch.setenv(hub.FIXTURES_ENV, str(tmp_path))
    registry._load_pool_cached.cache_clear()
    with pytest.raises(hub.HubDataUnavailableError) as info:
        registry.load_pool("boolq")
    message = str(info.value)
    for expected in ("google/boolq", "'train'", "paper", "network", "cache", "micro", str(tmp_path)):
        assert expected in message
    registry._load_pool_cached.cache_clear()


def test_no_network_gives_the_clear_unavailable_error(monkeypatch):
    monkeypatch.delenv(hub.FIXTURES_ENV, raising=False)

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'allenai/sciq' on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(hub.HubDataUnavailableError, match="allenai/sciq.*network.*micro") as info:
        hub.load_hub_split("allenai/sciq", None, "train")
    assert isinstance(info.value.__cause__, ConnectionError)


# --------------------------------------------------------------------------- NLP formatting


def test_sciq_shows_the_correct_answer_exactly_when_the_label_is_1(hub_fixtures):
    raw = raw_rows(hub.SCIQ)
    for ex in registry.load_pool("sciq").to_dict("records"):
        src = raw.loc[ex["id"]]
        assert ex["text"] == f"Q: {src['question']} A: {ex['answer']}"
        if ex["label"]:
            assert ex["answer"] == src["correct_answer"]
        else:
            assert ex["answer"] in {src["distractor1"], src["distractor2"], src["distractor3"]}


def test_boolq_text_is_passage_then_question_and_label_is_the_answer(hub_fixtures):
    raw = raw_rows(hub.BOOLQ)
    for ex in registry.load_pool("boolq").to_dict("records"):
        src = raw.loc[ex["id"]]
        assert ex["text"] == f"Passage: {src['passage']}\nQuestion: {src['question']}"
        assert ex["label"] == int(src["answer"])


def test_cosmos_qa_shows_the_correct_answer_exactly_when_the_label_is_1(hub_fixtures):
    raw = hub.read_hub_pool(hub.COSMOS_QA).set_index("id")
    pool = registry.load_pool("cosmos_qa")
    for ex in pool.to_dict("records"):
        src = raw.loc[ex["id"]]
        correct = src[f"answer{src['label']}"]
        assert ex["text"].startswith(f"Context: {src['context']}\nQuestion: {src['question']}\nAnswer: ")
        shown = ex["text"].rsplit("\nAnswer: ", 1)[1]
        assert (shown == correct) == bool(ex["label"])
        assert shown in {src[f"answer{i}"] for i in range(4)}
        if correct == hub.COSMOS_NONE_OF_THE_ABOVE:
            assert ex["label"] == 0


def test_amazon_polarity_text_is_title_then_content(hub_fixtures):
    raw = raw_rows(hub.AMAZON_POLARITY)
    for ex in registry.load_pool("amazon_polarity").to_dict("records"):
        src = raw.loc[ex["id"]]
        assert ex["text"] == f"{src['title']} {src['content']}" and ex["label"] == src["label"]


# --------------------------------------------------------------------------- reward modeling


def test_hh_rlhf_labels_chosen_conversations_1_and_rejected_0(hub_fixtures):
    raw = raw_rows(hub.HH_RLHF)
    for ex in registry.load_pool("hh_rlhf").to_dict("records"):
        src = raw.loc[ex["id"]]
        assert ex["text"] == (src["chosen"] if ex["label"] else src["rejected"])


def test_hh_rlhf_pairs_put_the_chosen_side_where_the_label_says(hub_fixtures):
    raw = raw_rows(hub.HH_RLHF)
    pool = registry.load_pool("hh_rlhf_pairs")
    for ex in pool.to_dict("records"):
        src = raw.loc[ex["id"]]
        chosen = ex["text_a"] if ex["label"] else ex["text_b"]
        rejected = ex["text_b"] if ex["label"] else ex["text_a"]
        assert (chosen, rejected) == (src["chosen"], src["rejected"])
    identical = raw.index[raw["chosen"] == raw["rejected"]]
    assert len(identical) >= 1 and not set(identical) & set(pool["id"])


# --------------------------------------------------------------------------- chess


def test_lichess_position_is_the_fen_after_the_opponents_first_move(hub_fixtures):
    raw = hub.read_hub_pool(hub.LICHESS_PUZZLES).set_index("PuzzleId")
    gen = registry.load_pool("lichess_puzzles_gen")
    for ex in gen.to_dict("records"):
        src = raw.loc[ex["id"]]
        opponent, solution = src["Moves"].split()[:2]
        board = chess.Board(src["FEN"])
        board.push_uci(opponent)
        assert ex["fen"] == board.fen()
        assert ex["prompt"] == format_chess_prompt(board.fen())
        assert ex["target"] == solution


def test_lichess_binary_pairs_the_position_with_the_solution_or_a_legal_wrong_move(hub_fixtures):
    pool = registry.load_pool("lichess_puzzles")
    for ex in pool.to_dict("records"):
        board = chess.Board(ex["fen"])
        move = chess.Move.from_uci(ex["move"])
        assert ex["text"] == format_chess_binary(ex["fen"], ex["move"])
        assert board.is_legal(move)
        assert (ex["move"] == ex["best_move"]) == bool(ex["label"])


def test_lichess_drops_malformed_rows_and_forced_moves_only_where_needed(hub_fixtures):
    raw = hub.read_hub_pool(hub.LICHESS_PUZZLES)
    binary = set(registry.load_pool("lichess_puzzles")["id"])
    gen = set(registry.load_pool("lichess_puzzles_gen")["id"])
    malformed = {pid for pid, fen, moves in zip(raw["PuzzleId"], raw["FEN"], raw["Moves"])
                 if hub.lichess_puzzle_position(fen, moves) is None}
    assert len(malformed) == 1 and not malformed & (binary | gen)
    forced = gen - binary
    assert len(forced) == 1
    fen = registry.load_pool("lichess_puzzles_gen").set_index("id").loc[forced.pop(), "fen"]
    assert chess.Board(fen).legal_moves.count() == 1


def test_other_mates_in_one_are_not_counted_as_wrong_moves():
    board = chess.Board("7k/2p2ppp/8/8/8/8/5PPP/RR4K1 b - - 0 30")
    board.push_uci("c7c6")  # now both a1a8 and b1b8 mate
    wrong = hub.wrong_moves(board, chess.Move.from_uci("a1a8"))
    assert "b1b8" not in wrong and "a1a8" not in wrong
    assert "b1b7" in wrong and wrong == sorted(wrong)


# --------------------------------------------------------------------------- debate


def test_sciq_debate_gold_evidence_contains_the_correct_answer(hub_fixtures):
    pool = registry.load_pool("sciq_debate")
    for ex in pool.to_dict("records"):
        assert ex["gold_evidence"], ex["id"]
        for i in ex["gold_evidence"]:
            assert ex["answer_correct"].lower() in ex["sentences"][i].lower()
        assert ex["passage"] == " ".join(ex["sentences"])
        assert ex["answer_correct"] != ex["answer_distractor"]


def test_sciq_debate_uses_distractor1_and_a_consistent_binary_view(hub_fixtures):
    raw = raw_rows(hub.SCIQ)
    for ex in registry.load_pool("sciq_debate").to_dict("records"):
        src = raw.loc[ex["id"]]
        assert (ex["question"], ex["answer_correct"], ex["answer_distractor"]) == \
            (src["question"], src["correct_answer"], src["distractor1"])
        shown = ex["answer_correct"] if ex["label"] else ex["answer_distractor"]
        assert ex["text"] == f"Q: {ex['question']} A: {shown}"


def test_sciq_debate_drops_items_without_support_or_without_an_answer_sentence(hub_fixtures):
    raw = raw_rows(hub.SCIQ)
    ids = set(registry.load_pool("sciq_debate")["id"])
    no_support = set(raw.index[raw["support"].str.strip() == ""])
    assert no_support and not no_support & ids
    genetics = raw.index[raw["correct_answer"] == "genetics"]  # its support never says "genetics"
    assert len(genetics) == 1 and genetics[0] not in ids


def test_sentence_splitter_keeps_sentences_whole():
    text = "Water boils at 100 degrees. It freezes at 0 degrees! Does it? Yes.\n2 more facts."
    assert hub.split_sentences(text) == [
        "Water boils at 100 degrees.", "It freezes at 0 degrees!", "Does it?", "Yes.", "2 more facts."]
    assert hub.mentions("Sodium's symbol, Na, comes from Latin.", "Na")
    assert not hub.mentions("The national anthem.", "Na")
