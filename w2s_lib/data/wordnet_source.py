"""WordNet 3.0 as data: a parser for Debian's ``data.*`` files and the committed compact copy.

The raw files (``/usr/share/wordnet/data.noun`` ... from the Debian package ``wordnet-base``)
are only needed to *rebuild* ``resources/wordnet_synsets.parquet`` (``scripts/build_wordnet.py``);
everything at run time reads the parquet, so a fresh machine needs neither apt nor the network.

A synset id is the part of speech of its data file followed by the 8-digit byte offset, e.g.
``"n02088632"`` (adjective satellites live in ``data.adj`` and get ``"a"``). The line format is
described in ``man 5 wndb``::

    offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt [ptr ...] [frames] | gloss
"""
from __future__ import annotations

import functools
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from ..paths import RESOURCES_DIR

WORDNET_DIR = Path("/usr/share/wordnet")
SYNSETS_PARQUET = RESOURCES_DIR / "wordnet_synsets.parquet"
N_SYNSETS_WORDNET_3_0 = 117_659

# The 45 lexicographer files ("supersenses"), indexed by lex_filenum (see ``man 5 lexnames``).
LEXNAMES: tuple[str, ...] = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather",
    "adj.ppl",
)
DATA_FILES = {"n": "data.noun", "v": "data.verb", "a": "data.adj", "r": "data.adv"}
SS_TYPES = ("n", "v", "a", "s", "r")

# Pointer symbols we keep (``man 5 wninput``): the rest (meronyms, domains, ...) no task uses.
HYPERNYM, INSTANCE_HYPERNYM, ANTONYM, SIMILAR_TO = "@", "@i", "!", "&"
_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")
_DEFINITION_THEN_EXAMPLE = re.compile(r'^([^"]*?):\s*(".*)$')
# The columns of the committed parquet, in order.
SYNSET_COLUMNS = ("synset_id", "ss_type", "lexname", "lemmas", "definition", "examples",
                  "hypernyms", "instance_hypernyms", "antonyms", "similar_to")


@dataclass(frozen=True)
class Synset:
    """One parsed line of a WordNet data file (only the fields the tasks use)."""

    synset_id: str
    ss_type: str
    lexname: str
    lemmas: tuple[str, ...]
    definition: str
    examples: tuple[str, ...]
    hypernyms: tuple[str, ...] = ()
    instance_hypernyms: tuple[str, ...] = ()
    antonyms: tuple[str, ...] = ()
    similar_to: tuple[str, ...] = ()

    def as_record(self) -> dict:
        return {c: (list(v) if isinstance(v := getattr(self, c), tuple) else v)
                for c in SYNSET_COLUMNS}


def synset_id(pos: str, offset: str | int) -> str:
    """``("n", 2088632) -> "n02088632"``; satellites ("s") share the adjective file's "a"."""
    file_pos = "a" if pos == "s" else pos
    if file_pos not in DATA_FILES:
        raise ValueError(f"unknown WordNet part of speech {pos!r}; accepted: {sorted(SS_TYPES)}")
    return f"{file_pos}{int(offset):08d}"


def clean_lemma(word: str) -> str:
    """``"hunting_dog" -> "hunting dog"``, adjective markers like ``"(p)"`` removed."""
    return _ADJ_MARKER.sub("", word).replace("_", " ")


def parse_gloss(gloss: str) -> tuple[str, tuple[str, ...]]:
    """Split a gloss into its definition and its quoted example sentences.

    Segments are separated by ``";"``; the definition is every segment before the first quoted
    one. A quoted example that itself contains ``";"`` is re-joined, WordNet's few unbalanced
    quotes are tolerated, and unquoted notes after the examples (``"(`alright' is ...)"``) dropped.
    """
    definition_parts: list[str] = []
    examples: list[str] = []
    open_example: list[str] = []
    seen_example = False
    for segment in (s.strip() for s in gloss.strip().split(";")):
        if open_example:
            open_example.append(segment)
            if "; ".join(open_example).count('"') % 2 == 0:
                examples.append(_unquote("; ".join(open_example)))
                open_example = []
            continue
        if not seen_example and not segment.startswith('"'):
            colon = _DEFINITION_THEN_EXAMPLE.match(segment)
            if colon:  # 'female of domestic cattle: "`moo-cow' is a child's term"'
                definition_parts.append(colon.group(1))
                segment = colon.group(2)
            elif segment.count('"') % 2 == 0:  # may quote a phrase: '(especially in "make strides")'
                definition_parts.append(segment)
                continue
        if segment.startswith('"'):
            seen_example = True
            if segment.count('"') % 2 == 1 and not segment.endswith('"'):
                open_example = [segment]
            else:
                examples.append(_unquote(segment))
        elif segment.endswith('"'):  # an example whose opening quote is missing
            seen_example = True
            examples.append(_unquote(segment))
    if open_example:
        examples.append(_unquote("; ".join(open_example)))
    definition = "; ".join(p for p in definition_parts if p)
    return definition, tuple(e for e in examples if e)


