"""Sentiment tasks on the human-rated VADER snippets (movie, Amazon, NYT, tweets).

Everything here reads ``resources/vader_snippets.parquet`` (built by
``scripts/build_vader.py``) and registers, all in the ``micro`` scope:

* ``sentiment``, ``sentiment_movies``, ``sentiment_tweets`` (nlp, binary): label =
  mean rating > 0; snippets rated exactly 0 are dropped. ``human_weak_prob`` is what
  *one* rater said (1 positive, 0 negative, 0.5 neutral): a natural human weak supervisor.
* ``concept_sentiment``, ``concept_genre``, ``concept_intensity``,
  ``concept_controversy`` (concepts, binary): probing targets on the same snippets,
  each balanced 50/50 inside strata chosen so that a probe cannot read the concept
  off a confound (the source, or the strength of the sentiment).
* ``rm_sentiment_pairs`` (reward_modeling, pairwise): which of two snippets of one
  source the raters found more positive, with one rater's preference as the weak label.

Snippets whose whitespace-normalised text repeats an earlier one are dropped
everywhere, so one text can never sit on both sides of a train/test split. Every
random choice is a salted hash of ids, so pools are identical on every machine.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..fingerprint import stable_unit
from ..paths import RESOURCES_DIR
from .task_spec import TaskSpec, register_task
from .split_rules import TEST_POOL_FRACTION, id_hash01

SNIPPETS_FILE = RESOURCES_DIR / "vader_snippets.parquet"
SOURCE = "VADER ground truth (Hutto & Gilbert 2014), sdist of vaderSentiment==3.3.2 on PyPI"
LICENSE = "MIT"

# concept_intensity: |mean rating| at least STRONG vs at most NEUTRAL; the middle is dropped.
INTENSITY_STRONG = 1.5
INTENSITY_NEUTRAL = 0.5
# concept_controversy: rating_std in a source's top vs bottom quartile.
CONTROVERSY_QUANTILES = (0.25, 0.75)
# Width of the |mean rating| bins inside which concept_controversy is balanced.
CONTROVERSY_INTENSITY_BIN = 0.5
# rm_sentiment_pairs
PAIR_TASK = "rm_sentiment_pairs"
PAIR_MIN_MARGIN = 1.0
PAIR_SEARCH_WINDOW = 400  # partners tried per snippet, in hash order


def _unit(*parts: str) -> float:
    """A number in [0, 1) fixed by ``parts``: our seedless, machine-independent coin."""
    return stable_unit("vader", *parts)


def stable_index(n: int, *parts: str) -> int:
    """An index in ``range(n)`` fixed by ``parts``."""
    if n <= 0:
        raise ValueError(f"need a positive length to pick from, got {n}")
    return min(int(_unit(*parts) * n), n - 1)


def score_to_prob(score: float) -> float:
    """A rating (or a difference of ratings) as a soft label: 1 above 0, 0 below, 0.5 at 0."""
    return 1.0 if score > 0 else 0.0 if score < 0 else 0.5


# --------------------------------------------------------------------------- snippets

@functools.cache
def _read_snippets() -> pd.DataFrame:
    if not SNIPPETS_FILE.is_file():
        raise FileNotFoundError(f"{SNIPPETS_FILE} is missing; rebuild it with scripts/build_vader.py")
    frame = pd.read_parquet(SNIPPETS_FILE)
    frame["rater_scores"] = [list(map(int, s)) for s in frame["rater_scores"]]
    return drop_repeated_texts(frame)


def load_snippets() -> pd.DataFrame:
    """All distinct VADER snippets, file order (a copy)."""
    return _read_snippets().copy()


def drop_repeated_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the first row of every whitespace-normalised text (84 repeats in the release).

    Case is kept: the contrived tweets differ only in capitals on purpose ("GOOD" vs "good").
    """
    normalised = frame["text"].str.split().str.join(" ")
    return frame[~normalised.duplicated(keep="first")].reset_index(drop=True)


