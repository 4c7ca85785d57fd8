"""NLP, reward-modeling and debate tasks built from WordNet 3.0 (the committed parquet).

Registered (all ``micro``, offline): ``hypernym_qa``, ``gloss_topic``, ``definition_match``,
``rm_definitions`` and ``debate_wordnet``. Every random choice is a salted hash of source ids
(:func:`_unit`, :func:`_by_hash`), so pools are identical on every machine and ids never
depend on row order.

Leakage rules the builders keep:

* one question text per id (duplicates dropped), and in ``definition_match`` / ``rm_definitions``
  every definition is used by at most one item, so no definition is seen in two splits;
* a negative is checked against *every* sense of its word: "Is a bass a kind of singer?" would
  be true for one sense, so it is never generated;
* ``hypernym_qa`` comes in matched pairs that share Y (and the hop count), so the label cannot be
  read off Y, and every X synset is in one item only;
* each pool has a ``source_texts`` column: the raw WordNet texts (definitions, examples) that
  appear verbatim in the item. :mod:`w2s_lib.data.corpus` keeps them out of the pretraining
  corpus when the item is in the test pool. ``hypernym_qa`` items name words only; the
  definitions that *establish* their answers are in ``evidence_texts`` (see ``english_corpus``).
"""
from __future__ import annotations

import functools
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import zip_longest

import pandas as pd

from ..fingerprint import stable_int, stable_unit
from .task_spec import TaskSpec, register_task
from .split_rules import SplitSizes
from .wordnet_source import (HypernymGraph, definition_sentence, load_synsets, mentions,
                             normalize_words, noun_phrase)

SOURCE = "WordNet 3.0 (Princeton University), Debian package wordnet-base 1:3.0-37"
LICENSE = "WordNet 3.0 licence (permissive; redistribution with the copyright notice)"

HYPERNYM_QA_PER_LABEL = 10_000
DEFINITION_MATCH_SIZE = 20_000
RM_DEFINITIONS_SIZE = 20_000
DEBATE_SIZE = 5_200  # its test pool (~20 %) then fills the micro preset's 1,000 test items
MIN_DEFINITION_WORDS = 3
PARTNER_TRIES = 8  # co-hyponyms tried as a near-miss partner before a synset is left unpaired

# Ancestors too close to the root to make a question ("Is a beagle a kind of whole?").
MIN_ANSWER_DEPTH = 3
VAGUE_ANSWERS = frozenset({
    "whole", "thing", "object", "physical object", "causal agent", "matter", "part", "stuff",
    "property", "quality", "cognition", "psychological feature", "attribute", "state", "relation",
    "measure", "unit", "event", "act", "group", "grouping", "abstraction", "entity", "content",
    "collection", "kind", "sort", "form", "type", "substance", "location", "communication",
})

MIN_QUESTION_DEPTH = 4  # X at least this many hops below the root
# Genus/family/order names ("Is a Lophophora a kind of genus?") are about taxonomy, not kinds.
TAXONOMIC_GROUP = "n07992450"  # taxonomic group, taxonomic category, taxon

# gloss_topic: natural things (label 1) against man-made things (label 0), by supersense.
NATURAL_SUPERSENSES = ("noun.animal", "noun.plant", "noun.body", "noun.object")
MADE_SUPERSENSES = ("noun.artifact",)
# Taxonomic boilerplate ("genus of ...", "type genus of the family ...") gives the topic away.
_TAXONOMIC_OPENINGS = ("genus", "type genus", "a genus", "family", "a family", "order", "an order",
                       "class", "a class", "subclass", "suborder", "subfamily", "superfamily",
                       "phylum", "subphylum", "division", "a division", "tribe", "type species")