def _unquote(segment: str) -> str:
    """The text inside an example's quotes, without an attribution after them (``"..." - Poe``)."""
    text = segment.strip()
    if text.startswith('"'):
        text = text[1:]
    closing = text.rfind('"')
    if closing != -1:
        text = text[:closing]
    return " ".join(text.replace('"', "").split())


def parse_data_line(line: str) -> Synset:
    """Parse one synset line of a ``data.*`` file (header lines start with a space: skip them)."""
    head, sep, gloss = line.partition(" | ")
    if not sep:
        head, sep, gloss = line.rstrip("\n").partition("|")
    tokens = head.split()
    try:
        offset, lex_filenum, ss_type = tokens[0], int(tokens[1]), tokens[2]
        n_words = int(tokens[3], 16)
        words = tokens[4:4 + 2 * n_words:2]
        at = 4 + 2 * n_words
        n_pointers = int(tokens[at])
        pointers = [tokens[at + 1 + 4 * k: at + 5 + 4 * k] for k in range(n_pointers)]
    except (IndexError, ValueError) as err:
        raise ValueError(f"not a WordNet data line: {line[:80]!r} ({err})") from None
    if not offset.isdigit() or ss_type not in SS_TYPES or len(words) != n_words:
        raise ValueError(f"not a WordNet data line: {line[:80]!r}")
    if not 0 <= lex_filenum < len(LEXNAMES):
        raise ValueError(f"lex_filenum {lex_filenum} out of range 0..{len(LEXNAMES) - 1}: {line[:80]!r}")
    related: dict[str, list[str]] = {HYPERNYM: [], INSTANCE_HYPERNYM: [], ANTONYM: [], SIMILAR_TO: []}
    for symbol, target, pos, _source_target in pointers:
        if symbol in related:
            target_id = synset_id(pos, target)
            if target_id not in related[symbol]:
                related[symbol].append(target_id)
    definition, examples = parse_gloss(gloss)
    return Synset(
        synset_id=synset_id(ss_type, offset), ss_type=ss_type, lexname=LEXNAMES[lex_filenum],
        lemmas=tuple(clean_lemma(w) for w in words), definition=definition, examples=examples,
        hypernyms=tuple(related[HYPERNYM]), instance_hypernyms=tuple(related[INSTANCE_HYPERNYM]),
        antonyms=tuple(related[ANTONYM]), similar_to=tuple(related[SIMILAR_TO]))


def parse_data_lines(lines: Iterable[str]) -> Iterator[Synset]:
    """Every synset in the lines of a data file; licence header lines (leading space) skipped."""
    for line in lines:
        if line[:1].isdigit():
            yield parse_data_line(line)


def read_wordnet(directory: Path = WORDNET_DIR) -> list[Synset]:
    """All synsets of the four data files, in file order (nouns, verbs, adjectives, adverbs)."""
    missing = [name for name in DATA_FILES.values() if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"WordNet data files {missing} not found in {directory}; "
                                "install Debian's wordnet-base or pass the folder that holds them")
    synsets: list[Synset] = []
    for name in DATA_FILES.values():
        with open(directory / name, encoding="utf-8") as handle:
            synsets.extend(parse_data_lines(handle))
    return synsets


def wordnet_installed(directory: Path = WORDNET_DIR) -> bool:
    return all((directory / name).is_file() for name in DATA_FILES.values())


def synsets_frame(synsets: Iterable[Synset]) -> pd.DataFrame:
    return pd.DataFrame([s.as_record() for s in synsets], columns=list(SYNSET_COLUMNS))


