"""VADER sentiment data: parsing the 2014 release, the committed table, and the tasks built on it."""
from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from w2s_lib.data import sentiment, vader_source
from w2s_lib.data.registry import get_task, load_pool
from w2s_lib.data import splits
from w2s_lib.data.splits import SplitSizes, make_splits
from w2s_lib.data.vader_source import (VaderFormatError, build_snippets, parse_ground_truth, parse_ratings,
                                       parse_scores, read_files_from_sdist)
from w2s_lib.paths import REPO_ROOT

VADER_TASKS = ("sentiment", "sentiment_movies", "sentiment_tweets", "concept_sentiment", "concept_genre",
               "concept_intensity", "concept_controversy", "rm_sentiment_pairs")
SOURCE_SIZES = {"movie": 10_605, "amazon": 3_708, "nyt": 5_190, "tweet": 4_200}

# Inline fixtures in the release's exact formats: CRLF, UTF-8, a BOM on one ratings file,
# no line end after the last row.
GROUND_TRUTH = "1\t2.26666666667\tThe Rock is destined to be the 21st Century's new ''Conan''.\r\n" \
               "2\t-0.6\tMünch's script is tepid\r\n" \
               "3\t0\tIt opens Friday.".encode("utf-8")
RATINGS = "\ufeff1\t2.266666667\t1.06249\t[3, 2, 2, 2, 0, 4, 3, 1, 2, 2, 4, 3, 3, 1, 2]\r\n" \
          "3\t0\t0.0\t[0, 0, 0, 0]\r\n" \
          "2\t-0.6\t0.8\t[-1, 0, -1, 0, -1, -1, -1, -1, 0, -2, 1, 1, -1, -1, -1]".encode("utf-8")


# --------------------------------------------------------------------------- parsing

def test_ground_truth_parser_reads_crlf_utf8_rows_in_file_order():
    frame = parse_ground_truth(GROUND_TRUTH)
    assert frame["source_id"].tolist() == ["1", "2", "3"]
    assert frame["published_mean"].tolist() == pytest.approx([2.26666666667, -0.6, 0.0])
    assert frame.at[1, "text"] == "Münch's script is tepid"
    assert not frame["text"].str.contains("\r").any()


def test_ratings_parser_drops_the_bom_and_reads_every_raters_score():
    frame = parse_ratings(RATINGS)
    assert frame["source_id"].tolist() == ["1", "3", "2"]  # the BOM is not part of the first id
    assert frame.at[0, "rater_scores"] == [3, 2, 2, 2, 0, 4, 3, 1, 2, 2, 4, 3, 3, 1, 2]
    assert frame.at[2, "rating_std"] == pytest.approx(0.8)


def test_ratings_parser_rejects_a_mean_that_disagrees_with_the_scores():
    corrupt = b"7\t1.5\t0.5\t[1, 2]\r\n8\t3.0\t0.5\t[1, 2]"
    with pytest.raises(VaderFormatError, match=r"line 2 \(id '8'\)"):
        parse_ratings(corrupt, "x_anonDataRatings.txt")


@pytest.mark.parametrize("bad, message", [("[1, 5]", "outside"), ("[1, a]", "not all integers"),
                                          ("[]", "empty"), ("1, 2", "not a")])
def test_score_lists_outside_the_release_format_are_rejected(bad, message):
    with pytest.raises(VaderFormatError, match=message):
        parse_scores(bad)


def test_a_row_with_the_wrong_number_of_fields_names_file_and_line():
    with pytest.raises(VaderFormatError, match=r"tweets_GroundTruth.txt line 2: expected 3"):
        parse_ground_truth(b"1\t0.5\tok\r\n2\t0.5", "tweets_GroundTruth.txt")


def test_joining_files_whose_ids_differ_fails_loudly():
    ratings = parse_ratings(RATINGS).iloc[:2]
    with pytest.raises(VaderFormatError, match="only in ground truth"):
        vader_source.join_source("movie", parse_ground_truth(GROUND_TRUTH), ratings)


