"""The generative back-end end to end with a tiny local causal LM, and the verdict parser."""
from __future__ import annotations

import numpy as np
import pytest
from model_folders import save_tiny_causal_lm

from w2s_lib.data.registry import load_pool
from w2s_lib.debate.debaters import GenerativeDebater, load_template
from w2s_lib.debate.items import items_from_frame
from w2s_lib.debate.judges import LMJudge, UnparseableVerdictsError, parse_verdict, verdict_probabilities
from w2s_lib.debate.protocols import Protocol
from w2s_lib.debate.transcripts import transcripts


@pytest.mark.parametrize("text,verdict", [("Answer: A", 0), ("answer: b.", 1), ("The answer is B", 1),
                                          ("B", 1), ('Answer: "A"', 0), ("(A) because", 0),
                                          ("I cannot tell", None), ("Answer: C", None), ("Both are wrong", None)])
def test_verdicts_parse_only_when_they_name_a_or_b(text, verdict):
    assert parse_verdict(text) == verdict


def test_unparseable_verdicts_raise_above_the_allowed_rate_and_abstain_below_it():
    texts = ["Answer: A", "Answer: B", "hmm", "Answer: A"]
    p, report = verdict_probabilities(texts, max_unparseable=0.25)
    assert p.tolist() == [1.0, 0.0, 0.5, 1.0] and report["unparseable"] == 1
    with pytest.raises(UnparseableVerdictsError, match="1 of 4 verdicts did not parse"):
        verdict_probabilities(texts, max_unparseable=0.2)


def test_prompt_templates_are_data_files_with_the_fields_they_need():
    assert {"{question}", "{answer}", "{passage}", "{k}"} <= {f for f in
                                                              ["{question}", "{answer}", "{passage}", "{k}"]
                                                              if f in load_template("debater")}
    assert "{transcript}" in load_template("judge")
    with pytest.raises(ValueError, match="shipped: debater, debater_base, judge"):
        load_template("no_such_template")


def test_a_tiny_local_causal_lm_debates_and_judges_end_to_end(tmp_path):
    lm = str(save_tiny_causal_lm(tmp_path / "tiny-lm"))
    items = items_from_frame(load_pool("debate_wordnet").head(3))
    debater = GenerativeDebater(lm, max_new_tokens=12)
    records = transcripts(items, debater, Protocol("debate", rounds=2, quotes_per_round=1), seed=0)
    assert len(records) == 6 and {r["order"] for r in records} == {0, 1}
    assert all(len(r["turns"]) == 4 for r in records)  # two debaters, two rounds
    assert all(isinstance(t["argument"], str) and isinstance(t["quotes"], list) for r in records for t in r["turns"])

    strict = LMJudge(lm, max_unparseable=0.1)
    with pytest.raises(UnparseableVerdictsError):  # a random LM does not write "Answer: A"
        strict.predict(records)
    lenient = LMJudge(lm, max_unparseable=1.0)
    assert lenient.predict(records).tolist() == [0.5] * 6 and lenient.report["unparseable"] == 6
    p = LMJudge(lm, verdict="logprob").predict(records)
    assert p.shape == (6,) and np.all((p > 0) & (p < 1))


class CopiesAfterTheQuoteTag:
    """A stand-in for a base LM: after the prefill's <quote> it writes what ``write`` returns for
    the prompt, the way Gemma runs on past the sentence it copied."""

    def __init__(self, write):
        self.write, self.prompts = write, []

    def generate(self, prompts, max_new_tokens, temperature, seed, batch_size, stop=()):
        from w2s_lib.debate.lm import cut_at_stop

        self.prompts.extend(prompts)
        return [cut_at_stop(self.write(p), stop) for p in prompts]


def test_a_base_model_continues_a_prefilled_argument_and_its_quote_is_checked():
    items = items_from_frame(load_pool("debate_wordnet").head(2))
    debater = GenerativeDebater("gpt2", template="debater_base")
    assert debater.stop == ("</quote>", "\n", 'For "')
    first = items[0].sentences[0]
    debater._lm = CopiesAfterTheQuoteTag(
        lambda p: f"(1) {first}For \"x\", the debater quotes: <quote>more" if "(1)" in p else "")
    records = transcripts(items, debater, Protocol("consultancy", rounds=1), seed=0)
    prompt = debater._lm.prompts[0]
    assert prompt.endswith('the debater quotes: <quote>') and "Passage:\n(1) " in prompt
    turn = next(r for r in records if r["id"] == items[0].id)["turns"][0]
    # the prefill begins the argument; the copied sentence number is dropped; the open quote closed
    assert turn["argument"].startswith('For "') and turn["argument"].endswith(f"<quote>{first}</quote>")
    assert turn["quotes"][0]["verified"] and turn["quotes"][0]["sentence"] == 0


