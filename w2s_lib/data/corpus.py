"""The English pretraining corpus for the tiny ``micro`` language models, free of test items.

Documents, in a fixed order:

1. one per WordNet synset (file order): its definition written as a sentence ("A beagle is a
   small short-legged smooth-coated breed of hound.") followed by its example sentences;
2. one per VADER snippet (``resources/vader_snippets.parquet``, when present), by id.

**Leakage.** Every registered ``micro`` task with English text (chess has its own corpus) is
loaded, and the rows of its *test pool* (:func:`~w2s_lib.data.splits.test_pool_mask`: fixed,
seed-independent) are cut into *units*: the kind's text columns (``text``, ``text_a``/``text_b``,
``prompt``/``target``, the debate fields) line by line, each line also without a leading
``"Label: "``, and each element of ``sentences`` and of ``source_texts`` (the raw texts a task
declares behind an item, e.g. the definition inside a templated question). A corpus text leaks
when, after normalisation (lower case, every run of characters other than a-z and 0-9 one
space), a unit of at least :data:`MIN_SUBSTRING_WORDS` words occurs in it as a run of whole
words, or a shorter unit equals one of its sentences. Leaking documents lose their leaking
sentences (or go), and :func:`assert_no_test_leakage` re-checks any corpus.

``evidence_texts`` (the definitions that establish a ``hypernym_qa`` answer without appearing in
its text) are knowledge, not test text, and stay in unless ``exclude_evidence=True``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from ..paths import RESOURCES_DIR
from .registry import REQUIRED_COLUMNS, all_tasks, get_task, load_pool
from .splits import test_pool_mask
from .wordnet_source import definition_sentence, example_sentence, load_synsets

VADER_SNIPPETS = RESOURCES_DIR / "vader_snippets.parquet"
SKIPPED_DOMAINS = ("chess",)  # chess text has its own corpus (chess self-play games)
MIN_SUBSTRING_WORDS = 3
SOURCE_COLUMN = "source_texts"
EVIDENCE_COLUMN = "evidence_texts"
_NOT_TEXT_COLUMNS = frozenset({"id", "label", "gold_evidence"})
_FIELD_LABEL = re.compile(r"^[A-Z][A-Za-z ]{0,30}:\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _words(text: str) -> list[str]:
    """The normalised words of ``text`` (not memoised: corpus texts are seen once)."""
    return _NON_WORD.sub(" ", text.lower()).split()


@dataclass
class LeakMatcher:
    """Finds test units inside texts: whole-word runs for long units, sentences for short ones.

    Long units are indexed by their first :data:`MIN_SUBSTRING_WORDS` words, so a text is
    scanned once, one dictionary lookup per word.
    """

    long_units: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    short_units: dict[str, str] = field(default_factory=dict)

    def add(self, unit: str, origin: str) -> None:
        words = tuple(_words(unit))
        if not words:
            return
        if len(words) >= MIN_SUBSTRING_WORDS:
            self.long_units.setdefault(words[:MIN_SUBSTRING_WORDS], []).append((words, origin))
        else:
            self.short_units.setdefault(" ".join(words), origin)

    def find(self, text: str) -> tuple[str, str] | None:
        """``(unit, origin)`` of the first test unit that ``text`` contains, else ``None``."""
        words = _words(text)
        index = self.long_units
        for start, key in enumerate(zip(words, words[1:], words[2:])):
            candidates = index.get(key)
            if candidates:
                for unit, origin in candidates:
                    if tuple(words[start:start + len(unit)]) == unit:
                        return " ".join(unit), origin
        if self.short_units:
            pieces = [words] + [_words(s) for s in _SENTENCE_END.split(text)]
            for piece in pieces:
                if len(piece) < MIN_SUBSTRING_WORDS:  # only a short sentence can equal a short unit
                    key = " ".join(piece)
                    if key in self.short_units:
                        return key, self.short_units[key]
        return None

    def __len__(self) -> int:
        return sum(map(len, self.long_units.values())) + len(self.short_units)


def text_columns(kind: str, columns: Iterable[str], exclude_evidence: bool = False) -> list[str]:
    """The columns of a pool that hold text a model reads, plus the declared source texts.

    These are the kind's required text columns (:data:`~w2s_lib.data.registry.REQUIRED_COLUMNS`
    minus ids, labels and indices) and ``source_texts``; other extra columns are metadata
    (words, synset ids, sources) and are not text of the item.
    """
    wanted = [c for c in REQUIRED_COLUMNS[kind] if c not in _NOT_TEXT_COLUMNS]
    wanted.append(SOURCE_COLUMN)
    if exclude_evidence:
        wanted.append(EVIDENCE_COLUMN)
    present = set(columns)
    return [c for c in wanted if c in present]


def row_units(row: dict, columns: Iterable[str]) -> Iterator[str]:
    """The texts in a pool row's ``columns``: strings line by line, lists element by element."""
    for column in columns:
        value = row[column]
        if isinstance(value, str):
            for line in value.splitlines():
                line = line.strip()
                yield line
                unlabelled = _FIELD_LABEL.sub("", line)  # "Definition: a small ..." -> "a small ..."
                if unlabelled != line:  # (a line such as "Damn typos :(" is kept whole above)
                    yield unlabelled
        elif isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
            for element in value:
                if isinstance(element, str):
                    yield element


