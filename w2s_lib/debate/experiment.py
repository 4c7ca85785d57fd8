"""Running protocols on a task's splits: judges trained on A's transcripts, scored on test.

Everything is an artifact: transcripts (by shard), and the judged test records of each
(protocol, judge, seed), so a rerun reads them back and an interrupted run resumes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..progress import progress
from ..store import ArtifactSpec, ArtifactStore, default_store
from .items import DebateItem, items_fingerprint
from .protocols import Protocol
from .transcripts import quoted_sentences, transcripts

VERDICTS_VERSION = 3  # 2: judges train by the closed-form gradient; 3: the judge's belief after each round too


def debate(items: Sequence[DebateItem], debater, judge, protocol: Protocol, seed: int = 0,
           store: ArtifactStore | None = None) -> list[dict]:
    """**D**, the debate function: transcripts of ``items`` under ``protocol`` (both answer
    orders) and the trained ``judge``'s probability for each answer, ``p_answer = [P(A), P(B)]``."""
    records = transcripts(items, debater, protocol, seed, store)
    p_a = np.asarray(judge.predict(records), dtype=float)
    return [{**r, "p_answer": [float(p), float(1 - p)]} for r, p in zip(records, p_a)]


def judged_test(train_items: Sequence[DebateItem], test_items: Sequence[DebateItem], debater,
                make_judge: Callable[[int], object], protocol: Protocol, seed: int,
                store: ArtifactStore | None = None) -> list[dict]:
    """Train a judge on ``train_items``' transcripts (ground truth of A) and run D on ``test_items``.

    The judged records are stored: keyed by the judge, the debater, the protocol, both item
    sets and the seed."""
    store = store or default_store()
    judge = make_judge(seed)
    spec = ArtifactSpec("debate_verdicts", VERDICTS_VERSION,
                        {"judge": judge.key(), "protocol": protocol.key(),
                         "debater": protocol.debater_for(debater).key() if protocol.has_debaters else None,
                         "train_items": items_fingerprint(train_items), "test_items": items_fingerprint(test_items)},
                        seed=seed)

    rounds = range(1, protocol.rounds) if protocol.has_debaters else range(0)

    def build(tmp: Path) -> dict:
        judge.fit(transcripts(train_items, debater, protocol, seed, store))
        judged = debate(test_items, debater, judge, protocol, seed, store)
        columns = {"id": [r["id"] for r in judged], "order": [r["order"] for r in judged],
                   "p_a": [r["p_answer"][0] for r in judged]}
        for round_ in rounds:  # what the judge believed after each earlier round (the viewer shows it)
            columns[f"p_a_round_{round_}"] = judge.predict(
                [{**r, "turns": [t for t in r["turns"] if t["round"] <= round_]} for r in judged])
        pd.DataFrame(columns).to_parquet(tmp / "verdicts.parquet", index=False)
        summary = summarize(judged)
        return {k: v for k, v in summary.items() if isinstance(v, (int, float))}

    art = store.get_or_build(spec, build)
    verdicts = pd.read_parquet(art.file("verdicts.parquet")).set_index(["id", "order"])
    records = transcripts(test_items, debater, protocol, seed, store)
    out = []
    for r in records:
        row = verdicts.loc[(r["id"], r["order"])]
        by_round = [float(row[f"p_a_round_{k}"]) for k in rounds] + [float(row["p_a"])]
        out.append({**r, "p_answer": [float(row["p_a"]), float(1 - row["p_a"])],
                    "p_a_by_round": by_round if protocol.has_debaters else []})
    return out


def record_score(record: dict) -> float:
    """1 when the judge favours the correct answer, 0 when the wrong one, ½ on a tie."""
    p_correct = record["p_answer"][record["correct"]]
    return 1.0 if p_correct > 0.5 else 0.5 if p_correct == 0.5 else 0.0


def item_scores(records: Sequence[dict]) -> np.ndarray:
    """The judge's score on each item, both answer orders averaged (1 right, 0 wrong, ½ a tie),
    items in id order: what every interval over test items resamples."""
    frame = pd.DataFrame({"id": [r["id"] for r in records], "score": [record_score(r) for r in records]})
    return frame.groupby("id")["score"].mean().sort_index().to_numpy()