@functools.cache
def _load_synsets_cached(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; rebuild it with scripts/build_wordnet.py")
    frame = pd.read_parquet(path)
    frame["lexname"] = frame["lexname"].astype(str)
    return frame.set_index("synset_id", drop=False)


def load_synsets(path: Path = SYNSETS_PARQUET) -> pd.DataFrame:
    """The committed synsets (indexed by ``synset_id``; a copy); list columns hold numpy arrays."""
    return _load_synsets_cached(path).copy()


class HypernymGraph:
    """Class hypernym links (``@``) of one part of speech, with the walks the tasks need.

    Instance links (``@i``, "Paris" -> "city") are left out on purpose: the tasks ask
    "is X a *kind* of Y?", which instances are not.
    """

    def __init__(self, parents: dict[str, tuple[str, ...]]):
        self.parents = parents
        children: dict[str, list[str]] = {s: [] for s in parents}
        for child, ups in parents.items():
            for parent in ups:
                children.setdefault(parent, []).append(child)
        self.children = {s: tuple(sorted(c)) for s, c in children.items()}
        self._depth: dict[str, int] = {}
        self._ancestors: dict[str, dict[str, int]] = {}

    @classmethod
    def from_frame(cls, synsets: pd.DataFrame, pos: str = "n") -> "HypernymGraph":
        rows = synsets[synsets["synset_id"].str.startswith(pos)]
        return cls({sid: tuple(h) for sid, h in zip(rows["synset_id"], rows["hypernyms"])})

    def ancestors(self, synset: str, max_hops: int | None = None) -> dict[str, int]:
        """Every class ancestor with its shortest hop count (1 = a direct hypernym).

        The full map is memoised per synset; treat the returned dict as read-only.
        """
        if synset not in self._ancestors:
            hops: dict[str, int] = {}
            queue = deque([(synset, 0)])
            while queue:
                node, distance = queue.popleft()
                for parent in self.parents.get(node, ()):
                    if parent not in hops:
                        hops[parent] = distance + 1
                        queue.append((parent, distance + 1))
            self._ancestors[synset] = hops
        found = self._ancestors[synset]
        if max_hops is None:
            return found
        return {a: h for a, h in found.items() if h <= max_hops}

    def depth(self, synset: str) -> int:
        """Shortest number of hops up to a root (a synset without class hypernyms)."""
        if synset not in self._depth:
            parents = self.parents.get(synset, ())
            self._depth[synset] = 1 + min(self.depth(p) for p in parents) if parents else 0
        return self._depth[synset]

    def siblings(self, synset: str) -> list[str]:
        """Other children of the synset's parents (co-hyponyms), sorted."""
        found = {c for p in self.parents.get(synset, ()) for c in self.children.get(p, ())}
        found.discard(synset)
        return sorted(found)

    def descendants(self, synset: str) -> set[str]:
        seen: set[str] = set()
        stack = [synset]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen


# --- WordNet facts written as English sentences (shared by the tasks and the corpus) ----------

_ARTICLE_DEFINITION = re.compile(
    r"^(a|an|any|one|some|either|each|someone|somebody|something|anyone|anything)\b", re.IGNORECASE)


def indefinite_article(phrase: str) -> str:
    """``"a"`` or ``"an"`` by the first sound, with the common English exceptions."""
    word = phrase.strip().lower()
    if word.startswith(("hour", "honest", "honor", "honour", "heir")):
        return "an"
    if word.startswith(("uni", "use", "usu", "uti", "eu", "one", "once", "ewe", "uk")):
        return "a"
    return "an" if word[:1] in "aeiou" else "a"


def _as_sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def noun_phrase(lemma: str, definition: str) -> str:
    """``"a beagle"`` for a count noun, bare ``"water"`` / ``"Paris"`` otherwise.

    WordNet does not mark count nouns; a definition that starts with an article ("a small
    ... breed of hound") is the signal, and capitalised lemmas are names.
    """
    if _ARTICLE_DEFINITION.match(definition) and not lemma[:1].isupper():
        return f"{indefinite_article(lemma)} {lemma}"
    return lemma


def definition_sentence(lemma: str, definition: str, ss_type: str) -> str:
    """A definition written as a sentence, e.g. "A beagle is a small ... breed of hound."

    Nouns get an article when their definition starts with one (a count noun) and none
    otherwise ("Water is binary compound ..."); verbs read "To run is to ..."; adjectives and
    adverbs "Quickly means ...".
    """
    if not definition:
        raise ValueError(f"synset of {lemma!r} has no definition to write as a sentence")
    if ss_type == "n":
        return _as_sentence(f"{noun_phrase(lemma, definition)} is {definition}")
    if ss_type == "v":
        return _as_sentence(f"to {lemma} is to {definition}")
    if ss_type in ("a", "s", "r"):
        return _as_sentence(f"{lemma} means {definition}")
    raise ValueError(f"unknown synset type {ss_type!r}; accepted: {list(SS_TYPES)}")


def example_sentence(example: str) -> str:
    """An example quotation as a sentence: capitalised, with final punctuation."""
    return _as_sentence(example)


@functools.lru_cache(maxsize=1 << 18)
def normalize_words(text: str) -> str:
    """Lower case, every run of non-alphanumerics one space, padded: ``" a small dog "``.

    The padding makes ``" dog " in normalize_words(text)`` a whole-word test.
    """
    return " " + " ".join(_NON_WORD.sub(" ", text.lower()).split()) + " "


_NON_WORD = re.compile(r"[^0-9a-z]+")


def mentions(text: str, phrase: str) -> bool:
    """Whether ``text`` names ``phrase`` as whole words (a plural ``-s``/``-es`` counts too)."""
    haystack = normalize_words(text)
    needle = normalize_words(phrase).strip()
    if not needle:
        return False
    forms = {needle, needle + "s", needle + "es"}
    if needle.endswith("y"):
        forms.add(needle[:-1] + "ies")
    return any(f" {form} " in haystack for form in forms)