def single_rater_prob(ids: Sequence[str], scores: Sequence[Sequence[int]]) -> list[float]:
    """For each snippet, one rater's verdict (rater picked by a hash of the id) as 1/0.5/0."""
    return [score_to_prob(s[stable_index(len(s), "single-rater", i)]) for i, s in zip(ids, scores)]


def sentiment_pool(sources: Sequence[str] | None = None) -> pd.DataFrame:
    """Positive (1) vs negative (0) snippets; a snippet rated exactly 0 has no label and is dropped."""
    snippets = load_snippets()
    if sources is not None:
        unknown = sorted(set(sources) - set(snippets["source"]))
        if unknown:
            raise ValueError(f"unknown VADER sources {unknown}; known: {sorted(snippets['source'].unique())}")
        snippets = snippets[snippets["source"].isin(sources)]
    pool = snippets[snippets["mean_rating"] != 0].reset_index(drop=True)
    pool["label"] = (pool["mean_rating"] > 0).astype("int64")
    pool["human_weak_prob"] = single_rater_prob(pool["id"], pool["rater_scores"])
    return pool[["id", "text", "label", "source", "mean_rating", "rating_std", "rater_scores", "human_weak_prob"]]


# --------------------------------------------------------------------------- concepts

def balance_within(frame: pd.DataFrame, strata: Sequence[str] | pd.Series, salt: str) -> pd.DataFrame:
    """Equal numbers of label 0 and 1 in every stratum: the larger class is cut to the
    smaller by a salted hash of the id; a stratum holding one class only is dropped."""
    keys = pd.Series(np.asarray(strata), index=frame.index)
    order = pd.Series([_unit("balance", salt, i) for i in frame["id"]], index=frame.index)
    keep: list = []
    for _, rows in frame.groupby(keys, sort=False):
        per_label = [rows.index[rows["label"] == lab] for lab in (0, 1)]
        n = min(len(idx) for idx in per_label)
        for idx in per_label:
            keep.extend(order[idx].sort_values(kind="stable").index[:n])
    return frame.loc[sorted(keep)].reset_index(drop=True)


_CONCEPT_COLUMNS = ["id", "text", "label", "source", "mean_rating", "rating_std"]


def concept_sentiment_pool() -> pd.DataFrame:
    """Positive vs negative, balanced within each source (tweets lean positive, NYT negative)."""
    pool = sentiment_pool()
    return balance_within(pool, pool["source"], "concept_sentiment")[_CONCEPT_COLUMNS]


def concept_genre_pool() -> pd.DataFrame:
    """Film-review sentence (1, movie) vs newspaper-editorial sentence (0, nyt).

    Both are edited prose in ordinary case, so the probe has to find the genre in the
    content; Amazon (all lower-case) and tweets (@anonymous, url placeholders) would give
    it away by surface form. Balanced within polarity (positive / negative / zero) so the
    sentiment does not reveal the genre either.
    """
    snippets = load_snippets()
    pool = snippets[snippets["source"].isin(["movie", "nyt"])].copy()
    pool["label"] = (pool["source"] == "movie").astype("int64")
    return balance_within(pool, np.sign(pool["mean_rating"]), "concept_genre")[_CONCEPT_COLUMNS]


def concept_intensity_pool() -> pd.DataFrame:
    """Strongly opinionated (|mean| >= 1.5) vs near-neutral (|mean| <= 0.5), balanced within source."""
    snippets = load_snippets()
    strength = snippets["mean_rating"].abs()
    pool = snippets[(strength >= INTENSITY_STRONG) | (strength <= INTENSITY_NEUTRAL)].copy()
    pool["label"] = (pool["mean_rating"].abs() >= INTENSITY_STRONG).astype("int64")
    return balance_within(pool, pool["source"], "concept_intensity")[_CONCEPT_COLUMNS]


def controversy_cutoffs(snippets: pd.DataFrame) -> pd.DataFrame:
    """Per source, the rating_std quartiles that separate agreed-on from disputed snippets."""
    low_q, high_q = CONTROVERSY_QUANTILES
    grouped = snippets.groupby("source", sort=False)["rating_std"]
    return pd.DataFrame({"low": grouped.quantile(low_q), "high": grouped.quantile(high_q)})