def summarize(records: Sequence[dict]) -> dict:
    """Accuracy over both orders, each answer order's accuracy and their difference (``order_effect``),
    where debaters spoke: the accuracy when the correct side spoke first and when it spoke second
    (``speaking_order_effect``: what a judge that favours the opening speaker shows), and the
    evidence shown."""
    frame = pd.DataFrame({"id": [r["id"] for r in records], "order": [r["order"] for r in records],
                          "score": [record_score(r) for r in records]})
    by_order = frame.groupby("order")["score"].mean()
    out = {"acc": float(frame["score"].mean()), "acc_correct_first": float(by_order.get(0, np.nan)),
           "acc_correct_second": float(by_order.get(1, np.nan)), "n_items": int(frame["id"].nunique())}
    out["order_effect"] = out["acc_correct_first"] - out["acc_correct_second"]
    spoke = [r for r in records if len({t["side"] for t in r["turns"]}) == 2]  # two debaters
    if spoke:  # who opened the debate: the correct side on about half the items
        opened = np.array([r["first_speaker"] == "AB"[r["correct"]] for r in spoke])
        scores = np.array([record_score(r) for r in spoke])
        out["correct_spoke_first"] = float(opened.mean())
        out["acc_correct_spoke_first"] = float(scores[opened].mean()) if opened.any() else np.nan
        out["acc_correct_spoke_second"] = float(scores[~opened].mean()) if (~opened).any() else np.nan
        out["speaking_order_effect"] = out["acc_correct_spoke_first"] - out["acc_correct_spoke_second"]
    first = [r for r in records if r["order"] == 0]  # the same quotes in both orders
    if first and any(r["turns"] for r in first):
        for who, side in (("correct", "A"), ("wrong", "B")):
            spoke = [r for r in first if any(t["side"] == side for t in r["turns"])]
            gold = [bool(set(quoted_sentences(r, side)) & set(r["gold_evidence"])) for r in spoke]
            out[f"gold_quoted_by_{who}"] = float(np.mean(gold)) if gold else float("nan")
        checks = [q["verified"] for r in first for t in r["turns"] for q in t["quotes"]]
        out["quotes_verified"] = float(np.mean(checks)) if checks else float("nan")
        # a debater's turn that holds a quote at all (what a model that writes text can fail to do)
        out["turns_with_quote"] = float(np.mean([bool(t["quotes"]) for r in first for t in r["turns"]]))
    return out


@dataclass
class ProtocolRun:
    protocol: str
    seed: int
    records: list[dict]
    writing_s: float = float("nan")  # seconds the debaters took to write A's and test's transcripts, when built

    def summary(self) -> dict:
        return {"protocol": self.protocol, "seed": self.seed, **summarize(self.records)}

    def seconds_per_item(self) -> float:
        """The debaters' writing time (A's transcripts and test's, as recorded when they were built)
        over the test items: a measurement, never part of a results table that must come out the
        same on every run."""
        return self.writing_s / max(len({r["id"] for r in self.records}), 1)


# ----------------------------------------------------------------------------- a task's protocols

@dataclass
class DebateSetup:
    """Who debates and who judges, built once for a task's whole universe of items."""

    debater: object
    make_judge: Callable[[int], object]
    strong: object          # the debaters' rung (extractive) or model name (generative)
    weak: object            # the judge's rung
    items: dict             # id -> DebateItem, every item any split of any seed can hold