def test_tidy_argument_and_stops():
    from w2s_lib.debate.debaters import tidy_argument
    from w2s_lib.debate.lm import cut_at_stop

    assert tidy_argument("x <quote>(12) A dog barks.") == "x <quote>A dog barks.</quote>"
    assert tidy_argument("x <quote>A dog barks.</quote>") == "x <quote>A dog barks.</quote>"
    assert cut_at_stop("A dog.</quote> and more\nnext", ("</quote>", "\n")) == "A dog.</quote>"
    assert cut_at_stop("no stop here", ("</quote>",)) == "no stop here"


def test_a_gguf_model_names_its_package_and_what_to_install_before_any_compute():
    from w2s_lib.hub_access import unusable_local_models
    from w2s_lib.models.sources import ModelSourceError, check_source, source_kind

    assert source_kind("gguf:some_package") == "gguf"
    check_source("gguf:no_such_gguf_package", offline_cache=False)  # the form is fine
    with pytest.raises(ModelSourceError, match="pip install no-such-gguf-package"):
        check_source("gguf:no_such_gguf_package")
    with pytest.raises(ModelSourceError, match="name a GGUF file or a package"):
        check_source("gguf:", offline_cache=False)
    lines = unusable_local_models({"06_debate": {"debater": "gguf:no_such_gguf_package"},
                                   "07_alignment": {"debater": "extractive"}})
    assert len(lines) == 1 and lines[0].startswith("06_debate.debater: ")


def test_a_pair_judge_reads_quotes_that_are_not_whole_sentences():
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.debate.trained_judges import PairJudge
    from w2s_lib.models import get_ladder

    items = items_from_frame(load_pool("debate_wordnet").head(20))
    debater = GenerativeDebater("gpt2", template="debater_base")
    # the model copies only the first half of a sentence: verified, but not a unit of the table
    debater._lm = CopiesAfterTheQuoteTag(lambda p: p.split("Passage:\n")[2].split("\n")[0][4:].rsplit(" ", 3)[0])
    records = transcripts(items, debater, Protocol("debate", rounds=1), seed=0)
    partial = [q["text"] for r in records for t in r["turns"] for q in t["quotes"] if q["verified"]]
    units = UnitEmbeddings(get_ladder("smoke")[0], items)
    assert partial and not set(partial) <= set(units.row)
    key = units.key()
    judge = PairJudge(units, seed=0).fit(records)
    assert np.isfinite(judge.predict(records)).all() and set(partial) <= set(units.row)
    assert units.key() == key, "the table's key is that of the items' units"


def test_the_generation_table_reports_parse_rate_verified_quotes_accuracy_and_time():
    from w2s_lib.debate.experiment import ProtocolRun
    from w2s_lib.tables import generation_table, protocol_table

    items = items_from_frame(load_pool("debate_wordnet").head(6))
    debater = GenerativeDebater("gpt2", template="debater_base")
    debater._lm = CopiesAfterTheQuoteTag(lambda p: p.split("Passage:\n")[2].split("\n")[0][4:])  # sentence (1)
    records = transcripts(items, debater, Protocol("debate", rounds=1), seed=0)
    judged = [{**r, "p_answer": [0.7, 0.3]} for r in records]
    blind = transcripts(items, debater, Protocol("blind"), seed=0)
    runs = [ProtocolRun("debate", 0, judged, writing_s=12.0),
            ProtocolRun("blind", 0, [{**r, "p_answer": [0.5, 0.5]} for r in blind], writing_s=0.0)]
    from w2s_lib.debate.transcripts import writing_seconds

    assert writing_seconds(items, debater, Protocol("debate", rounds=1), 0) > 0, "recorded when built"
    table = protocol_table(runs)
    assert "seconds_per_item" not in table, "a measurement stays out of table 2"
    out = generation_table(runs, table).set_index("variant")
    assert list(out.index) == ["debate"], "only protocols whose debaters wrote something"
    row = out.loc["debate"]
    assert row["turns_with_quote"] == 1.0 and row["quotes_verified"] == 1.0 and row["seconds_per_item"] == 2.0
    assert row["acc"] == table.set_index("variant").loc["debate", "acc"]