def concept_controversy_pool() -> pd.DataFrame:
    """Raters disagree (rating_std in the source's top quartile) vs agree (bottom quartile).

    The std partly tracks how strong a snippet is (NYT: disputed ones are stronger; movies:
    weaker), so the classes are balanced within (source, |mean| bin of 0.5): the probe
    cannot solve it by reading intensity or genre.
    """
    snippets = load_snippets()
    cutoffs = controversy_cutoffs(snippets).loc[snippets["source"]].reset_index(drop=True)
    high = snippets["rating_std"] >= cutoffs["high"]
    low = snippets["rating_std"] <= cutoffs["low"]
    pool = snippets[high | low].copy()
    pool["label"] = high[high | low].astype("int64")
    intensity_bin = (pool["mean_rating"].abs() // CONTROVERSY_INTENSITY_BIN).astype(int)
    strata = pool["source"] + ":" + intensity_bin.astype(str)
    return balance_within(pool, strata, "concept_controversy")[_CONCEPT_COLUMNS]


# --------------------------------------------------------------------------- reward pairs

def in_sentiment_test_pool(snippet_id: str) -> bool:
    """Whether a snippet is in the ``sentiment`` task's fixed test pool.

    ``rm_sentiment_pairs`` pairs test-pool snippets only with each other, and keeps such
    a pair only when its own id lands in the pair task's test pool (and the other way
    round): no snippet is on both sides of the pair task's split, and the pair test
    pool holds exactly the snippets the sentiment task holds out (zero-rated ones aside).
    """
    return id_hash01("sentiment", snippet_id) < TEST_POOL_FRACTION


def _pair_in_test_pool(task: str, pair_id: str) -> bool:
    return id_hash01(task, pair_id) < TEST_POOL_FRACTION


def _pairs_in_group(group: pd.DataFrame, want_test: bool, task: str,
                    pairs_per_snippet: int) -> list[tuple[int, int]]:
    """Greedy pairing in hash order, in rounds: after round r no snippet is in more than r pairs."""
    order = sorted(group.index, key=lambda r: _unit("pair-order", group.at[r, "id"]))
    ids = group["id"].to_dict()
    means = group["mean_rating"].to_dict()
    degree = dict.fromkeys(order, 0)
    made: set[tuple[int, int]] = set()
    pairs = []
    for round_no in range(1, pairs_per_snippet + 1):
        for pos, row in enumerate(order):
            if degree[row] >= round_no:
                continue
            for other in order[pos + 1: pos + 1 + PAIR_SEARCH_WINDOW]:
                if degree[other] >= round_no or abs(means[row] - means[other]) < PAIR_MIN_MARGIN:
                    continue
                first, second = sorted((row, other), key=lambda r: ids[r])
                if (first, second) in made:
                    continue
                heads = _unit("pair-side", ids[first], ids[second]) < 0.5
                a, b = (first, second) if heads else (second, first)
                if _pair_in_test_pool(task, f"{ids[a]}|{ids[b]}") != want_test:
                    continue
                pairs.append((a, b))
                made.add((first, second))
                degree[row] += 1
                degree[other] += 1
                break
    return pairs


def build_rating_pairs(snippets: pd.DataFrame, task: str = PAIR_TASK, pairs_per_snippet: int = 1) -> pd.DataFrame:
    """Pairs of snippets of one source whose mean ratings differ by >= 1; label 1 when
    ``text_a`` is the more positive; the side is a hash coin, so labels are ~50/50.

    Snippets are first split by :func:`in_sentiment_test_pool`; a pair joins two snippets of
    the same side and is kept only when ``task``'s test pool puts it on that side too.
    ``human_weak_prob`` compares what the rater at one hashed list position said about
    each (0.5 on a tie); raters are anonymous, so that position is one rating per snippet,
    not provably the same person.
    """
    if pairs_per_snippet < 1:
        raise ValueError(f"pairs_per_snippet must be >= 1, got {pairs_per_snippet!r}")
    snippets = snippets.reset_index(drop=True)
    test_side = pd.Series([in_sentiment_test_pool(i) for i in snippets["id"]], index=snippets.index)
    rows = []
    for (_, want_test), group in snippets.groupby([snippets["source"], test_side], sort=False):
        rows.extend(_pairs_in_group(group, bool(want_test), task, pairs_per_snippet))
    a_rows = snippets.loc[[a for a, _ in rows]].reset_index(drop=True)
    b_rows = snippets.loc[[b for _, b in rows]].reset_index(drop=True)
    pool = pd.DataFrame({
        "id": a_rows["id"] + "|" + b_rows["id"],
        "text_a": a_rows["text"],
        "text_b": b_rows["text"],
        "label": (a_rows["mean_rating"] > b_rows["mean_rating"]).astype("int64"),
        "source": a_rows["source"],
        "id_a": a_rows["id"],
        "id_b": b_rows["id"],
        "mean_a": a_rows["mean_rating"],
        "mean_b": b_rows["mean_rating"],
        "margin": (a_rows["mean_rating"] - b_rows["mean_rating"]).abs(),
    })
    pool["human_weak_prob"] = [
        _one_rater_preference(pid, sa, sb)
        for pid, sa, sb in zip(pool["id"], a_rows["rater_scores"], b_rows["rater_scores"])]
    return pool


def rm_sentiment_pairs_pool() -> pd.DataFrame:
    """Every distinct snippet in at most one pair (about 11.8k pairs)."""
    return build_rating_pairs(load_snippets(), PAIR_TASK, pairs_per_snippet=1)


def _one_rater_preference(pair_id: str, scores_a: Sequence[int], scores_b: Sequence[int]) -> float:
    position = stable_index(min(len(scores_a), len(scores_b)), "pair-rater", pair_id)
    return score_to_prob(scores_a[position] - scores_b[position])


# --------------------------------------------------------------------------- registration

SENTIMENT_LABEL_TEXTS = ("This is negative.", "This is positive.")


def _register(name: str, domain: str, kind: str, load, description: str, label_texts: tuple = ()) -> None:
    register_task(TaskSpec(name=name, domain=domain, kind=kind, source=SOURCE, license=LICENSE,
                           load=load, scope="micro", description=description, label_texts=label_texts))


_register("sentiment", "nlp", "binary", sentiment_pool,
          "Is the snippet positive? Mean of 15-99 human ratings > 0 (zeros dropped); movie, "
          "Amazon, NYT and tweet snippets pooled; human_weak_prob = one rater's verdict.",
          SENTIMENT_LABEL_TEXTS)
_register("sentiment_movies", "nlp", "binary", functools.partial(sentiment_pool, ["movie"]),
          "sentiment on the Rotten Tomatoes review sentences only.", SENTIMENT_LABEL_TEXTS)
_register("sentiment_tweets", "nlp", "binary", functools.partial(sentiment_pool, ["tweet"]),
          "sentiment on the tweet-like texts only (leans positive, about 69 %).", SENTIMENT_LABEL_TEXTS)
_register("concept_sentiment", "concepts", "binary", concept_sentiment_pool,
          "Probe target: positive vs negative snippet, 50/50 within each source.")
_register("concept_genre", "concepts", "binary", concept_genre_pool,
          "Probe target: film-review sentence (1) vs newspaper-editorial sentence (0), 50/50 "
          "within each polarity.")
_register("concept_intensity", "concepts", "binary", concept_intensity_pool,
          f"Probe target: |mean rating| >= {INTENSITY_STRONG} (1) vs <= {INTENSITY_NEUTRAL} (0), "
          "middle dropped, 50/50 within each source.")
_register("concept_controversy", "concepts", "binary", concept_controversy_pool,
          "Probe target: raters disagree (rating_std in the source's top quartile, 1) vs agree "
          "(bottom quartile, 0), 50/50 within each source and |mean| bin of 0.5.")
_register(PAIR_TASK, "reward_modeling", "pairwise", rm_sentiment_pairs_pool,
          f"Which snippet is more positive? Same-source pairs with mean ratings >= {PAIR_MIN_MARGIN} "
          "apart, each snippet in one pair; human_weak_prob = one rater's preference.")