def debate_setup(task: str, preset: str, ladder: str, judge: str = "pair", judge_rung: str = "",
                 debater: str = "extractive", store: ArtifactStore | None = None,
                 debater_template: str = "debater") -> DebateSetup:
    """The strongest rung of ``ladder`` debates (``extractive``) — or a causal LM named by
    ``debater`` writes the arguments — and a weaker rung judges: ``judge_rung`` or, by default,
    the rung below the strongest. ``judge``: ``pair`` (frozen features + probe), ``text``
    (finetuned on the transcript) or ``lm`` (zero-shot, the judge rung must be a causal LM).
    ``debater_template``: the prompt template a generative debater writes from."""
    from ..data.registry import get_task
    from ..data.splits import sizes_for_preset, universe_parts
    from ..models.ladder import get_ladder
    from .debaters import ExtractiveDebater, GenerativeDebater
    from .embeddings import UnitEmbeddings
    from .items import items_from_frame
    from .judges import LMJudge
    from .trained_judges import PAIR_PARTS, PairJudge, TextJudge

    rungs = get_ladder(ladder)
    tiny = [r.name for r in rungs if r.family == "tiny_gpt2"]
    if tiny and get_task(task).separate_corpus:  # debate units read the shared corpus's tiny rungs
        raise ValueError(f"task {task!r} is not kept out of the shared pretraining corpus (it has a corpus of its "
                         f"own), so the tiny rungs {tiny} may have read its test items; debate it with MiniLM or hub "
                         "rungs, e.g. ladder 'micro-debate'")
    by_name = {r.name: r for r in rungs}
    weak = by_name[judge_rung] if judge_rung else rungs[-2]
    # the working pool and test set, then (when choosing on dev) the dev set, embedded apart
    base, *dev = (items_from_frame(frame) for frame in universe_parts(task, sizes_for_preset(task, preset)))
    extra = dev[0] if dev else []
    universe = base + extra
    if debater == "extractive":
        contrast = rungs[-1].extra.get("debater", {}).get("contrast", 1.0)  # a ladder may set it (micro-debate)
        debater_obj = ExtractiveDebater(UnitEmbeddings(rungs[-1], base, store=store, extra_items=extra), contrast)
        strong = rungs[-1]
    else:
        debater_obj, strong = GenerativeDebater(debater, template=debater_template), debater
    if judge == "pair":
        units = UnitEmbeddings(weak, base, store=store, extra_items=extra)
        parts = weak.extra.get("judge", {}).get("parts", PAIR_PARTS)  # a ladder may set them (micro-debate)
        make_judge = lambda seed: PairJudge(units, parts, seed=seed)  # noqa: E731
    elif judge == "text":
        make_judge = lambda seed: TextJudge(weak, seed=seed, store=store)  # noqa: E731
    elif judge == "lm":
        make_judge = lambda seed: LMJudge(weak.source)  # noqa: E731
    else:
        raise ValueError(f"unknown judge {judge!r}; accepted: pair, text, lm")
    return DebateSetup(debater_obj, make_judge, strong, weak, {i.id: i for i in universe})


def debate_splits(task: str, preset: str, seed: int, setup: DebateSetup, max_items: int = 0
                  ) -> tuple[list[DebateItem], list[DebateItem]]:
    """The items of split A (the judge's training set) and of the fixed test set, the first
    ``max_items`` of each when it is above 0 (for debaters too slow for whole splits)."""
    from ..data.splits import make_splits, sizes_for_preset

    splits = make_splits(task, seed, sizes_for_preset(task, preset))
    cut = slice(None, max_items or None)
    return ([setup.items[i] for i in splits.A["id"].iloc[cut]], [setup.items[i] for i in splits.test["id"].iloc[cut]])


def run_protocols(task: str, preset: str, seeds: Sequence[int], protocols: Sequence[Protocol],
                  setup: DebateSetup, store: ArtifactStore | None = None, max_items: int = 0) -> list[ProtocolRun]:
    """Every protocol and seed: a judge trained on A's transcripts, D on the fixed test set
    (at most ``max_items`` of each, when above 0)."""
    from .transcripts import writing_seconds

    runs = []
    jobs = [(seed, p) for seed in seeds for p in protocols]
    for seed, protocol in progress(jobs, desc="protocols x seeds", leave=True):
        train, test = debate_splits(task, preset, seed, setup, max_items)
        records = judged_test(train, test, setup.debater, setup.make_judge, protocol, seed, store)
        writing = (sum(writing_seconds(part, setup.debater, protocol, seed, store) for part in (train, test))
                   if protocol.has_debaters else 0.0)
        runs.append(ProtocolRun(protocol.name, seed, records, writing))
    return runs
