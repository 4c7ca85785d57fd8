"""WordNet: the data-file parser, the committed synset table, and the five tasks built on it."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import Counter

import pytest

from w2s_lib.data import wordnet_tasks
from w2s_lib.data.registry import get_task, load_pool, validate_pool
from w2s_lib.data.wordnet_source import (LEXNAMES, N_SYNSETS_WORDNET_3_0, SYNSET_COLUMNS, WORDNET_DIR,
                                         HypernymGraph, definition_sentence, load_synsets, mentions,
                                         parse_data_line, parse_data_lines, parse_gloss, read_wordnet,
                                         synsets_frame, wordnet_installed)
from w2s_lib.paths import REPO_ROOT

WORDNET_TASKS = ("hypernym_qa", "gloss_topic", "definition_match", "rm_definitions", "debate_wordnet", "debate_wordnet_misleading")

# Real lines of WordNet 3.0's data files (pointer lists shortened where noted by fewer pointers).
BEAGLE = ("02088364 05 n 01 beagle 0 002 @ 02087551 n 0000 ~ 02088745 n 0000 | "
          "a small short-legged smooth-coated breed of hound  \n")
PARIS = ("08932568 15 n 03 Paris 0 City_of_Light 0 French_capital 0 003 @i 08524735 n 0000 "
         "#p 08931743 n 0000 %p 08933287 n 0000 | national capital and largest city of France; "
         "and international center of culture and commerce  \n")
ABLE = ('00001740 00 a 01 able 0 005 = 05207437 n 0000 = 05624029 n 0000 + 05624029 n 0101 '
        '+ 05207437 n 0101 ! 00002098 a 0101 | (usually followed by `to\') having the necessary '
        'means or skill or know-how or authority to do something; "able to swim"; "she was able '
        'to program her computer"  \n')
AWAKE = ('00160854 00 s 02 awake(p) 0 wakeful 0 001 & 00160532 a 0000 | not in a state of sleep; '
         'completely conscious; "lay awake thinking about it"  \n')
BREATHE = ('00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 002 * 00005041 v 0000 '
           '$ 00004227 v 0000 02 + 02 00 + 08 00 | draw air into, and expel out of, the lungs; '
           '"I can breathe better when the air is clean"; "The patient is respiring"  \n')
COW = ("02403454 05 n 02 cow 0 moo-cow 0 001 @ 02403325 n 0000 | female of domestic cattle: "
       "\"`moo-cow' is a child's term\"  \n")
HEADER = "  1 This software and database is being provided to you, the LICENSEE, by  \n"


# --------------------------------------------------------------------------- parser

def test_noun_line_gives_id_lexname_lemmas_definition_and_hypernym():
    synset = parse_data_line(BEAGLE)
    assert synset.synset_id == "n02088364"
    assert synset.lexname == "noun.animal"
    assert synset.lemmas == ("beagle",)
    assert synset.definition == "a small short-legged smooth-coated breed of hound"
    assert synset.examples == ()
    assert synset.hypernyms == ("n02087551",)


def test_instance_hypernyms_are_kept_apart_from_class_hypernyms():
    synset = parse_data_line(PARIS)
    assert synset.instance_hypernyms == ("n08524735",)
    assert synset.hypernyms == ()
    assert synset.lemmas == ("Paris", "City of Light", "French capital")
    assert synset.definition == ("national capital and largest city of France; "
                                 "and international center of culture and commerce")


def test_adjective_line_keeps_antonym_and_examples():
    synset = parse_data_line(ABLE)
    assert synset.synset_id == "a00001740" and synset.lexname == "adj.all"
    assert synset.antonyms == ("a00002098",)
    assert synset.definition.startswith("(usually followed by `to') having the necessary")
    assert synset.examples == ("able to swim", "she was able to program her computer")


def test_satellite_adjective_loses_its_syntactic_marker_and_shares_the_adjective_file_id():
    synset = parse_data_line(AWAKE)
    assert synset.synset_id == "a00160854" and synset.ss_type == "s"
    assert synset.lemmas == ("awake", "wakeful")
    assert synset.similar_to == ("a00160532",)
    assert synset.definition == "not in a state of sleep; completely conscious"


def test_verb_frames_do_not_disturb_the_gloss():
    synset = parse_data_line(BREATHE)
    assert synset.synset_id == "v00001740" and synset.lexname == "verb.body"
    assert synset.lemmas == ("breathe", "take a breath", "respire", "suspire")
    assert synset.examples == ("I can breathe better when the air is clean", "The patient is respiring")


def test_example_after_a_colon_is_an_example_not_part_of_the_definition():
    synset = parse_data_line(COW)
    assert synset.definition == "female of domestic cattle"
    assert synset.examples == ("`moo-cow' is a child's term",)


@pytest.mark.parametrize("gloss, definition, examples", [
    ('the act of untying; "the tying of bow ties is an art; the untying is easy"',
     "the act of untying", ("the tying of bow ties is an art; the untying is easy",)),
    ('lacking substance; "slight evidence"; a fragile claim to fame"',
     "lacking substance", ("slight evidence", "a fragile claim to fame")),
    ('in a satisfactory manner; "she\'ll do okay"; (`alright\' is a nonstandard variant)',
     "in a satisfactory manner", ("she'll do okay",)),
    ('significant progress (especially in the phrase "make strides"); "they made big strides"',
     'significant progress (especially in the phrase "make strides")', ("they made big strides",)),
    ('a wise saying; "to be or not to be"- Shakespeare', "a wise saying", ("to be or not to be",)),
])
def test_gloss_splits_definition_from_quoted_examples(gloss, definition, examples):
    assert parse_gloss(gloss) == (definition, examples)


def test_license_header_lines_are_skipped():
    assert [s.synset_id for s in parse_data_lines([HEADER, BEAGLE, HEADER])] == ["n02088364"]


@pytest.mark.parametrize("line", ["02088364 05 n 01 beagle | no pointer count",
                                  "02088364 77 n 01 beagle 0 000 | lex file 77",
                                  "hello world"])
def test_malformed_line_is_rejected_with_the_line_in_the_message(line):
    with pytest.raises(ValueError, match="WordNet data line|lex_filenum 77"):
        parse_data_line(line)


def test_there_are_45_lexicographer_files_numbered_from_adj_all_to_adj_ppl():
    assert len(LEXNAMES) == 45 and LEXNAMES[0] == "adj.all" and LEXNAMES[44] == "adj.ppl"
    assert LEXNAMES[5] == "noun.animal" and LEXNAMES[29] == "verb.body"


def test_definition_sentences_read_as_english():
    assert (definition_sentence("beagle", "a small short-legged smooth-coated breed of hound", "n")
            == "A beagle is a small short-legged smooth-coated breed of hound.")
    assert (definition_sentence("water", "binary compound that occurs", "n")
            == "Water is binary compound that occurs.")
    assert definition_sentence("apple", "a fruit", "n") == "An apple is a fruit."
    assert definition_sentence("run", "move fast", "v") == "To run is to move fast."
    assert definition_sentence("quickly", "with speed", "r") == "Quickly means with speed."


def test_mentions_matches_whole_words_and_plurals_only():
    assert mentions("several breeds of hounds", "hound")
    assert mentions("a Hunting-Dog that runs", "hunting dog")
    assert not mentions("a greyhound", "hound")


def test_hypernym_graph_walks_ancestors_siblings_and_depth():
    graph = HypernymGraph({"root": (), "dog": ("root",), "cat": ("root",), "hound": ("dog",),
                           "beagle": ("hound",), "terrier": ("dog",)})
    assert graph.ancestors("beagle") == {"hound": 1, "dog": 2, "root": 3}
    assert graph.ancestors("beagle", max_hops=2) == {"hound": 1, "dog": 2}
    assert graph.siblings("hound") == ["terrier"]
    assert graph.depth("beagle") == 3 and graph.depth("root") == 0
    assert graph.descendants("dog") == {"hound", "beagle", "terrier"}


# --------------------------------------------------------------------------- committed table

def test_committed_table_holds_every_wordnet_3_0_synset_once():
    synsets = load_synsets()
    assert len(synsets) == N_SYNSETS_WORDNET_3_0
    assert list(synsets.columns) == list(SYNSET_COLUMNS)
    assert synsets["synset_id"].is_unique
    assert set(synsets["lexname"]) == set(LEXNAMES)
    assert Counter(synsets["ss_type"]) == {"n": 82_115, "v": 13_767, "a": 7_463, "s": 10_693, "r": 3_621}
    targets = {t for column in ("hypernyms", "instance_hypernyms") for ts in synsets[column] for t in ts}
    assert targets <= set(synsets["synset_id"])


def test_committed_table_is_small_enough_to_commit():
    size = (REPO_ROOT / "w2s_lib" / "resources" / "wordnet_synsets.parquet").stat().st_size
    assert size < 8_000_000


@pytest.mark.needs_wordnet
@pytest.mark.skipif(not wordnet_installed(), reason=f"WordNet data files not in {WORDNET_DIR}")
def test_committed_table_matches_a_fresh_parse_of_the_adverb_file(tmp_path):
    (tmp_path / "data.adv").write_bytes((WORDNET_DIR / "data.adv").read_bytes())
    for name in ("data.noun", "data.verb", "data.adj"):
        (tmp_path / name).write_text(HEADER)  # empty apart from the licence header
    fresh = synsets_frame(read_wordnet(tmp_path))
    committed = load_synsets().reset_index(drop=True)
    committed = committed[committed["ss_type"] == "r"].reset_index(drop=True)
    assert len(fresh) == 3_621
    for column in SYNSET_COLUMNS:
        assert [_plain(v) for v in fresh[column]] == [_plain(v) for v in committed[column]], column


def _plain(value):
    return list(value) if not isinstance(value, str) else value


# --------------------------------------------------------------------------- tasks

@pytest.mark.parametrize("name", WORDNET_TASKS)
def test_task_is_registered_offline_and_its_pool_keeps_the_contract(name):
    spec = get_task(name)
    assert spec.scope == "micro" and "WordNet 3.0" in spec.source
    pool = load_pool(name)
    validate_pool(spec, pool)
    assert pool["id"].is_unique
    assert abs(pool["label"].mean() - 0.5) < 0.02


def test_hypernym_qa_positives_are_ancestors_and_negatives_are_not_for_any_sense():
    pool = load_pool("hypernym_qa")
    lex = wordnet_tasks.lexicon()
    assert len(pool) == 2 * wordnet_tasks.HYPERNYM_QA_PER_LABEL
    assert pool["text"].is_unique and pool["x_synset"].is_unique
    for row in pool.itertuples():
        ancestors = lex.nouns.ancestors(row.x_synset)
        if row.label == 1:
            assert ancestors[row.y_synset] == row.hops <= 3 and row.negative_kind == "none"
        else:
            assert row.y_synset not in ancestors and row.negative_kind in ("sibling", "cousin")
            assert not lex.is_a(row.x_word, row.y_word), row.text
        assert row.y_word.lower() not in wordnet_tasks.VAGUE_ANSWERS
        assert row.text.startswith("Question: Is ") and f"a kind of {row.y_word}?" in row.text


def test_hypernym_qa_asks_every_y_as_often_yes_as_no():
    pool = load_pool("hypernym_qa")
    per_y = pool.groupby(["y_synset", "hops"])["label"].agg(["sum", "count"])
    assert (per_y["count"] == 2 * per_y["sum"]).all()


def test_gloss_topic_labels_follow_the_supersense_grouping_and_texts_are_unique():
    pool = load_pool("gloss_topic")
    natural = pool["supersense"].isin(wordnet_tasks.NATURAL_SUPERSENSES)
    assert (pool["label"] == natural.astype(int)).all()
    assert pool.loc[pool["label"] == 0, "supersense"].isin(wordnet_tasks.MADE_SUPERSENSES).all()
    assert pool["text"].is_unique and len(pool) > 15_000
    assert not pool["text"].str.contains("Definition: genus ", regex=False).any()


def test_definition_match_shows_the_word_its_own_definition_exactly_when_label_is_1():
    pool = load_pool("definition_match")
    lex = wordnet_tasks.lexicon()
    assert ((pool["synset_id"] == pool["definition_synset"]) == (pool["label"] == 1)).all()
    for row in pool.itertuples():
        assert f"Definition: {lex.definition(row.definition_synset)}\n" in row.text
    used = [d for ds in pool["source_texts"] for d in ds]
    assert len(used) == len(set(used)), "a definition feeds two items"


def test_rm_definitions_prefers_the_correct_definition_in_either_order():
    pool = load_pool("rm_definitions")
    lex = wordnet_tasks.lexicon()
    for row in pool.itertuples():
        correct = row.text_a if row.label == 1 else row.text_b
        wrong = row.text_b if row.label == 1 else row.text_a
        assert correct.endswith(lex.definition(row.synset_id))
        assert wrong.endswith(lex.definition(row.near_miss_synset))
        assert correct.split("\n")[0] == wrong.split("\n")[0]  # the same word on both sides
    assert not set(pool["synset_id"]) & set(pool["near_miss_synset"])


def test_debate_items_have_gold_evidence_naming_the_answer_and_a_distractor_in_the_passage():
    pool = load_pool("debate_wordnet")
    assert len(pool) >= 1_000 and pool["question"].is_unique
    for row in pool.itertuples():
        assert 5 <= len(row.sentences) <= 8 and row.passage == " ".join(row.sentences)
        evidence = [row.sentences[i] for i in row.gold_evidence]  # chain order: X first
        assert len(evidence) == row.hops
        assert mentions(evidence[0], row.question.removeprefix("What kind of thing is ").rstrip("?"))
        assert mentions(evidence[-1], row.answer_correct)
        assert any(mentions(s, row.answer_distractor) for s in row.sentences)
        assert row.answer_correct.lower() != row.answer_distractor.lower()
        shown = row.answer_correct if row.label == 1 else row.answer_distractor
        assert row.text.startswith(f"Question: {row.question}\nProposed answer: {shown}\n")


def test_misleading_debate_items_give_the_wrong_side_a_true_sentence_to_quote():
    pool = load_pool("debate_wordnet_misleading")
    plain = load_pool("debate_wordnet").set_index("id")
    lex = wordnet_tasks.lexicon()
    assert len(pool) == len(plain) and pool["question"].is_unique
    misleading = pool[pool["item_set"] == "misleading"]
    assert len(misleading) >= len(pool) / 2, "at least half the items hold a misleading sentence"
    assert set(misleading["misleading_kind"]) == set(wordnet_tasks.MISLEADING_KINDS)
    for row in pool.itertuples():
        before = plain.loc[row.id]
        x_word = lex.word(row.x_synset)
        assert row.question.startswith("Speaking of ") and row.answer_correct == before.answer_correct
        # the gold chain is unchanged and still where gold_evidence points
        assert [row.sentences[i] for i in row.gold_evidence] == [before.sentences[i] for i in before.gold_evidence]
        if row.item_set == "plain":
            assert list(row.sentences) == list(before.sentences) and list(row.misleading_evidence) == []
            continue
        (at,) = row.misleading_evidence
        sentence = row.sentences[at]
        assert at not in row.gold_evidence and len(row.sentences) == len(before.sentences) + 1
        # on its surface it names X's word and the distractor; the distractor is no kind of X's sense
        assert mentions(sentence, x_word) and mentions(sentence, row.answer_distractor), sentence
        assert row.answer_distractor.lower() != row.answer_correct.lower()
        ancestors = {lemma.lower() for a in lex.nouns.ancestors(row.x_synset) for lemma in lex.lemmas(a)}
        assert row.answer_distractor.lower() not in ancestors, sentence
        if row.misleading_kind == "negation":
            assert " is not a kind of " in sentence
        shown = row.answer_correct if row.label == 1 else row.answer_distractor
        assert row.candidate == shown and row.text.startswith(f"Question: {row.question}\nProposed answer: {shown}\n")


def test_pools_are_identical_in_a_fresh_process_with_another_hash_seed():
    script = ("from w2s_lib.data import wordnet_tasks as w; import hashlib; lex = w.lexicon(); "
              "print(hashlib.sha256('|'.join(list(w.build_hypernym_qa(lex, per_label=300)['id']) "
              "+ list(w.build_debate_wordnet(lex, size=100)['passage'])).encode()).hexdigest())")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={"PYTHONHASHSEED": "12345", "PATH": ""}, cwd=REPO_ROOT)
    lex = wordnet_tasks.lexicon()
    here = "|".join(list(wordnet_tasks.build_hypernym_qa(lex, per_label=300)["id"])
                    + list(wordnet_tasks.build_debate_wordnet(lex, size=100)["passage"]))
    assert result.stdout.strip() == hashlib.sha256(here.encode()).hexdigest()


def test_the_misleading_variant_keeps_the_shared_corpus_and_its_tiny_rungs_read_their_own():
    from w2s_lib.data.corpus import corpus_tasks
    from w2s_lib.debate.experiment import debate_setup
    from w2s_lib.pipeline import corpus_for

    assert "debate_wordnet" in corpus_tasks() and "debate_wordnet_misleading" not in corpus_tasks()
    assert corpus_for("debate_wordnet") == "english"
    assert corpus_for("debate_wordnet_misleading") == "english+debate_wordnet_misleading"
    with pytest.raises(ValueError, match="tiny rungs .*'tiny-xs'.* may have read its test items"):
        debate_setup("debate_wordnet_misleading", "micro", "micro")