def test_join_keeps_ground_truth_order_and_prefixes_ids_with_the_source():
    joined = vader_source.join_source("movie", parse_ground_truth(GROUND_TRUTH), parse_ratings(RATINGS))
    assert joined["id"].tolist() == ["movie:1", "movie:2", "movie:3"]
    assert joined.at[1, "mean_rating"] == pytest.approx(-0.6)
    assert list(joined.columns) == list(vader_source.SNIPPET_COLUMNS)


def _fixture_sdist(path: Path) -> Path:
    """A miniature vaderSentiment sdist: the rating files inside a nested tar.gz, as on PyPI."""
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as tar:
        for source in vader_source.SOURCE_STEMS:
            for name, data in ((vader_source.ground_truth_name(source), GROUND_TRUTH),
                               (vader_source.ratings_name(source), RATINGS)):
                info = tarfile.TarInfo(f"hutto_ICWSM_2014/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"vaderSentiment-3.3.2/{vader_source.INNER_ARCHIVE}")
        info.size = len(inner.getvalue())
        tar.addfile(info, io.BytesIO(inner.getvalue()))
    return path


def test_snippets_are_read_straight_from_a_nested_sdist(tmp_path):
    snippets = build_snippets(read_files_from_sdist(_fixture_sdist(tmp_path / "v.tar.gz")))
    assert len(snippets) == 3 * len(vader_source.SOURCE_STEMS)
    assert snippets["source"].unique().tolist() == list(vader_source.SOURCE_STEMS)


def test_build_script_writes_the_parquet_from_a_local_sdist(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("build_vader", REPO_ROOT / "scripts" / "build_vader.py")
    build_vader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_vader)
    out = tmp_path / "snippets.parquet"
    build_vader.main(["--sdist", str(_fixture_sdist(tmp_path / "v.tar.gz")), "--out", str(out)])
    written = pd.read_parquet(out)
    assert len(written) == 12 and written.at[0, "rater_scores"].tolist()[:3] == [3, 2, 2]


# --------------------------------------------------------------------------- committed table

@pytest.fixture(scope="module")
def raw_snippets() -> pd.DataFrame:
    return pd.read_parquet(sentiment.SNIPPETS_FILE)


def test_committed_table_holds_every_snippet_of_the_four_sources(raw_snippets):
    assert raw_snippets["source"].value_counts().to_dict() == SOURCE_SIZES
    assert raw_snippets["id"].is_unique
    assert list(raw_snippets.columns) == list(vader_source.SNIPPET_COLUMNS)


def test_committed_mean_ratings_are_the_means_of_the_listed_scores(raw_snippets):
    recomputed = np.array([np.mean(s) for s in raw_snippets["rater_scores"]])
    assert np.allclose(recomputed, raw_snippets["mean_rating"], atol=1e-6)
    assert min(len(s) for s in raw_snippets["rater_scores"]) >= 15


# --------------------------------------------------------------------------- binary pools

@pytest.mark.parametrize("task", VADER_TASKS)
def test_every_vader_task_is_registered_in_micro_with_a_valid_pool(task):
    spec = get_task(task)
    pool = load_pool(task)  # validates columns, unique ids and 0/1 labels
    assert spec.scope == "micro" and spec.license == "MIT"
    assert len(pool) > 1000 and pool["label"].dtype == np.int64


def _distinct_nonzero(raw: pd.DataFrame) -> pd.DataFrame:
    repeated = raw["text"].str.split().str.join(" ").duplicated()
    return raw[~repeated & (raw["mean_rating"] != 0)]


def test_sentiment_keeps_exactly_the_nonzero_rated_distinct_snippets(raw_snippets):
    pool = load_pool("sentiment")
    expected = _distinct_nonzero(raw_snippets)
    assert pool["source"].value_counts().to_dict() == expected["source"].value_counts().to_dict()
    assert (pool["source"] == "movie").sum() == 10_605 - 37 - 2  # 37 rated 0, 2 repeated texts
    assert (pool["mean_rating"] != 0).all()
    assert (pool["label"] == (pool["mean_rating"] > 0)).all()
    assert not pool["text"].str.split().str.join(" ").duplicated().any()


def test_per_source_sentiment_tasks_are_slices_of_the_pooled_task():
    pooled = load_pool("sentiment").set_index("id")
    for task, source in (("sentiment_movies", "movie"), ("sentiment_tweets", "tweet")):
        part = load_pool(task).set_index("id")
        assert (part["source"] == source).all()
        assert part["label"].equals(pooled.loc[part.index, "label"])


def test_human_weak_prob_is_one_listed_raters_verdict():
    pool = load_pool("sentiment")
    assert set(pool["human_weak_prob"].unique()) == {0.0, 0.5, 1.0}
    for _, row in pool.head(200).iterrows():
        assert row["human_weak_prob"] in {sentiment.score_to_prob(s) for s in row["rater_scores"]}
    decided = pool[pool["human_weak_prob"] != 0.5]
    agreement = ((decided["human_weak_prob"] == 1.0) == (decided["label"] == 1)).mean()
    assert 0.8 < agreement < 0.995  # a good but imperfect human supervisor


def test_single_rater_pick_depends_on_the_id_not_on_row_order():
    scores = [[1, -1, 0, 2], [1, -1, 0, 2]]
    forward = sentiment.single_rater_prob(["a:1", "a:2"], scores)
    backward = sentiment.single_rater_prob(["a:2", "a:1"], scores[::-1])
    assert forward == backward[::-1]


def test_unknown_source_is_named_in_the_error():
    with pytest.raises(ValueError, match="'film'"):
        sentiment.sentiment_pool(["film"])


# --------------------------------------------------------------------------- concepts

@pytest.mark.parametrize("task, stratum", [("concept_sentiment", "source"), ("concept_intensity", "source")])
def test_concepts_are_balanced_within_each_source(task, stratum):
    pool = load_pool(task)
    assert (pool.groupby(stratum)["label"].mean() == 0.5).all()
    assert pool[stratum].nunique() == 4


def test_concept_genre_is_film_review_vs_editorial_balanced_within_polarity():
    pool = load_pool("concept_genre")
    assert (pool["label"] == (pool["source"] == "movie")).all()
    assert set(pool["source"]) == {"movie", "nyt"}
    assert (pool.groupby(np.sign(pool["mean_rating"]))["label"].mean() == 0.5).all()


def test_concept_intensity_drops_the_middle_band():
    pool = load_pool("concept_intensity")
    strength = pool["mean_rating"].abs()
    assert (strength[pool["label"] == 1] >= sentiment.INTENSITY_STRONG).all()
    assert (strength[pool["label"] == 0] <= sentiment.INTENSITY_NEUTRAL).all()


def test_concept_controversy_uses_per_source_std_quartiles_and_is_blind_to_intensity():
    pool = load_pool("concept_controversy")
    cutoffs = sentiment.controversy_cutoffs(sentiment.load_snippets()).loc[pool["source"]].reset_index(drop=True)
    assert (pool["rating_std"][pool["label"] == 1] >= cutoffs["high"][pool["label"] == 1]).all()
    assert (pool["rating_std"][pool["label"] == 0] <= cutoffs["low"][pool["label"] == 0]).all()
    mean_strength = pool.groupby("label")["mean_rating"].apply(lambda m: m.abs().mean())
    assert abs(mean_strength[1] - mean_strength[0]) < 0.1
    assert (pool.groupby("source")["label"].mean() == 0.5).all()


# --------------------------------------------------------------------------- reward pairs

@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    return load_pool("rm_sentiment_pairs")


def test_pairs_are_same_source_margin_one_and_labelled_by_mean_rating(pairs):
    assert 8_000 <= len(pairs) <= 12_000
    assert (pairs["margin"] >= sentiment.PAIR_MIN_MARGIN).all()
    assert (pairs["id_a"].str.split(":").str[0] == pairs["id_b"].str.split(":").str[0]).all()
    assert (pairs["label"] == (pairs["mean_a"] > pairs["mean_b"])).all()
    assert (pairs["id"] == pairs["id_a"] + "|" + pairs["id_b"]).all()
    assert 0.47 <= pairs["label"].mean() <= 0.53


def test_each_snippet_is_in_at_most_one_pair(pairs):
    members = pd.concat([pairs["id_a"], pairs["id_b"]])
    assert members.is_unique


def test_no_snippet_sits_in_both_the_pair_test_pool_and_outside_it(pairs):
    in_test = splits.test_pool_mask("rm_sentiment_pairs", pairs["id"])
    test_snippets = set(pairs["id_a"][in_test]) | set(pairs["id_b"][in_test])
    other_snippets = set(pairs["id_a"][~in_test]) | set(pairs["id_b"][~in_test])
    assert not _crossing_snippets(pairs, "rm_sentiment_pairs")
    assert 0.15 < in_test.mean() < 0.25
    # and the held-out snippets are exactly those the sentiment task holds out
    assert all(sentiment.in_sentiment_test_pool(i) for i in test_snippets)
    assert not any(sentiment.in_sentiment_test_pool(i) for i in other_snippets)


def _crossing_snippets(pool: pd.DataFrame, task: str) -> set[str]:
    in_test = splits.test_pool_mask(task, pool["id"])
    inside = set(pool["id_a"][in_test]) | set(pool["id_b"][in_test])
    outside = set(pool["id_a"][~in_test]) | set(pool["id_b"][~in_test])
    return inside & outside


def test_snippets_in_several_pairs_still_stay_on_one_side_of_the_test_pool(monkeypatch):
    snippets = sentiment.load_snippets()
    snippets = snippets[snippets["source"] == "tweet"]
    pool = sentiment.build_rating_pairs(snippets, "rm_sentiment_pairs", pairs_per_snippet=3)
    degree = pd.concat([pool["id_a"], pool["id_b"]]).value_counts()
    assert degree.max() == 3 and len(pool) > len(snippets)
    assert not _crossing_snippets(pool, "rm_sentiment_pairs")
    # without the grouping by held-out snippets, shared snippets do leak
    monkeypatch.setattr(sentiment, "in_sentiment_test_pool", lambda snippet_id: False)
    monkeypatch.setattr(sentiment, "_pair_in_test_pool", lambda task, pair_id: False)
    naive = sentiment.build_rating_pairs(snippets, "rm_sentiment_pairs", pairs_per_snippet=3)
    assert _crossing_snippets(naive, "rm_sentiment_pairs")


def test_pair_weak_label_is_one_raters_preference(pairs):
    assert set(pairs["human_weak_prob"].unique()) == {0.0, 0.5, 1.0}
    decided = pairs[pairs["human_weak_prob"] != 0.5]
    agreement = ((decided["human_weak_prob"] == 1.0) == (decided["label"] == 1)).mean()
    assert 0.8 < agreement < 0.995


def test_pairs_are_rebuilt_identically(pairs):
    assert sentiment.rm_sentiment_pairs_pool().equals(pairs)


# --------------------------------------------------------------------------- splits

@pytest.mark.parametrize("task", ["sentiment", "rm_sentiment_pairs", "concept_controversy"])
def test_splits_are_disjoint_and_reproducible_for_a_seed(task):
    sizes = SplitSizes(n_a=500, n_b=500, n_val=100, n_test=300, n_q=50, n_dev=100)
    first, again, other = (make_splits(task, seed, sizes, balance=True) for seed in (0, 0, 1))
    first.assert_disjoint()
    assert first.sizes() == {"A": 500, "B": 500, "val": 100, "Q": 50, "test": 300, "dev": 100}
    assert first.fingerprint() == again.fingerprint()
    assert first.ids()["test"] == other.ids()["test"] and first.ids()["A"] != other.ids()["A"]
    assert first.dev["id"].tolist() == other.dev["id"].tolist() and first.dev["label"].mean() == 0.5
