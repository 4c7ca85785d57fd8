"""Debate D: protocols, both answer orders, transcripts as resumable artifacts, judges trained on A."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from w2s_lib.data.registry import load_pool
from w2s_lib.debate import Protocol, debate, summarize
from w2s_lib.debate.debaters import Debater, ScriptedDebater, quote_sentences
from w2s_lib.debate.experiment import judged_test, record_score
from w2s_lib.debate.items import CORRECT, items_from_frame
from w2s_lib.debate.protocols import correct_speaks_first
from w2s_lib.debate.transcripts import transcripts
from w2s_lib.store import default_store

ITEMS = items_from_frame(load_pool("debate_wordnet").head(12))


def honest_and_gold(item, answer, round_):
    """The correct side quotes the gold evidence, the other side the first other sentences."""
    if answer == CORRECT:
        return list(item.gold_evidence)[round_ - 1:]
    return [i for i in range(len(item.sentences)) if i not in item.gold_evidence][round_ - 1:]


SCRIPTED = ScriptedDebater(honest_and_gold, name="honest-and-gold")


class PrefersA:
    """A judge with a pure position preference: it says A whatever it reads."""

    def key(self):
        return {"kind": "prefers-A"}

    def fit(self, records):
        return self

    def predict(self, records):
        return np.full(len(records), 0.9)


class ReadsGold:
    """A judge that favours the side whose quotes are gold evidence, wherever it is shown."""

    def __init__(self):
        self.trained_on = []

    def key(self):
        return {"kind": "reads-gold"}

    def fit(self, records):
        self.trained_on = sorted({r["id"] for r in records})
        return self

    def predict(self, records):
        def gold(r, side):
            return sum(q["sentence"] in r["gold_evidence"] for t in r["turns"] if t["side"] == side
                       for q in t["quotes"])

        return np.array([0.8 if gold(r, "A") > gold(r, "B") else 0.2 if gold(r, "B") > gold(r, "A") else 0.5
                         for r in records])


def test_every_item_is_judged_in_both_orders_with_the_answers_swapped():
    records = transcripts(ITEMS, SCRIPTED, Protocol("debate", rounds=2, quotes_per_round=1), seed=0)
    assert len(records) == 2 * len(ITEMS)
    for item in ITEMS:
        first, second = (r for r in records if r["id"] == item.id)
        assert first["answers"] == second["answers"][::-1] == [item.answer_correct, item.answer_distractor]
        assert (first["correct"], second["correct"]) == (0, 1)
        opener = "A" if correct_speaks_first(item.id) else "B"  # in order 0 the correct answer is A
        other = "B" if opener == "A" else "A"
        assert first["first_speaker"] == opener and [t["side"] for t in first["turns"]] == [opener, other] * 2
        assert [t["side"] for t in second["turns"]] == [other, opener] * 2  # the same speakers, answers swapped


def test_a_judge_that_only_prefers_a_position_scores_chance_and_shows_the_order_effect():
    judged = debate(ITEMS, SCRIPTED, PrefersA(), Protocol("debate"), seed=0)
    summary = summarize(judged)
    assert (summary["acc_correct_first"], summary["acc_correct_second"]) == (1.0, 0.0)
    assert summary["acc"] == 0.5 and summary["order_effect"] == 1.0


def test_a_judge_that_reads_the_evidence_scores_the_same_in_both_orders():
    summary = summarize(debate(ITEMS, SCRIPTED, ReadsGold(), Protocol("debate"), seed=0))
    assert summary["acc_correct_first"] == summary["acc_correct_second"] == summary["acc"] == 1.0
    assert summary["order_effect"] == 0.0 and summary["gold_quoted_by_correct"] == 1.0


def test_ties_count_half():
    assert record_score({"p_answer": [0.5, 0.5], "correct": 0}) == 0.5


def test_each_round_shows_at_most_k_quotes_and_consultancy_has_one_speaker():
    class QuotesEverything(Debater):
        def key(self):
            return {"kind": "quotes-everything"}

        def argue(self, items, answers, histories, k, round_):
            return [quote_sentences(item, a, range(len(item.sentences))) for item, a in zip(items, answers)]

    records = transcripts(ITEMS, QuotesEverything(), Protocol("debate", rounds=3, quotes_per_round=2), seed=0)
    assert all(len(t["quotes"]) == 2 for r in records for t in r["turns"])
    assert all("withheld" in t["argument"] for r in records for t in r["turns"])
    greedy = ScriptedDebater(lambda item, answer, round_: range(len(item.sentences)), name="all")
    consult = transcripts(ITEMS, greedy, Protocol("consultancy", rounds=2, quotes_per_round=1), seed=3)
    for r in consult:
        assert len({t["answer"] for t in r["turns"]}) == 1 and len(r["turns"]) == 2
    sides = {r["id"]: r["turns"][0]["answer"] for r in consult}
    assert 0 < sum(sides.values()) < len(ITEMS), "the consultant's side is drawn per item"


def test_blind_and_oracle_have_no_debaters_and_only_the_oracle_reads_the_passage():
    blind = transcripts(ITEMS, SCRIPTED, Protocol("blind"), seed=0)
    oracle = transcripts(ITEMS, SCRIPTED, Protocol("oracle"), seed=0)
    assert all(not r["turns"] and r["passage"] is None for r in blind)
    assert all(not r["turns"] and r["passage"] == " ".join(ITEMS[0].sentences) for r in oracle[:1])


def test_transcripts_resume_after_an_interrupted_run():
    calls = []

    def dies_in_the_second_shard(item, answer, round_):
        calls.append(item.id)
        if item.id == ITEMS[5].id:
            raise KeyboardInterrupt
        return honest_and_gold(item, answer, round_)

    flaky = ScriptedDebater(dies_in_the_second_shard, name="flaky")
    protocol = Protocol("debate", rounds=1)
    with pytest.raises(KeyboardInterrupt):
        transcripts(ITEMS, flaky, protocol, seed=0, shard=4)
    assert len(default_store().entries("debate_transcripts")) == 1  # the first shard is kept
    calls.clear()
    resumed = transcripts(ITEMS, ScriptedDebater(honest_and_gold, name="flaky"), protocol, seed=0, shard=4)
    assert len(resumed) == 2 * len(ITEMS) and len(default_store().entries("debate_transcripts")) == 3
    assert not set(calls), "finished shards are read back, not argued again"


def test_the_judge_learns_from_the_training_items_only():
    judge = ReadsGold()
    train, test = ITEMS[:6], ITEMS[6:]
    judged = judged_test(train, test, SCRIPTED, lambda seed: judge, Protocol("debate"), seed=0)
    assert judge.trained_on == sorted(i.id for i in train)
    assert {r["id"] for r in judged} == {i.id for i in test}


def test_extractive_debaters_and_the_pair_judge_on_real_embeddings():
    from w2s_lib.debate.debaters import ExtractiveDebater
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.debate.trained_judges import PairJudge
    from w2s_lib.debate.viewer import item_html
    from w2s_lib.models import get_ladder

    weak, strong = get_ladder("smoke")
    items = items_from_frame(load_pool("debate_wordnet").head(40))
    debater = ExtractiveDebater(UnitEmbeddings(strong, items))
    protocol = Protocol("debate", rounds=2, quotes_per_round=1)
    train = transcripts(items[:30], debater, protocol, seed=0)
    assert all(q["verified"] for r in train for t in r["turns"] for q in t["quotes"]), "extracts are real quotes"
    own = [q["sentence"] for t in train[0]["turns"] if t["side"] == "A" for q in t["quotes"]]
    assert len(own) == len(set(own)) == 2, "a debater shows new sentences each round"

    judge = PairJudge(UnitEmbeddings(weak, items), seed=0).fit(train)
    judged = debate(items[30:], debater, judge, protocol, seed=0)
    by_item = {}
    for r in judged:
        by_item.setdefault(r["id"], {})[r["order"]] = r["p_answer"][0]
    for p in by_item.values():  # swapping the answers swaps the sides: no position preference
        assert p[0] + p[1] == pytest.approx(1.0, abs=1e-6)
    page = item_html(items[30], judged, title="debate")
    assert items[30].sentences[0][:30] in page and "P(A)" in page and "✔" in page


def test_each_side_opens_the_debate_on_half_the_items():
    items = items_from_frame(load_pool("debate_wordnet").head(400))
    share = np.mean([correct_speaks_first(item.id) for item in items])
    assert 0.43 < share < 0.57
    records = transcripts(ITEMS, SCRIPTED, Protocol("debate", rounds=1), seed=0)
    summary = summarize([{**r, "p_answer": [0.5, 0.5]} for r in records])
    assert 0 < summary["correct_spoke_first"] < 1  # both openings occur among these 12 items


class FavoursTheOpener:
    """A judge that backs whoever spoke first, whatever was said."""

    def predict(self, records):
        return np.array([0.9 if r["first_speaker"] == "A" else 0.1 for r in records])


def test_a_judge_that_favours_the_opening_speaker_shows_a_speaking_order_effect():
    """The answer-order effect cannot see it (each side opens in both answer orders); the speaking
    order effect does: right whenever the correct side opened, wrong whenever it did not."""
    records = transcripts(ITEMS, SCRIPTED, Protocol("debate", rounds=1), seed=0)
    judged = [{**r, "p_answer": [p, 1 - p]} for r, p in zip(records, FavoursTheOpener().predict(records))]
    summary = summarize(judged)
    assert summary["speaking_order_effect"] == 1.0
    assert summary["order_effect"] == 0.0
    fair = [{**r, "p_answer": [0.8, 0.2] if r["correct"] == 0 else [0.2, 0.8]} for r in records]
    assert summarize(fair)["speaking_order_effect"] == 0.0


def test_the_speaking_order_effect_has_an_interval_over_items_and_seeds():
    from w2s_lib.debate.experiment import ProtocolRun
    from w2s_lib.tables import protocol_table

    records = transcripts(ITEMS, SCRIPTED, Protocol("debate", rounds=1), seed=0)
    judged = [{**r, "p_answer": [p, 1 - p]} for r, p in zip(records, FavoursTheOpener().predict(records))]
    row = protocol_table([ProtocolRun("debate", 0, judged), ProtocolRun("debate", 1, judged)]).iloc[0]
    assert row["speaking_order_effect"] == 1.0
    assert row["speaking_order_effect_ci_low"] <= 1.0 <= row["speaking_order_effect_ci_high"]


def test_retrieval_shows_each_answers_top_sentences_without_the_contrast_term():
    from w2s_lib.debate.debaters import ExtractiveDebater, GenerativeDebater
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.models import get_ladder

    items = items_from_frame(load_pool("debate_wordnet").head(40))
    debater = ExtractiveDebater(UnitEmbeddings(get_ladder("smoke")[-1], items))
    protocol = Protocol("retrieval", rounds=2, quotes_per_round=1)
    assert protocol.debater_for(debater).key()["contrast"] == 0.0 and debater.contrast == 1.0
    records = transcripts(items, debater, protocol, seed=0)
    for r in records:  # both answers shown, as many sentences as a debate shows, counterbalanced openers
        assert sorted(t["side"] for t in r["turns"]) == ["A", "A", "B", "B"]
    for item in items[:5]:  # each answer's quotes: its own top two by the strong model's plain ranking
        record = next(r for r in records if r["id"] == item.id and r["order"] == 0)
        for answer in (0, 1):
            shown = [q["sentence"] for t in record["turns"] if t["answer"] == answer for q in t["quotes"]]
            ranking = list(np.argsort(-debater.retriever().support(item, answer), kind="stable")[:2])
            assert shown == ranking
    debate_records = transcripts(items, debater, Protocol("debate"), seed=0)
    assert any(a["turns"] != b["turns"] for a, b in zip(records, debate_records)), "the contrast term changes quotes"
    with pytest.raises(ValueError, match="extractive debater"):
        Protocol("retrieval").debater_for(GenerativeDebater("some-model"))


def test_a_judge_reading_the_passage_too_sees_the_quotes_and_the_passage():
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.debate.trained_judges import PairJudge
    from w2s_lib.models import get_ladder

    units = UnitEmbeddings(get_ladder("smoke")[0], ITEMS)
    records = transcripts(ITEMS, SCRIPTED, Protocol("debate"), seed=0)
    quotes_only = PairJudge(units).features(records)[0]
    passages = {item.id: list(item.sentences) for item in ITEMS}
    both = PairJudge(units, passages=passages).features(records)[0]
    assert both.shape[1] == 2 * quotes_only.shape[1]
    np.testing.assert_array_equal(both[:, : quotes_only.shape[1]], quotes_only)
    oracle = PairJudge(units).features(transcripts(ITEMS, SCRIPTED, Protocol("oracle"), seed=0))[0]
    np.testing.assert_allclose(both[:, quotes_only.shape[1]:], oracle, rtol=1e-6)
    assert PairJudge(units, passages=passages).key() != PairJudge(units).key()


def test_a_ladder_carries_its_debaters_contrast_and_its_judges_features(monkeypatch):
    from dataclasses import replace

    from w2s_lib.debate import debate_setup
    from w2s_lib.models import ladder

    weak, strong = ladder.get_ladder("smoke")
    monkeypatch.setitem(ladder.LADDERS, "smoke-tuned", (
        replace(weak, extra={**weak.extra, "judge": {"parts": ["blind", "prior", "quote"]}}),
        replace(strong, extra={**strong.extra, "debater": {"contrast": 2.0}})))
    tuned = debate_setup("debate_wordnet", "smoke", "smoke-tuned")
    plain = debate_setup("debate_wordnet", "smoke", "smoke")
    assert tuned.debater.contrast == 2.0 and plain.debater.contrast == 1.0
    assert tuned.make_judge(0).parts == ("blind", "prior", "quote") and len(plain.make_judge(0).parts) == 4
    assert tuned.debater.key() != plain.debater.key() and tuned.make_judge(0).key() != plain.make_judge(0).key()


def test_protocols_are_scored_on_plain_and_misleading_items_apart():
    from w2s_lib.debate.experiment import ProtocolRun
    from w2s_lib.tables import protocol_item_set_table

    pool = load_pool("debate_wordnet_misleading").head(30)
    items = items_from_frame(pool)
    tempting = dict(zip(pool["id"], pool["misleading_evidence"]))

    def quotes_the_tempting_sentence(item, answer, round_):
        """The correct side quotes the gold chain; the wrong side the misleading sentence, if any."""
        if answer == CORRECT:
            return list(item.gold_evidence)[round_ - 1:]
        return list(tempting[item.id]) or [i for i in range(len(item.sentences)) if i not in item.gold_evidence]

    records = transcripts(items, ScriptedDebater(quotes_the_tempting_sentence, name="tempting"),
                          Protocol("debate", rounds=1), seed=0)
    misleading = set(pool.loc[pool["item_set"] == "misleading", "id"])
    # a judge fooled by every misleading sentence and right on every plain item
    judged = [{**r, "p_answer": [0.2, 0.8] if (r["id"] in misleading) == (r["correct"] == 0) else [0.8, 0.2]}
              for r in records]
    blind = [{**r, "turns": [], "p_answer": [0.5, 0.5]} for r in records]
    runs = [ProtocolRun(p, seed, rs) for seed in (0, 1) for p, rs in (("debate", judged), ("blind", blind))]
    table, comparisons = protocol_item_set_table(runs, pool[["id", "item_set", "misleading_kind", "misleading_evidence"]])
    rows = table.set_index(["variant", "item_set"])
    assert rows.loc[("debate", "plain"), "acc"] == 1.0 and rows.loc[("debate", "misleading"), "acc"] == 0.0
    assert rows.loc[("debate", "misleading"), "n_items"] == len(misleading)
    assert rows.loc[("debate", "misleading"), "misleading_quoted_by_wrong"] == 1.0
    kinds = pool.loc[pool["item_set"] == "misleading", "misleading_kind"].value_counts()
    for kind, n in kinds.items():  # each kind of misleading sentence is a set of its own too
        assert rows.loc[("debate", f"misleading: {kind}"), "n_items"] == n
    assert np.isnan(rows.loc[("blind", "misleading")].get("misleading_quoted_by_wrong", np.nan))
    by = comparisons.set_index(["comparison", "item_set"])
    gap = by.loc[("debate: misleading − plain", "both")]
    assert gap["difference"] == -1.0 and gap["excludes 0"]
    assert by.loc[("debate − blind", "plain"), "difference"] == 0.5
    assert by.loc[("debate − blind", "misleading"), "difference"] == -0.5
    from w2s_lib.findings import item_set_findings

    text = item_set_findings(table, comparisons, "smoke", [0, 1])
    assert "quotes the misleading sentence on 100% of those items" in text
    assert "debate: misleading − plain: -100.0 points" in text and "debate − blind (plain items): +50.0 points" in text


def _trained_pair_judge(items, seed=0):
    from w2s_lib.debate.debaters import ExtractiveDebater
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.debate.trained_judges import PairJudge
    from w2s_lib.models import get_ladder

    rungs = get_ladder("smoke")
    debater = ExtractiveDebater(UnitEmbeddings(rungs[-1], items))
    judge = PairJudge(UnitEmbeddings(rungs[-2], items), seed=seed)
    judge.fit(transcripts(items, debater, Protocol("debate"), seed=0))
    return debater, judge


def test_a_best_responding_debater_quotes_the_set_the_judge_scores_highest_for_its_side():
    from itertools import combinations

    from w2s_lib.debate.best_response import BestResponseDebater

    items = items_from_frame(load_pool("debate_wordnet_misleading").head(60))
    extractive, judge = _trained_pair_judge(items)
    best = BestResponseDebater(judge, rounds=2)
    for item in items[:4]:  # exhaustively: no set of at most 2 sentences scores higher
        for answer in (0, 1):
            plan = best.plan(item, answer, k=1)
            top = max(best.side_score(item, answer, s) for size in (1, 2)
                      for s in combinations(range(len(item.sentences)), size))
            assert best.side_score(item, answer, plan) == top
    protocol = Protocol("debate", rounds=2, quotes_per_round=1)
    against_best = transcripts(items, best, protocol, seed=0)
    against_rule = transcripts(items, extractive, protocol, seed=0)
    assert all(q["verified"] for r in against_best for t in r["turns"] for q in t["quotes"])
    p_best, p_rule = judge.predict(against_best), judge.predict(against_rule)
    # the wrong side, best-responding, gets at least the judge's belief the fixed rule got it
    wrong_best = [1 - p if r["correct"] == 0 else p for r, p in zip(against_best, p_best)]
    wrong_rule = [1 - p if r["correct"] == 0 else p for r, p in zip(against_rule, p_rule)]
    assert np.mean(wrong_best) > np.mean(wrong_rule)
    assert best.key()["judge_weights"] != BestResponseDebater(_trained_pair_judge(items, seed=1)[1], 2).key()["judge_weights"]


def _small_setup(n: int):
    """A debate setup over the first ``n`` items of smoke's A and test only (embedding the whole
    universe, as debate_setup does, takes most of a minute on 2 cores)."""
    from w2s_lib.data.splits import make_splits, sizes_for_preset
    from w2s_lib.debate.debaters import ExtractiveDebater
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.debate.experiment import DebateSetup
    from w2s_lib.debate.trained_judges import PairJudge
    from w2s_lib.models import get_ladder

    splits = make_splits("debate_wordnet", 0, sizes_for_preset("debate_wordnet", "smoke"))
    ids = set(splits.A["id"].iloc[:n]) | set(splits.test["id"].iloc[:n])
    pool = load_pool("debate_wordnet")
    items = items_from_frame(pool[pool["id"].isin(ids)])
    weak, strong = get_ladder("smoke")
    units = UnitEmbeddings(weak, items)
    return DebateSetup(ExtractiveDebater(UnitEmbeddings(strong, items)), lambda seed: PairJudge(units, seed=seed),
                       strong, weak, {i.id: i for i in items})


def test_judges_retrained_against_best_responses_are_scored_each_round_with_intervals():
    from w2s_lib.debate.best_response import best_response_rounds
    from w2s_lib.tables import best_response_table

    setup = _small_setup(80)
    rows, scores = best_response_rounds(setup, "debate_wordnet", "smoke", [0], [Protocol("consultancy")], n_rounds=2,
                                        max_items=80)
    assert [(r, j) for r, j in zip(rows["round"], rows["judge"])] == \
        [(0, "retrained"), (1, "previous"), (1, "retrained"), (2, "previous"), (2, "retrained")]
    table = best_response_table(rows, scores).set_index(["round", "judge"])
    assert table.loc[(0, "retrained"), "minus_round_0"] == 0
    for key, row in table.iterrows():
        assert row["acc_ci_low"] <= row["acc"] <= row["acc_ci_high"]
        assert row["acc"] == pytest.approx(scores[("consultancy", 0, *key)].mean())
    from w2s_lib.findings import best_response_findings

    from w2s_lib.tables import best_response_comparisons

    assert best_response_comparisons(rows, scores).empty, "one protocol: nothing to compare"
    both = pd.concat([rows, rows.assign(protocol="debate")])
    twice = {**scores, **{("debate", *k[1:]): v - 0.25 for k, v in scores.items()}}
    compared = best_response_comparisons(both, twice)
    assert len(compared) == 5 and np.allclose(compared["difference"], -0.25)
    text = best_response_findings(table.reset_index(), "smoke", [0], compared)
    assert "Round 2, the retrained judge: debate − consultancy -25.0 points" in text
    assert "**consultancy**, round 0" in text and "Round 2, best responses: the judge they best-respond to" in text
    with pytest.raises(ValueError, match="debate or consultancy"):
        best_response_rounds(setup, "debate_wordnet", "smoke", [0], [Protocol("blind")], n_rounds=1)


def test_best_responses_need_a_pair_judge():
    from w2s_lib.notebook_params import DebateParams

    with pytest.raises(ValueError, match="best_response_rounds: debaters best-respond to a pair judge"):
        DebateParams(judge="text", best_response_rounds=2)
    assert DebateParams(judge="text", best_response_rounds=0).judge == "text"


def test_the_viewer_shows_who_opened_the_judges_belief_each_round_and_filters_by_verdict():
    from w2s_lib.debate.viewer import debate_viewer, filtered_ids, item_html

    items = items_from_frame(load_pool("debate_wordnet").head(40))
    extractive, _ = _trained_pair_judge(items)
    from w2s_lib.debate.embeddings import UnitEmbeddings
    from w2s_lib.debate.trained_judges import PairJudge
    from w2s_lib.models import get_ladder

    units = UnitEmbeddings(get_ladder("smoke")[0], items)
    protocol = Protocol("debate", rounds=2, quotes_per_round=1)
    judged = judged_test(items[:30], items[30:], extractive, lambda seed: PairJudge(units, seed=seed), protocol, 0)
    assert all(len(r["p_a_by_round"]) == 2 and r["p_a_by_round"][-1] == r["p_answer"][0] for r in judged)
    # the belief after round 1 is the judge's verdict on the transcript cut after round 1
    cut = [{**r, "turns": [t for t in r["turns"] if t["round"] == 1]} for r in judged]
    judge = PairJudge(units, seed=0).fit(transcripts(items[:30], extractive, protocol, 0))
    np.testing.assert_allclose([r["p_a_by_round"][0] for r in judged], judge.predict(cut), rtol=1e-6)

    right, wrong = filtered_ids(judged, "judge right"), filtered_ids(judged, "judge wrong")
    assert right and not set(right) & set(wrong) and set(right) | set(wrong) <= set(filtered_ids(judged))
    item = next(i for i in items[30:] if i.id == right[0])
    page = item_html(item, judged, title="debate")
    assert "opens: debater" in page and "judge after each round: r1 P(A) = " in page and "✔" in page
    first_round = item_html(item, judged, up_to_round=1)
    assert "round 2, debater" not in first_round and "round 1, debater" in first_round
    with pytest.raises(ValueError, match="accepted: all items, judge right, judge wrong"):
        filtered_ids(judged, "judge unsure")
    viewer = debate_viewer({i.id: i for i in items}, {"debate": judged})
    assert "item(s)" in viewer.children[1].children[2].value


def test_a_long_passage_is_searched_greedily_and_still_gains_on_every_step(monkeypatch):
    from w2s_lib.debate import best_response

    items = items_from_frame(load_pool("debate_wordnet_misleading").head(60))
    _, judge = _trained_pair_judge(items)
    monkeypatch.setattr(best_response, "EXHAUSTIVE_SUBSETS", 3)  # every passage counts as long
    debater = best_response.BestResponseDebater(judge, rounds=2)
    for item in items[:4]:
        plan = debater.plan(item, 0, k=1)
        assert 1 <= len(plan) <= 2 and len(set(plan)) == len(plan)
        alone = max(debater.side_score(item, 0, (i,)) for i in range(len(item.sentences)))
        assert debater.side_score(item, 0, tuple(sorted(plan))) >= alone
