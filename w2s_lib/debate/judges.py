"""Judges: from a transcript to P(answer A is correct).

* :class:`LMJudge` — a causal LM reads the transcript through a prompt template
  (``templates/judge.txt``) and writes a verdict, "Answer: A" or "Answer: B". Verdicts that do
  not parse are counted; above ``max_unparseable`` (a share of the records) the judge raises
  instead of silently scoring them as wrong; below it they count as abstentions (P = 0.5).
  With ``verdict="logprob"`` the probability is the LM's next-token choice between "A" and
  "B" after "Answer:", which always parses.
* Trained weak judges (a weak rung trained on ground truth of A with the transcript as context)
  are in :mod:`.trained_judges`.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .transcripts import render

VERDICT = re.compile(r"\banswer\b\s*(?:is\s*)?[:：]?\s*\(?\s*\"?([AB])\b", flags=re.I)
BARE = re.compile(r"^\s*\(?\"?([AB])\b")


class UnparseableVerdictsError(RuntimeError):
    """Too many verdicts could not be read; counting them as wrong would hide a broken judge."""


def parse_verdict(text: str) -> int | None:
    """0 for A, 1 for B, ``None`` when the text names neither clearly."""
    found = VERDICT.search(text) or BARE.search(text)
    return None if found is None else "AB".index(found.group(1).upper())


def verdict_probabilities(texts: Sequence[str], max_unparseable: float) -> tuple[np.ndarray, dict]:
    """P(A) per verdict text (1, 0, or 0.5 when unparseable) and a report; raises above the rate."""
    parsed = [parse_verdict(t) for t in texts]
    bad = [i for i, v in enumerate(parsed) if v is None]
    report = {"n": len(texts), "unparseable": len(bad), "unparseable_rate": len(bad) / max(1, len(texts))}
    if texts and report["unparseable_rate"] > max_unparseable:
        examples = "; ".join(repr(texts[i][:80]) for i in bad[:3])
        raise UnparseableVerdictsError(
            f"{len(bad)} of {len(texts)} verdicts did not parse ({report['unparseable_rate']:.0%} > the allowed "
            f"{max_unparseable:.0%}), e.g. {examples}; fix the judge's prompt or model, or raise max_unparseable")
    return np.array([0.5 if v is None else 1.0 - v for v in parsed]), report


class LMJudge:
    """A causal LM as judge (zero-shot); see the module docstring."""

    def __init__(self, source: str, template: str = "judge", verdict: str = "generate",
                 max_unparseable: float = 0.1, max_new_tokens: int = 12, batch_size: int = 8):
        from .debaters import load_template

        if verdict not in ("generate", "logprob"):
            raise ValueError(f"verdict must be 'generate' or 'logprob', got {verdict!r}")
        self.source, self.template = source, load_template(template)
        self.verdict, self.max_unparseable = verdict, max_unparseable
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.report: dict = {}
        self._lm = None

    def key(self) -> dict:
        from ..models.sources import identity

        return {"kind": "lm", "model": identity(self.source), "template": self.template, "verdict": self.verdict,
                "max_new_tokens": self.max_new_tokens}

    def fit(self, records: Sequence[dict]) -> "LMJudge":
        """A zero-shot judge learns nothing from A's transcripts."""
        return self

    def prompts(self, records: Sequence[dict]) -> list[str]:
        return [self.template.format(transcript=render(r)) for r in records]

    def predict(self, records: Sequence[dict]) -> np.ndarray:
        from .lm import CausalLM

        if self._lm is None:
            self._lm = CausalLM(self.source)
        prompts = self.prompts(records)
        if self.verdict == "logprob":
            probs = self._lm.next_token_probs([p + "\nAnswer:" for p in prompts], [" A", " B"], self.batch_size)
            self.report = {"n": len(records), "unparseable": 0, "unparseable_rate": 0.0}
            return probs[:, 0]
        texts = self._lm.generate(prompts, self.max_new_tokens, batch_size=self.batch_size)
        p, self.report = verdict_probabilities(texts, self.max_unparseable)
        return p
