"""Quotes: the only evidence a debater can show, each checked against the passage.

After Khan et al. (2024): a quote is **verified** when its normalised text (case, quotation
marks, punctuation and whitespace ironed out) is a substring of the normalised passage; a
softer **overlap** score is the share of the quote's word 3-grams that occur in the passage
(shorter quotes use their own length). Judges see verified and unverified quotes marked
differently, so a debater cannot invent evidence unnoticed.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Sequence

QUOTE_TAG = re.compile(r"<quote>(.*?)</quote>", flags=re.S | re.I)
_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "`": "'", "´": "'"})
_PUNCTUATION = re.compile(r"[^\w\s]")
NGRAM = 3


def normalize(text: str) -> str:
    """Lower case, unified quotation marks, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MARKS).lower()
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def _ngrams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


@dataclass(frozen=True)
class QuoteCheck:
    """One quote as the judge will see it."""

    text: str
    verified: bool
    overlap: float            # share of the quote's word 3-grams found in the passage
    sentence: int | None      # index of the passage sentence that contains it, when verified

    def as_record(self) -> dict:
        return asdict(self)


@functools.lru_cache(maxsize=4096)
def _normalized(sentences: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    normalized = tuple(normalize(s) for s in sentences)
    return normalized, " ".join(normalized)


@functools.lru_cache(maxsize=4096)
def _passage_ngrams(passage: str, n: int) -> frozenset:
    return frozenset(_ngrams(passage.split(), n))


def verify_quote(quote: str, sentences: Sequence[str]) -> QuoteCheck:
    """Check ``quote`` against a passage given as its sentences."""
    q = normalize(quote)
    normalized, passage = _normalized(tuple(sentences))
    if not q:
        return QuoteCheck(quote, False, 0.0, None)
    verified = f" {q} " in f" {passage} "
    sentence = next((i for i, s in enumerate(normalized) if f" {q} " in f" {s} "), None) if verified else None
    words = q.split()
    n = min(NGRAM, len(words))
    grams = _ngrams(words, n)
    overlap = len(grams & _passage_ngrams(passage, n)) / len(grams)
    return QuoteCheck(quote, verified, round(overlap, 4), sentence)


def extract_quotes(argument: str) -> list[str]:
    """The ``<quote>…</quote>`` spans of a written argument, in order."""
    return [m.strip() for m in QUOTE_TAG.findall(argument)]


def mark_quotes(argument: str, checks: Sequence[QuoteCheck]) -> str:
    """The argument as the judge reads it: ``<v_quote>`` for verified quotes, ``<u_quote>`` for others."""
    remaining = list(checks)

    def mark(match: re.Match) -> str:
        check = remaining.pop(0) if remaining else verify_quote(match.group(1), [])
        tag = "v_quote" if check.verified else "u_quote"
        return f"<{tag}>{match.group(1).strip()}</{tag}>"

    return QUOTE_TAG.sub(mark, argument)
