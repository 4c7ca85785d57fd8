"""The English pretraining corpus: what it holds, and that no test-pool text gets into it."""
from __future__ import annotations

import pandas as pd
import pytest

from w2s_lib.data import corpus
from w2s_lib.data.corpus import (LeakMatcher, assert_no_test_leakage, corpus_stats, corpus_tasks,
                                 english_corpus, find_test_leakage, row_units, text_columns,
                                 vader_documents)
from w2s_lib.data.registry import get_task, load_pool
from w2s_lib.data import splits


@pytest.fixture(scope="module")
def real_corpus() -> list[str]:
    return english_corpus()


def _test_rows(task: str) -> pd.DataFrame:
    pool = load_pool(task)
    return pool[splits.test_pool_mask(task, pool["id"])]


def _train_rows(task: str) -> pd.DataFrame:
    pool = load_pool(task)
    return pool[~splits.test_pool_mask(task, pool["id"])]


# --------------------------------------------------------------------------- matching rules

def test_a_unit_is_found_inside_a_longer_text_after_normalisation():
    matcher = LeakMatcher()
    matcher.add("a small short-legged breed of hound", "gloss_topic:n1")
    assert matcher.find("A beagle is a SMALL short legged breed of hound.") == (
        "a small short legged breed of hound", "gloss_topic:n1")
    assert matcher.find("A beagle is a small breed of hound.") is None


def test_a_unit_must_match_whole_words():
    matcher = LeakMatcher()
    matcher.add("breed of hound", "t:1")
    assert matcher.find("a breed of hounds") is None
    assert matcher.find("a breed of hound") is not None


def test_a_short_unit_only_matches_a_whole_sentence():
    matcher = LeakMatcher()
    matcher.add("Great movie!", "sentiment:movie:7")
    assert matcher.find("Loved it. Great movie!") == ("great movie", "sentiment:movie:7")
    assert matcher.find("A great movie night with friends.") is None
    assert matcher.find("Loved it. :) :) :) Great -- movie :) :)") is not None


def test_units_come_from_text_columns_line_by_line_without_field_labels():
    row = {"id": "n1", "text": "Definition: a small breed of hound\nQuestion: Is this natural?\nAnswer:",
           "label": 1, "word": "beagle", "source_texts": ["a small breed of hound"],
           "evidence_texts": ["a dog used for hunting"]}
    columns = text_columns("binary", row)
    assert columns == ["text", "source_texts"]  # metadata ("word") and evidence stay out
    assert list(row_units(row, columns)) == [
        "Definition: a small breed of hound", "a small breed of hound",
        "Question: Is this natural?", "Is this natural?", "Answer:", "", "a small breed of hound"]
    assert "evidence_texts" in text_columns("binary", row, exclude_evidence=True)


def test_a_line_that_only_looks_labelled_is_kept_whole():
    assert list(row_units({"text": "Damn typos :("}, ["text"])) == ["Damn typos :(", "("]


def test_debate_units_include_every_passage_sentence():
    assert {"passage", "sentences", "question", "answer_correct", "answer_distractor", "text"} <= set(
        text_columns("debate", ["id", "passage", "sentences", "question", "answer_correct",
                                "answer_distractor", "gold_evidence", "text", "label"]))


def test_every_english_micro_task_is_screened_and_chess_is_left_to_the_chess_corpus():
    names = corpus_tasks()
    wordnet = {"hypernym_qa", "gloss_topic", "definition_match", "rm_definitions", "debate_wordnet"}
    assert wordnet <= set(names)
    assert all(get_task(n).scope == "micro" and get_task(n).domain != "chess" for n in names)
    assert not any("chess" in n for n in names)


# --------------------------------------------------------------------------- the real corpus

def test_real_corpus_contains_no_test_pool_text(real_corpus):
    assert_no_test_leakage(real_corpus)


def test_real_corpus_is_large_and_made_of_wordnet_sentences(real_corpus):
    stats = corpus_stats(real_corpus)
    assert stats["documents"] > 90_000 and stats["characters"] > 7_000_000
    assert real_corpus[0].startswith("Entity is that which is perceived or known")
    assert len(set(real_corpus)) > 0.95 * len(real_corpus)


def test_leak_check_fails_when_a_test_definition_is_slipped_in(real_corpus):
    row = _test_rows("gloss_topic").iloc[0]
    poisoned = real_corpus[:50] + [f"A thing is {row['source_texts'][0]}."]
    with pytest.raises(AssertionError, match=f"gloss_topic:{row['id']}"):
        assert_no_test_leakage(poisoned)


def test_debate_test_passage_sentences_are_out_and_training_ones_can_stay(real_corpus):
    documents = set(real_corpus)
    in_corpus = " ".join(real_corpus)
    test_sentences = {s for ss in _test_rows("debate_wordnet")["sentences"] for s in ss}
    assert not any(s in documents or s in in_corpus for s in sorted(test_sentences)[:30])
    train_sentences = {s for ss in _train_rows("debate_wordnet")["sentences"] for s in ss} - test_sentences
    matcher = corpus.test_unit_matcher()
    kept = [s for s in sorted(train_sentences)[:30] if matcher.find(s) is None]
    assert kept and all(s in in_corpus for s in kept)


def test_vader_test_snippets_are_out_and_a_missing_vader_file_is_fine(real_corpus, tmp_path):
    assert vader_documents(tmp_path / "missing.parquet") == []
    if not corpus.VADER_SNIPPETS.is_file() or "sentiment" not in corpus_tasks():
        pytest.skip("VADER snippets or the sentiment task are not there")
    documents = set(real_corpus)
    test_texts = [" ".join(t.split()) for t in _test_rows("sentiment")["text"]]
    assert not documents & set(test_texts)


def test_excluding_evidence_also_drops_the_definitions_behind_hypernym_answers():
    evidence = sorted({d for ds in _test_rows("hypernym_qa")["evidence_texts"] for d in ds})[:40]
    documents = [f"{d}." for d in evidence]
    by_default = find_test_leakage(documents, limit=100)
    with_evidence = find_test_leakage(documents, exclude_evidence=True, limit=100)
    assert len(with_evidence) == len(documents) > len(by_default)
