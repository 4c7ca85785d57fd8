"""Debaters that best-respond to the judge, and judges retrained against them.

A fixed scoring rule (the extractive debater) does not *try* to win. Debate's argument is about
what happens when both sides do: does the honest side win when each debater says whatever the
judge will believe most? Here a debater knows the current judge (white-box) and, for its answer,
chooses the set of passage sentences — at most ``rounds × quotes_per_round``, all verified quotes —
that maximises the judge's probability for its side: an exhaustive search over the passage's
subsets. The :class:`~w2s_lib.debate.trained_judges.PairJudge` scores each side apart,
P(A) = σ(r(A) − r(B)), so each side's best response does not depend on what the other says.

Retraining (:func:`best_response_rounds`): round 0 is the ordinary judge against the extractive
debaters; in round t ≥ 1 the debaters best-respond to judge t − 1, judge t − 1 is scored on their
test transcripts (how much the best response takes from it), and judge t trains on A's transcripts
of the same debaters and is scored too (what retraining wins back).
"""
from __future__ import annotations

import hashlib
from itertools import combinations
from math import comb
from typing import Sequence

import numpy as np
import pandas as pd

from .debaters import Debater, quote_sentences
from .embeddings import relation_features
from .items import DebateItem
from .protocols import Protocol


def _weights_digest(judge) -> str:
    probe = judge.probe
    h = hashlib.sha256()
    for part in (probe.weight, probe.bias, probe.mean, probe.scale):
        h.update(np.ascontiguousarray(part, dtype=np.float32).tobytes())
    return h.hexdigest()[:16]


EXHAUSTIVE_SUBSETS = 5_000  # above this many candidate sets a passage is searched greedily


class BestResponseDebater(Debater):
    """Quotes the sentences that maximise a trained pair judge's score for its answer (see the
    module docstring); the best set is revealed best sentence first, ``k`` a round."""

    def __init__(self, judge, rounds: int, name: str = ""):
        if getattr(judge, "probe", None) is None or not hasattr(judge, "units"):
            raise ValueError("a best-responding debater needs a trained pair judge (PairJudge after fit())")
        self.judge, self.rounds, self.name = judge, rounds, name
        self._plans: dict[tuple[str, int, int], list[int]] = {}

    def key(self) -> dict:
        return {"kind": "best_response", "judge": self.judge.key(), "judge_weights": _weights_digest(self.judge),
                "rounds": self.rounds, "exhaustive_up_to": EXHAUSTIVE_SUBSETS, **({"name": self.name} if self.name else {})}

    def side_score(self, item: DebateItem, answer: int, sentences: Sequence[int]) -> float:
        """The judge's score r(side) for ``answer`` when its side has quoted ``sentences``."""
        judge = self.judge
        feats = relation_features(judge.units, item.question, item.answer(answer),
                                  [item.sentences[i] for i in sentences], judge.parts, judge.temperature)
        return float(judge.probe.outputs(feats[None, :])[0, 0])

    def plan(self, item: DebateItem, answer: int, k: int) -> list[int]:
        """The best set of at most ``rounds × k`` sentences for ``answer``, best single one first:
        exhaustive while the passage has at most :data:`EXHAUSTIVE_SUBSETS` such sets (every
        ``micro`` item), else greedy (add the sentence that raises the score most, while one does)."""
        key = (item.id, answer, k)
        if key not in self._plans:
            n = len(item.sentences)
            budget = min(n, self.rounds * k)
            if sum(comb(n, size) for size in range(1, budget + 1)) <= EXHAUSTIVE_SUBSETS:
                subsets = [s for size in range(1, budget + 1) for s in combinations(range(n), size)]
                scores = [self.side_score(item, answer, s) for s in subsets]
                best = subsets[int(np.argmax(scores))]  # ties: the first (smallest, lowest indices)
            else:
                best = self._greedy(item, answer, budget)
            alone = {i: self.side_score(item, answer, (i,)) for i in best}
            self._plans[key] = sorted(best, key=lambda i: (-alone[i], i))
        return self._plans[key]

    def _greedy(self, item: DebateItem, answer: int, budget: int) -> tuple[int, ...]:
        chosen: tuple[int, ...] = ()
        score = -np.inf
        while len(chosen) < budget:
            options = [(self.side_score(item, answer, tuple(sorted(chosen + (i,)))), i)
                       for i in range(len(item.sentences)) if i not in chosen]
            best_score, best = max(options, key=lambda o: (o[0], -o[1]))
            if best_score <= score:
                break
            chosen, score = tuple(sorted(chosen + (best,))), best_score
        return chosen

    def argue(self, items, answers, histories, k, round_):
        out = []
        for item, answer in zip(items, answers):
            shown = self.plan(item, answer, k)[(round_ - 1) * k: round_ * k]
            out.append(quote_sentences(item, answer, shown))
        return out


def best_response_rounds(setup, task: str, preset: str, seeds: Sequence[int], protocols: Sequence[Protocol],
                         n_rounds: int = 3, store=None, max_items: int = 0) -> tuple[pd.DataFrame, dict]:
    """Judges retrained against best-responding debaters, ``n_rounds`` rounds after round 0, per
    seed and protocol (``debate``, ``consultancy``). Returns one row per (protocol, seed, round,
    judge) — ``judge``: ``previous`` (the judge the debaters best-responded to) or ``retrained`` —
    with the accuracy and evidence statistics of :func:`~w2s_lib.debate.experiment.summarize`, and
    the per-item scores (both orders averaged, items in id order) of each row, for intervals."""
    from ..progress import progress
    from .experiment import debate_splits, item_scores, summarize
    from .transcripts import transcripts

    rows, scores = [], {}
    jobs = [(seed, p) for seed in seeds for p in protocols]
    for seed, protocol in progress(jobs, desc="best-response rounds", leave=True):
        if protocol.name not in ("debate", "consultancy"):
            raise ValueError(f"best responses need debaters who argue a side: debate or consultancy, "
                             f"not {protocol.name!r}")
        train, test = debate_splits(task, preset, seed, setup, max_items)
        debater = setup.debater
        judge = setup.make_judge(seed).fit(transcripts(train, debater, protocol, seed, store))
        for round_ in range(n_rounds + 1):
            if round_ > 0:
                debater = BestResponseDebater(judge, protocol.rounds, name=f"round {round_}")
            test_records = transcripts(test, debater, protocol, seed, store)
            evaluated = [("previous", judge)] if round_ > 0 else [("retrained", judge)]
            if round_ > 0:
                judge = setup.make_judge(seed).fit(transcripts(train, debater, protocol, seed, store))
                evaluated.append(("retrained", judge))
            for which, j in evaluated:
                p = np.asarray(j.predict(test_records), dtype=float)
                judged = [{**r, "p_answer": [float(a), float(1 - a)]} for r, a in zip(test_records, p)]
                summary = summarize(judged)
                rows.append({"protocol": protocol.name, "seed": seed, "round": round_, "judge": which,
                             "debaters": "extractive" if round_ == 0 else f"best response to judge {round_ - 1}",
                             **{k: v for k, v in summary.items() if isinstance(v, (int, float))}})
                scores[(protocol.name, seed, round_, which)] = item_scores(judged)
    return pd.DataFrame(rows), scores
