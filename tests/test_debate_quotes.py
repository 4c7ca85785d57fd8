"""Quote verification: exact after normalisation, paraphrases unverified, partial overlap scored."""
from __future__ import annotations

import pytest

from w2s_lib.debate.quotes import extract_quotes, mark_quotes, normalize, verify_quote

PASSAGE = ["A footbath is a small bathtub for warming or washing or disinfecting the feet.",
           "A basin is a bowl-shaped vessel; usually used for holding food or liquids."]


def test_an_exact_quote_is_verified_and_located():
    check = verify_quote("a small bathtub for warming or washing", PASSAGE)
    assert check.verified and check.overlap == 1.0 and check.sentence == 0


def test_case_punctuation_quote_marks_and_spacing_do_not_matter():
    check = verify_quote("“A  Basin is a bowl shaped vessel,  usually”", PASSAGE)
    assert check.verified and check.sentence == 1
    assert normalize("Bowl-shaped  VESSEL;") == "bowl shaped vessel"


def test_a_paraphrase_is_not_verified_and_scores_little_overlap():
    check = verify_quote("a footbath is a tiny tub used to wash feet", PASSAGE)
    assert not check.verified and check.sentence is None
    assert check.overlap < 0.3


def test_a_partly_invented_quote_scores_the_share_of_its_3grams_found():
    # 6 words -> 4 trigrams; the first two occur in the passage, the last two do not
    check = verify_quote("a small bathtub for cats only", PASSAGE)
    assert not check.verified
    assert check.overlap == pytest.approx(2 / 4)


def test_a_quote_must_match_whole_words():
    assert not verify_quote("ootbath is a sma", PASSAGE).verified


def test_quotes_are_read_from_tags_and_marked_for_the_judge():
    argument = "It is <quote>a small bathtub for warming</quote>, not <quote>a big sink</quote>."
    quotes = extract_quotes(argument)
    assert quotes == ["a small bathtub for warming", "a big sink"]
    marked = mark_quotes(argument, [verify_quote(q, PASSAGE) for q in quotes])
    assert marked == "It is <v_quote>a small bathtub for warming</v_quote>, not <u_quote>a big sink</u_quote>."