def corpus_tasks() -> list[str]:
    """Tasks whose test pools the corpus must avoid: every micro task with English text.

    Chess tasks (the chess domain, and chess-based tasks filed under another domain such as
    ``rm_chess_moves``) are skipped: their text is chess notation, kept out of the separate
    chess corpus by its own module.
    """
    return [spec.name for spec in all_tasks()
            if spec.scope == "micro" and spec.domain not in SKIPPED_DOMAINS
            and "chess" not in spec.name and not spec.separate_corpus]


@functools.cache
def test_unit_matcher(exclude_evidence: bool = False, also_avoid: tuple[str, ...] = ()) -> LeakMatcher:
    """A matcher over the units of every test-pool row of :func:`corpus_tasks` (and of the tasks
    ``also_avoid`` names: those with a corpus of their own, ``TaskSpec.separate_corpus``)."""
    matcher = LeakMatcher()
    for task in corpus_tasks() + [t for t in also_avoid if t not in corpus_tasks()]:
        pool = load_pool(task)
        test_rows = pool[test_pool_mask(task, pool["id"])]
        columns = text_columns(get_task(task).kind, pool.columns, exclude_evidence)
        for row in test_rows[columns + ["id"]].to_dict("records"):
            for unit in row_units(row, columns):
                matcher.add(unit, f"{task}:{row['id']}")
    return matcher


def wordnet_sentences() -> list[list[str]]:
    """Per synset (file order): its definition as a sentence, then its example sentences."""
    synsets = load_synsets()
    grouped = []
    for lemmas, definition, examples, ss_type in zip(
            synsets["lemmas"], synsets["definition"], synsets["examples"], synsets["ss_type"]):
        sentences = [definition_sentence(lemmas[0], definition, ss_type)] if definition else []
        grouped.append(sentences + [example_sentence(e) for e in examples])
    return grouped


def wordnet_documents(matcher: LeakMatcher | None = None) -> list[str]:
    """One document per synset; in a document that leaks, the leaking sentences are left out."""
    documents = []
    for sentences in wordnet_sentences():
        document = " ".join(sentences)
        if matcher is not None and matcher.find(document) is not None:
            document = " ".join(s for s in sentences if matcher.find(s) is None)
            # a unit spanning the sentences that are now neighbours would show up here
            if matcher.find(document) is not None:
                continue
        if document:
            documents.append(document)
    return documents


def vader_documents(path: Path = VADER_SNIPPETS, matcher: LeakMatcher | None = None) -> list[str]:
    """VADER snippet texts by id; an empty list when the file is not there."""
    if not path.is_file():
        return []
    snippets = pd.read_parquet(path, columns=["id", "text"]).sort_values("id", kind="stable")
    texts = [" ".join(t.split()) for t in snippets["text"]]
    return [t for t in texts if t and (matcher is None or matcher.find(t) is None)]


def english_corpus(exclude_evidence: bool = False, also_avoid: tuple[str, ...] = ()) -> list[str]:
    """Deterministic English documents for pretraining, with no text of any test pool.

    ``exclude_evidence=True`` also drops the definitions behind ``hypernym_qa`` test answers;
    ``also_avoid`` names tasks with a corpus of their own whose test pools it avoids too.
    """
    matcher = test_unit_matcher(exclude_evidence, tuple(also_avoid))
    return wordnet_documents(matcher) + vader_documents(matcher=matcher)


def find_test_leakage(corpus: Iterable[str], exclude_evidence: bool = False,
                      limit: int = 5) -> list[tuple[int, str, str]]:
    """Up to ``limit`` leaks as ``(document index, unit, "task:id")``."""
    matcher = test_unit_matcher(exclude_evidence)
    leaks = []
    for index, document in enumerate(corpus):
        hit = matcher.find(document)
        if hit is not None:
            leaks.append((index, *hit))
            if len(leaks) >= limit:
                break
    return leaks


def assert_no_test_leakage(corpus: Iterable[str], exclude_evidence: bool = False) -> None:
    """Fail, naming documents, units and test items, when the corpus contains test-pool text."""
    leaks = find_test_leakage(corpus, exclude_evidence)
    if leaks:
        shown = "; ".join(f"document {i} contains {unit!r} from {origin}" for i, unit, origin in leaks)
        raise AssertionError(f"pretraining corpus leaks test-pool text: {shown}")


def corpus_stats(corpus: list[str]) -> dict[str, int]:
    return {"documents": len(corpus), "characters": sum(map(len, corpus)),
            "words": sum(len(d.split()) for d in corpus)}