def _unit(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``: the only source of randomness here."""
    return stable_unit("wordnet-tasks", *parts)


def _stable_int(*parts: object) -> int:
    return stable_int("wordnet-tasks", *parts)


_MASK64 = (1 << 64) - 1


def _mix64(value: int) -> int:
    """splitmix64's finaliser: a cheap, well-mixed, platform-independent integer hash."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _rotated(items: list, *salt: object) -> list:
    """``items`` started at a position fixed by ``salt``: a cheap stable pick order for long lists."""
    if not items:
        return []
    start = _stable_int(*salt) % len(items)
    return items[start:] + items[:start]


def _by_hash(items, *salt: object) -> list:
    """``items`` (strings or tuples of them) in an order fixed by ``salt``: a stable shuffle."""
    seed = _stable_int(*salt)
    return sorted(items, key=lambda item: (_mix64(seed ^ zlib.crc32(repr(item).encode())),
                                           repr(item)))


@dataclass
class Lexicon:
    """The committed synsets as plain dictionaries plus hypernym graphs, built once per process.

    Plain dicts rather than DataFrame lookups: the builders make millions of them. Derived
    sets (``kinds``: class nouns outside taxonomy; ``usable``: synsets whose definition has at
    least :data:`MIN_DEFINITION_WORDS` words) are filled in ``__post_init__``.
    """

    lemma_lists: dict[str, tuple[str, ...]]
    definitions: dict[str, str]
    ss_types: dict[str, str]
    lexnames: dict[str, str]
    nouns: HypernymGraph
    verbs: HypernymGraph
    nouns_with_instances: HypernymGraph
    senses: dict[tuple[str, str], list[str]]

    def word(self, synset: str) -> str:
        return self.lemma_lists[synset][0]

    def lemmas(self, synset: str) -> tuple[str, ...]:
        return self.lemma_lists[synset]

    def definition(self, synset: str) -> str:
        return self.definitions[synset]

    def ss_type(self, synset: str) -> str:
        return self.ss_types[synset]

    def sentence(self, synset: str, lemma: str | None = None) -> str:
        return definition_sentence(lemma or self.word(synset), self.definition(synset),
                                   self.ss_type(synset))

    def has_usable_definition(self, synset: str) -> bool:
        return synset in self.usable

    def senses_of(self, word: str, pos: str) -> list[str]:
        return self.senses.get((pos, word.lower()), [])

    def ancestor_words(self, word: str, pos: str) -> frozenset[str]:
        """Lower-cased lemmas of every ancestor of every sense of ``word`` (instances included)."""
        key = (word.lower(), pos)
        if key not in self._ancestor_words:
            graph = self.nouns_with_instances if pos == "n" else self.verbs
            found: set[str] = set()
            for sense in self.senses_of(word, pos):
                for ancestor in graph.ancestors(sense):
                    found.update(lemma.lower() for lemma in self.lemmas(ancestor))
            self._ancestor_words[key] = frozenset(found)
        return self._ancestor_words[key]

    def is_a(self, word: str, category: str, pos: str = "n") -> bool:
        """Whether some sense of ``word`` is a kind (or instance) of something named ``category``."""
        return category.lower() in self.ancestor_words(word, pos)

    def __post_init__(self) -> None:
        self._ancestor_words: dict[tuple[str, str], frozenset[str]] = {}
        self.kinds = frozenset(_class_nouns(self))
        self.usable = frozenset(s for s, d in self.definitions.items()
                                if len(d.split()) >= MIN_DEFINITION_WORDS)


@functools.cache
def lexicon() -> Lexicon:
    frame = load_synsets()
    ids = frame["synset_id"].tolist()
    lemma_lists = {sid: tuple(lemmas) for sid, lemmas in zip(ids, frame["lemmas"])}
    senses: dict[tuple[str, str], list[str]] = {}
    for sid, lemmas in lemma_lists.items():
        for lemma in lemmas:
            senses.setdefault((sid[0], lemma.lower()), []).append(sid)
    nouns = frame[frame["ss_type"] == "n"]
    with_instances = HypernymGraph({
        sid: tuple(h) + tuple(i)
        for sid, h, i in zip(nouns["synset_id"], nouns["hypernyms"], nouns["instance_hypernyms"])})
    return Lexicon(lemma_lists=lemma_lists,
                   definitions=dict(zip(ids, frame["definition"])),
                   ss_types=dict(zip(ids, frame["ss_type"])),
                   lexnames=dict(zip(ids, frame["lexname"])),
                   nouns=HypernymGraph.from_frame(frame, "n"),
                   verbs=HypernymGraph.from_frame(frame, "v"),
                   nouns_with_instances=with_instances, senses=senses)


def _class_nouns(lex: Lexicon) -> list[str]:
    """Noun synsets that are kinds (have class hypernyms), not named instances or taxa."""
    taxa = lex.nouns.descendants(TAXONOMIC_GROUP) | {TAXONOMIC_GROUP}
    return [s for s, parents in lex.nouns.parents.items() if parents and s not in taxa]


@functools.lru_cache(maxsize=None)
def _word_set(text: str) -> frozenset[str]:
    return frozenset(normalize_words(text).split())


def _shares_words(a: str, b: str) -> bool:
    return not _word_set(a).isdisjoint(_word_set(b))


# --- hypernym_qa ----------------------------------------------------------------------------------

def _answer_ok(lex: Lexicon, x: str, y: str) -> bool:
    """Y may be asked about X: specific enough, and neither name inside the other."""
    x_word, y_word = lex.word(x).lower(), lex.word(y).lower()
    return (y in lex.kinds and lex.nouns.depth(y) >= MIN_ANSWER_DEPTH
            and y_word not in VAGUE_ANSWERS and y_word not in x_word and x_word not in y_word
            and not _shares_words(x_word, y_word))


def hypernym_question(x_phrase: str, y_word: str) -> str:
    """``x_phrase`` carries its article when it is a count noun: see :func:`noun_phrase`."""
    return f"Question: Is {x_phrase} a kind of {y_word}?\nAnswer:"


def _descendants_at(graph: HypernymGraph, synset: str, hops: int) -> list[str]:
    level = [synset]
    for _ in range(hops):
        level = sorted({c for s in level for c in graph.children.get(s, ())})
    return level


def _matched_negative(lex: Lexicon, y: str, hops: int, used: set[str]) -> tuple[str, str] | None:
    """(X', kind) with X' as far below a co-hyponym of Y as the positive's X is below Y.

    "Is a beagle a kind of hound?" (hops 1) is matched by "Is a terrier a kind of hound?"
    (kind ``sibling``: X' shares Y's parent); at hops 2-3 X' descends from the co-hyponym
    (kind ``cousin``). X' is never a kind of Y under any sense of its word.
    """
    graph = lex.nouns
    y_word = lex.word(y)
    for sibling in _rotated(graph.siblings(y), "hqa-neg-sibling", y, hops):
        if sibling in graph.ancestors(y) or y in graph.ancestors(sibling):
            continue
        for x in _rotated(_descendants_at(graph, sibling, hops - 1), "hqa-neg-x", y, sibling):
            if (x in used or x not in lex.kinds or graph.depth(x) < MIN_QUESTION_DEPTH
                    or y in graph.ancestors(x) or not _answer_ok(lex, x, y)
                    or lex.is_a(lex.word(x), y_word)):
                continue
            return x, ("sibling" if hops == 1 else "cousin")
    return None


def _hypernym_row(lex: Lexicon, x: str, y: str, label: int, hops: int, kind: str) -> dict:
    return {"id": f"{x}>{y}", "label": label,
            "text": hypernym_question(noun_phrase(lex.word(x), lex.definition(x)), lex.word(y)),
            "x_synset": x, "y_synset": y, "x_word": lex.word(x), "y_word": lex.word(y),
            "hops": hops, "negative_kind": kind, "source_texts": [],
            "evidence_texts": [lex.definition(x), lex.definition(y)]}


def build_hypernym_qa(lex: Lexicon, per_label: int = HYPERNYM_QA_PER_LABEL) -> pd.DataFrame:
    """Matched pairs: "Is X a kind of Y?" (yes) and "Is X' a kind of Y?" (no), same Y and hops.

    Every Y is asked as often with label 1 as with 0, so the answer cannot be read off Y;
    each X is in one item only.
    """
    rows: list[dict] = []
    used: set[str] = set()
    seen_texts: set[str] = set()
    candidates = (s for s in sorted(lex.kinds) if lex.nouns.depth(s) >= MIN_QUESTION_DEPTH)
    for x in _by_hash(candidates, "hqa-x"):
        if len(rows) >= 2 * per_label:
            break
        if x in used:
            continue
        by_hops: dict[int, list[str]] = {}
        for y, hops in lex.nouns.ancestors(x, max_hops=3).items():
            if _answer_ok(lex, x, y):
                by_hops.setdefault(hops, []).append(y)
        if not by_hops:
            continue
        hops = _by_hash(sorted(by_hops), "hqa-hops", x)[0]
        y = _rotated(sorted(by_hops[hops]), "hqa-y", x)[0]
        used.add(x)  # kept even when no negative is found: X then yields no item at all
        negative = _matched_negative(lex, y, hops, used)
        if negative is None:
            continue
        x_neg, kind = negative
        pair = [_hypernym_row(lex, x, y, 1, hops, "none"),
                _hypernym_row(lex, x_neg, y, 0, hops, kind)]
        if any(row["text"] in seen_texts for row in pair) or pair[0]["text"] == pair[1]["text"]:
            continue
        seen_texts.update(row["text"] for row in pair)
        used.add(x_neg)
        rows.extend(pair)
    return pd.DataFrame(rows)


# --- gloss_topic -------------------------------------------------------------------------------

def _is_taxonomic(definition: str) -> bool:
    lowered = definition.lower()
    return any(lowered == t or lowered.startswith(t + " ") for t in _TAXONOMIC_OPENINGS)


def gloss_topic_text(definition: str) -> str:
    return (f"Definition: {definition}\n"
            "Question: Is this something natural rather than man-made?\nAnswer:")


def build_gloss_topic(lex: Lexicon) -> pd.DataFrame:
    """Definition -> natural (animal, plant, body, natural object) vs man-made (artifact).

    Taxonomic definitions are dropped (they name their topic), as is any definition text that
    WordNet uses twice, so a text has one id; the larger side is cut to the smaller one's size.
    """
    text_counts = Counter(lex.definitions.values())
    by_label: dict[int, list[str]] = {0: [], 1: []}
    for label, supersenses in ((1, NATURAL_SUPERSENSES), (0, MADE_SUPERSENSES)):
        for sid, lexname in lex.lexnames.items():
            definition = lex.definition(sid)
            if (lexname in supersenses and len(definition.split()) >= MIN_DEFINITION_WORDS
                    and text_counts[definition] == 1 and not _is_taxonomic(definition)):
                by_label[label].append(sid)
    n = min(len(v) for v in by_label.values())
    rows = []
    for label, synsets in by_label.items():
        for sid in _by_hash(synsets, "topic")[:n]:
            definition = lex.definition(sid)
            rows.append({"id": sid, "text": gloss_topic_text(definition), "label": label,
                         "supersense": lex.lexnames[sid], "word": lex.word(sid),
                         "source_texts": [definition]})
    return pd.DataFrame(rows).sort_values("id", kind="stable").reset_index(drop=True)


# --- definition pairs: definition_match and rm_definitions -------------------------------------

def _pair_ok(lex: Lexicon, a: str, b: str) -> bool:
    """Two co-hyponyms whose definitions are near misses for each other, never a true sense."""
    if not (lex.has_usable_definition(a) and lex.has_usable_definition(b)):
        return False
    def_a, def_b = lex.definition(a), lex.definition(b)
    if normalize_words(def_a) == normalize_words(def_b):
        return False
    words_a = {w.lower() for w in lex.lemmas(a)}
    words_b = {w.lower() for w in lex.lemmas(b)}
    if words_a & words_b:
        return False
    word_a, word_b = lex.word(a), lex.word(b)
    if any(mentions(d, w) for d in (def_a, def_b) for w in (word_a, word_b)):
        return False
    pos = a[0]
    other_defs_a = {lex.definition(s) for s in lex.senses_of(word_a, pos)}
    other_defs_b = {lex.definition(s) for s in lex.senses_of(word_b, pos)}
    return def_b not in other_defs_a and def_a not in other_defs_b


@functools.cache
def sibling_pairs() -> list[tuple[str, str]]:
    """Disjoint (word synset, near-miss synset) pairs of co-hyponyms, nouns and verbs.

    Each synset, and each definition text (WordNet repeats a few), is in at most one pair, so
    a definition feeds at most one item of a task and cannot sit on both sides of a split.
    """
    lex = lexicon()
    used: set[str] = set()
    used_definitions: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for graph in (lex.nouns, lex.verbs):
        for parent in _by_hash(sorted(graph.children), "pair-parent"):
            free = [c for c in _by_hash(graph.children[parent], "pair-child", parent)
                    if c not in used and (c in lex.kinds or c.startswith("v"))
                    and normalize_words(lex.definition(c)) not in used_definitions]
            while len(free) >= 2:
                a = free.pop(0)
                partner = next((b for b in free[:PARTNER_TRIES] if _pair_ok(lex, a, b)), None)
                if partner is None:
                    continue
                free.remove(partner)
                definitions = {normalize_words(lex.definition(s)) for s in (a, partner)}
                if definitions & used_definitions:
                    continue
                used.update((a, partner))
                used_definitions.update(definitions)
                pairs.append((a, partner) if _unit("pair-role", a, partner) < 0.5
                             else (partner, a))
    return _by_hash(pairs, "pair-order")


def _pos_name(synset: str) -> str:
    return {"n": "noun", "v": "verb"}[synset[0]]


def definition_match_text(word: str, pos_name: str, definition: str) -> str:
    return (f"Word: {word} ({pos_name})\nDefinition: {definition}\n"
            "Question: Is this the meaning of the word?\nAnswer:")


def build_definition_match(lex: Lexicon, size: int = DEFINITION_MATCH_SIZE) -> pd.DataFrame:
    """One item per pair: the word with its own definition (1) or its sibling's (0), balanced."""
    rows: list[dict] = []
    per_label = size // 2
    counts = {0: 0, 1: 0}
    for word_synset, near_miss in sibling_pairs():
        label = int(_unit("defmatch-label", word_synset) < 0.5)
        if counts[label] >= per_label:
            if min(counts.values()) >= per_label:
                break
            continue
        counts[label] += 1
        shown = word_synset if label == 1 else near_miss
        definition = lex.definition(shown)
        word = lex.word(word_synset)
        rows.append({"id": f"{word_synset}={shown}", "text": definition_match_text(
            word, _pos_name(word_synset), definition), "label": label, "word": word,
            "synset_id": word_synset, "definition_synset": shown,
            "source_texts": [definition]})
    return pd.DataFrame(rows)


def definition_answer(word: str, pos_name: str, definition: str) -> str:
    return f"Word: {word} ({pos_name})\nDefinition: {definition}"


def build_rm_definitions(lex: Lexicon, size: int = RM_DEFINITIONS_SIZE) -> pd.DataFrame:
    """Pairwise preferences: the correct definition is preferred over a sibling's near miss."""
    rows = []
    for word_synset, near_miss in sibling_pairs()[:size]:
        word, pos_name = lex.word(word_synset), _pos_name(word_synset)
        correct = definition_answer(word, pos_name, lex.definition(word_synset))
        wrong = definition_answer(word, pos_name, lex.definition(near_miss))
        label = int(_unit("rm-order", word_synset, near_miss) < 0.5)
        text_a, text_b = (correct, wrong) if label == 1 else (wrong, correct)
        rows.append({"id": f"{word_synset}|{near_miss}", "text_a": text_a, "text_b": text_b,
                     "label": label, "word": word, "synset_id": word_synset,
                     "near_miss_synset": near_miss,
                     "source_texts": [lex.definition(word_synset), lex.definition(near_miss)]})
    return pd.DataFrame(rows)


# --- debate_wordnet ----------------------------------------------------------------------------

def debate_question(x_phrase: str) -> str:
    return f"What kind of thing is {x_phrase}?"


def debate_binary_text(question: str, candidate: str) -> str:
    return (f"Question: {question}\nProposed answer: {candidate}\n"
            "Is the proposed answer correct?\nAnswer:")


def _named_lemma(lex: Lexicon, text: str, synset: str) -> str | None:
    """The lemma of ``synset`` that ``text`` names (the link a sentence establishes), if any."""
    return next((lemma for lemma in lex.lemmas(synset) if mentions(text, lemma)), None)


def _content_words(text: str) -> set[str]:
    return {w for w in normalize_words(text).split() if len(w) > 3}


def _debate_item(lex: Lexicon, x: str) -> dict | None:
    """A passage where X's definition chain names the answer and a cousin's chain distracts."""
    graph = lex.nouns
    x_word = lex.word(x)
    if x_word[:1].isupper() or not lex.has_usable_definition(x):
        return None
    chains: list[tuple[list[str], str, str]] = []  # (gold synsets, answer synset, answer lemma)
    for parent in graph.parents[x]:
        lemma = _named_lemma(lex, lex.definition(x), parent)
        if lemma is None or not lex.has_usable_definition(parent):
            continue
        chains.append(([x], parent, lemma))
        for grandparent in graph.parents.get(parent, ()):
            upper = _named_lemma(lex, lex.definition(parent), grandparent)
            if upper is not None:
                chains.append(([x, parent], grandparent, upper))
    chains = [c for c in chains if _answer_ok(lex, x, c[1]) and lex.word(c[1]).lower() not in
              VAGUE_ANSWERS and c[2].lower() not in VAGUE_ANSWERS]
    if not chains:
        return None
    gold, answer, answer_lemma = _by_hash(chains, "debate-chain", x)[0]
    ancestors = graph.ancestors(x)
    x_words = _content_words(lex.definition(x))

    def distractor_score(d: str) -> float:
        return len(x_words & _content_words(lex.definition(d)))

    def usable_distractor(d: str) -> bool:
        d_word = lex.word(d)
        return not (d in ancestors or not lex.has_usable_definition(d)
                    or lex.is_a(x_word, d_word) or d_word.lower() == answer_lemma.lower()
                    or _shares_words(d_word, answer_lemma) or _shares_words(d_word, x_word)
                    or d_word.lower() in VAGUE_ANSWERS)

    ranked = sorted(_by_hash(graph.siblings(answer), "debate-d", x), key=lambda d: -distractor_score(d))
    for distractor in ranked:
        if not usable_distractor(distractor):
            continue
        neighbours = [c for c in graph.children.get(distractor, ())
                      if lex.has_usable_definition(c) and not mentions(lex.definition(c), x_word)]
        if neighbours:
            break
    else:
        return None
    gold_sentences = [lex.sentence(s) for s in gold]
    # Neighbours of both answers, alternating, so neither is named much more often than the other.
    answer_side = _by_hash([s for s in graph.siblings(gold[-1]) if lex.has_usable_definition(s)],
                           "debate-s", x)[:3]
    distractor_side = _by_hash(neighbours, "debate-n", x)[:3]
    filler_pool = [distractor] + [s for pair in zip_longest(distractor_side, answer_side)
                                  for s in pair if s is not None]
    fillers: dict[str, str] = {}  # sentence -> the synset it defines
    for s in filler_pool:
        sentence = lex.sentence(s)
        if s in gold or mentions(sentence, x_word) or sentence in fillers or sentence in gold_sentences:
            continue
        fillers[sentence] = s
    n_sentences = 5 + int(_unit("debate-len", x) * 4)  # 5..8
    kept = list(fillers)[:max(0, n_sentences - len(gold_sentences))]
    if len(gold_sentences) + len(kept) < 5 or lex.sentence(distractor) not in kept:
        return None
    sentences = _by_hash(gold_sentences + kept, "debate-order", x)
    passage_synsets = list(gold) + [fillers[sentence] for sentence in kept]
    question = debate_question(noun_phrase(x_word, lex.definition(x)))
    answer_distractor = lex.word(distractor)
    label = int(_unit("debate-label", x) < 0.5)
    candidate = answer_lemma if label == 1 else answer_distractor
    return {"id": x, "passage": " ".join(sentences), "sentences": sentences, "question": question,
            "answer_correct": answer_lemma, "answer_distractor": answer_distractor,
            "gold_evidence": [sentences.index(s) for s in gold_sentences],  # in chain order
            "text": debate_binary_text(question, candidate), "candidate": candidate, "label": label,
            "x_synset": x, "answer_synset": answer, "distractor_synset": distractor,
            "hops": len(gold),
            "source_texts": sorted({lex.definition(s) for s in passage_synsets} | set(sentences))}


# At micro the strong model embeds every sentence of every item a split can hold (about 6.5 a
# passage): half the usual A and B keep that one forward pass within the time budget.
DEBATE_MICRO_CAPS = SplitSizes(n_a=1000, n_b=1000, n_val=200, n_test=1000, n_q=400, working_pool=2600, n_dev=1000)


def build_debate_wordnet(lex: Lexicon, size: int = DEBATE_SIZE) -> pd.DataFrame:
    """Two-choice "what kind of thing is X?" items with verifiable gold evidence."""
    rows: list[dict] = []
    seen_questions: set[str] = set()
    for x in _by_hash((s for s in sorted(lex.kinds) if lex.nouns.depth(s) > MIN_QUESTION_DEPTH),
                      "debate-x"):
        if len(rows) >= size:
            break
        item = _debate_item(lex, x)
        if item is None or item["question"] in seen_questions:
            continue
        seen_questions.add(item["question"])
        rows.append(item)
    return pd.DataFrame(rows)


# --- debate_wordnet_misleading --------------------------------------------------------------------
# In debate_wordnet only the gold chain mentions X, so the wrong side has nothing about X to quote.
# Here most items add one true sentence that, read by its surface, supports the distractor:
#   other sense   — X's word in another of its senses, defined as a kind of the distractor
#                   ("A sucker is an organ ..." when the question asks about the plant's sucker);
#                   the question names X's domain, which the other sense does not share;
#   partial name  — a compound that contains X's word, defined as a kind of the distractor
#                   ("A sucker punch is an unexpected punch.");
#   negation      — "A sucker is not a kind of punch." (X and the distractor named together).
# The distractor becomes the answer that sentence names (other sense, partial name) or stays the
# cousin (negation). A third of the items, fixed by a hash, stay plain for comparison.

MISLEADING_KINDS = ("other sense", "partial name", "negation")
PLAIN_SHARE = 1 / 3
_DOMAINS = {"noun.artifact": "man-made things", "noun.person": "people", "noun.plant": "plants",
            "noun.animal": "animals", "noun.act": "acts and activities", "noun.communication": "communication",
            "noun.state": "states and conditions", "noun.location": "places", "noun.attribute": "attributes",
            "noun.substance": "substances", "noun.cognition": "knowledge and ideas", "noun.group": "groups",
            "noun.food": "food", "noun.body": "the body", "noun.object": "natural objects",
            "noun.quantity": "quantities and measures", "noun.event": "events", "noun.possession": "possessions",
            "noun.time": "time", "noun.process": "processes", "noun.phenomenon": "natural phenomena",
            "noun.relation": "relations", "noun.feeling": "feelings", "noun.shape": "shapes",
            "noun.Tops": "things in general", "noun.motive": "motives"}


def misleading_question(domain: str, x_phrase: str) -> str:
    return f"Speaking of {domain}, what kind of thing is {x_phrase}?"


@functools.cache
def _compounds_by_word() -> dict[str, tuple[tuple[str, str], ...]]:
    """Noun lemmas of two or more words, by each of their words (lower case)."""
    lex = lexicon()
    index: dict[str, list[tuple[str, str]]] = {}
    for synset, lemmas in lex.lemma_lists.items():
        if synset[0] != "n":
            continue
        for lemma in lemmas:
            words = lemma.lower().replace("-", " ").split()
            for w in set(words) if len(words) > 1 else ():
                index.setdefault(w, []).append((synset, lemma))
    return {w: tuple(sorted(v)) for w, v in index.items()}


def _surface_support(lex: Lexicon, item: dict, kind: str) -> tuple[str, str] | None:
    """(sentence, the answer it names) of one misleading kind for ``item``, or None when the lexicon
    has none: the sentence names X's word (or a compound of it) as a kind of something that is not
    X's ancestor, not the correct answer and shares no word with it or with X."""
    x, answer = item["x_synset"], item["answer_correct"]
    x_word = lex.word(x)
    ancestors = lex.nouns.ancestors(x)
    ancestor_names = {lemma.lower() for a in ancestors for lemma in lex.lemmas(a)}  # X's own sense only

    def named_parent(synset: str) -> str | None:
        for parent in lex.nouns_with_instances.parents.get(synset, ()):
            lemma = _named_lemma(lex, lex.definition(synset), parent)
            if lemma is None or parent in ancestors or lemma.lower() in ancestor_names or lemma.lower() in VAGUE_ANSWERS \
                    or lemma.lower() == answer.lower() or _shares_words(lemma, answer) or _shares_words(lemma, x_word):
                continue
            return lemma
        return None

    if kind == "other sense":
        for other in _by_hash(lex.senses_of(x_word, "n"), "misleading-sense", x):
            if other == x or not lex.has_usable_definition(other) or other in ancestors \
                    or x in lex.nouns.ancestors(other) or lex.lexnames.get(other) == lex.lexnames.get(x):
                continue
            lemma = named_parent(other)
            if lemma is not None:
                return lex.sentence(other, x_word), lemma
    elif kind == "partial name" and " " not in x_word:
        for compound, name in _by_hash(_compounds_by_word().get(x_word.lower(), ()), "misleading-name", x):
            if compound == x or compound in ancestors or not lex.has_usable_definition(compound):
                continue
            lemma = named_parent(compound)
            if lemma is not None:
                return lex.sentence(compound, name), lemma
    elif kind == "negation":
        phrase = noun_phrase(x_word, lex.definition(x))
        return f"{phrase[:1].upper()}{phrase[1:]} is not a kind of {item['answer_distractor']}.", item["answer_distractor"]
    return None


def _misleading_item(lex: Lexicon, item: dict) -> dict:
    """``item`` with the domain named in its question and, unless it stays plain, one sentence
    that supports the distractor by its surface (see the section's comment)."""
    x = item["x_synset"]
    x_word = lex.word(x)
    question = misleading_question(_DOMAINS.get(lex.lexnames.get(x, ""), "things"),
                                   noun_phrase(x_word, lex.definition(x)))
    item = {**item, "question": question, "item_set": "plain", "misleading_kind": "", "misleading_evidence": []}
    if _unit("misleading-plain", x) < PLAIN_SHARE:
        return _with_candidate(item)
    for kind in MISLEADING_KINDS:
        found = _surface_support(lex, item, kind)
        if found is not None:
            break
    sentence, distractor = found
    gold = [item["sentences"][i] for i in item["gold_evidence"]]
    at = _stable_int("misleading-at", x) % (len(item["sentences"]) + 1)
    sentences = item["sentences"][:at] + [sentence] + item["sentences"][at:]
    return _with_candidate({**item, "sentences": sentences, "passage": " ".join(sentences),
                            "answer_distractor": distractor, "gold_evidence": [sentences.index(g) for g in gold],
                            "item_set": "misleading", "misleading_kind": kind, "misleading_evidence": [at],
                            "source_texts": sorted(set(item["source_texts"]) | {sentence})})


def _with_candidate(item: dict) -> dict:
    candidate = item["answer_correct"] if item["label"] == 1 else item["answer_distractor"]
    return {**item, "candidate": candidate, "text": debate_binary_text(item["question"], candidate)}


def build_debate_wordnet_misleading(lex: Lexicon, size: int = DEBATE_SIZE) -> pd.DataFrame:
    """debate_wordnet's items with the domain in the question, two thirds of them with a sentence
    that misleads towards the distractor; ``item_set`` (plain | misleading), ``misleading_kind`` and
    ``misleading_evidence`` (that sentence's index) say which."""
    items = build_debate_wordnet(lex, size).to_dict("records")
    return pd.DataFrame([_misleading_item(lex, item) for item in items])


# --- registration --------------------------------------------------------------------------------

def _loader(builder):
    def load() -> pd.DataFrame:
        return builder(lexicon())
    load.__name__ = f"load_{builder.__name__.removeprefix('build_')}"
    return load


register_task(TaskSpec(
    name="hypernym_qa", domain="nlp", kind="binary", source=SOURCE, license=LICENSE,
    load=_loader(build_hypernym_qa), scope="micro",
    description="Is X a kind of Y? Positives: Y a true ancestor 1-3 hops up the hypernym graph; "
                "each matched by a hard negative with the same Y: X' a co-hyponym of Y or its "
                "descendant (never a Y under any sense of X'). Balanced per Y, one item per X."))
register_task(TaskSpec(
    name="gloss_topic", domain="nlp", kind="binary", source=SOURCE, license=LICENSE,
    load=_loader(build_gloss_topic), scope="micro",
    label_texts=("a thing made by people", "a living thing or a natural object: an animal, a plant or a body part"),
    description="A noun's definition -> natural thing (supersenses animal, plant, body, natural "
                "object; label 1) or man-made (artifact; label 0). Taxonomic glosses dropped; "
                "balanced."))
register_task(TaskSpec(
    name="definition_match", domain="nlp", kind="binary", source=SOURCE, license=LICENSE,
    load=_loader(build_definition_match), scope="micro",
    description="Word + definition: its own (1) or a co-hyponym's near-miss definition (0). "
                "Nouns and verbs, balanced, each definition used once."))
register_task(TaskSpec(
    name="rm_definitions", domain="reward_modeling", kind="pairwise", source=SOURCE,
    license=LICENSE, load=_loader(build_rm_definitions), scope="micro",
    description="Reward-model pairs: a word with its correct definition vs a co-hyponym's "
                "near-miss definition; order by stable hash; label 1 when text_a is correct."))
register_task(TaskSpec(
    name="debate_wordnet", domain="debate", kind="debate", source=SOURCE, license=LICENSE,
    load=_loader(build_debate_wordnet), scope="micro", caps=(("micro", DEBATE_MICRO_CAPS),),
    description="What kind of thing is X? Passage of 5-8 WordNet definitions as sentences: the "
                "gold chain (1-2 sentences naming the answer) and a cousin distractor with its "
                "neighbours. Binary view: question + one candidate answer."))
register_task(TaskSpec(
    name="debate_wordnet_misleading", domain="debate", kind="debate", source=SOURCE, license=LICENSE,
    load=_loader(build_debate_wordnet_misleading), scope="micro", caps=(("micro", DEBATE_MICRO_CAPS),),
    separate_corpus=True,  # a variant of debate_wordnet read by MiniLM rungs; the committed tiny rungs stay valid
    description="debate_wordnet with X's domain in the question; two thirds of the items add a true "
                "sentence that supports the distractor on a surface reading (another sense of X's word, "
                "a compound containing it, or a negation); item_set says plain or misleading."))
