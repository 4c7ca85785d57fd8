"""Debaters: given items and the answer each must defend, write an argument with quotes.

One interface, three back-ends:

* :class:`ExtractiveDebater` — a strong model picks the passage sentences that best support
  its answer (by its embeddings of the sentences, the question and both answers), ``k`` new
  ones a round; it runs on the ``micro`` ladder;
* :class:`GenerativeDebater` — any Hugging Face causal LM (a local folder or a hub name)
  writes an argument from a prompt template kept as a data file, quoting with
  ``<quote>…</quote>``; at ``paper`` scale an instruct model;
* :class:`ScriptedDebater` — deterministic choices given as a function, for tests.

Arguments are plain text; quotes are checked afterwards by :mod:`.quotes`, whatever wrote them.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from importlib import resources
from typing import Callable, Sequence

import numpy as np

from .items import DebateItem

TEMPLATE_PACKAGE = "w2s_lib.debate.templates"


def load_template(name: str) -> str:
    """A prompt template by file name (``templates/<name>.txt``) or a path to one's own."""
    from pathlib import Path

    if Path(name).suffix == ".txt" and Path(name).exists():
        return Path(name).read_text()
    try:
        return resources.files(TEMPLATE_PACKAGE).joinpath(f"{name}.txt").read_text()
    except FileNotFoundError:
        known = sorted(p.name.removesuffix(".txt") for p in resources.files(TEMPLATE_PACKAGE).iterdir()
                       if p.name.endswith(".txt"))
        raise ValueError(f"no prompt template {name!r}; shipped: {', '.join(known)}, or a path to a .txt file") \
            from None


def quoted_by(history: Sequence[dict], answer: int) -> set[int]:
    """Sentences the debater of ``answer`` has already shown."""
    return {q["sentence"] for t in history if t["answer"] == answer for q in t["quotes"] if q["sentence"] is not None}


def quote_sentences(item: DebateItem, answer: int, indices: Sequence[int]) -> str:
    quotes = " ".join(f"<quote>{item.sentences[i]}</quote>" for i in indices)
    return f"The answer is {item.answer(answer)}. Evidence: {quotes}" if quotes else \
        f"The answer is {item.answer(answer)}."


class Debater(ABC):
    """Writes one argument per (item, answer) for a round, given what was said before."""

    stochastic = False  # True when the same inputs can give different arguments (sampling)

    @abstractmethod
    def key(self) -> dict:
        """What determines the arguments (part of the transcripts' artifact key)."""

    @abstractmethod
    def argue(self, items: Sequence[DebateItem], answers: Sequence[int], histories: Sequence[Sequence[dict]],
              k: int, round_: int) -> list[str]:
        """One argument per item, for ``answers[i]`` of ``items[i]``, showing at most ``k`` quotes."""


class ScriptedDebater(Debater):
    """Quotes the sentences ``choose(item, answer, round)`` names, in that order (tests, baselines)."""

    def __init__(self, choose: Callable[[DebateItem, int, int], Sequence[int]], name: str = "scripted"):
        self.choose, self.name = choose, name

    def key(self) -> dict:
        return {"kind": "scripted", "name": self.name}

    def argue(self, items, answers, histories, k, round_):
        return [quote_sentences(item, answer, list(self.choose(item, answer, round_))[:k])
                for item, answer in zip(items, answers)]


class ExtractiveDebater(Debater):
    """A strong rung quotes the ``k`` not yet quoted sentences that best support its answer.

    With the rung's embeddings (``units``, a :class:`~w2s_lib.debate.embeddings.UnitEmbeddings`),
    a sentence s scores, for answer a against the other answer b,

        cos(s, question) + cos(s, a) + contrast · (cos(s, a) − cos(s, b))

    — about the question, about my answer, and more about mine than the other one. Without
    the contrast term the debater for the wrong answer quotes the gold sentence too (it is the
    one most about the question).
    """

    def __init__(self, units, contrast: float = 1.0, temperature: float = 0.0, sample: int = 0):
        self.units, self.contrast, self.temperature, self.sample = units, contrast, temperature, sample
        self.stochastic = temperature > 0

    def key(self) -> dict:
        return {"kind": "extractive", "rung": self.units.rung.key_config(), "contrast": self.contrast,
                **({"temperature": self.temperature, "sample": self.sample} if self.stochastic else {})}

    def retriever(self) -> "ExtractiveDebater":
        """The same ranking without the contrast term: the sentences most about the question and
        the answer, whatever they say of the other answer (the ``retrieval`` control)."""
        return ExtractiveDebater(self.units, 0.0, self.temperature, self.sample)

    def sampled(self, temperature: float, sample: int) -> "ExtractiveDebater":
        """The same debater choosing among its best sentences at random (Gumbel top-k with the
        support / ``temperature`` as logits): another transcript sample, reproducible by ``sample``."""
        return ExtractiveDebater(self.units, self.contrast, temperature, sample)

    def _order(self, item: DebateItem, answer: int, round_: int) -> np.ndarray:
        support = self.support(item, answer)
        if self.stochastic:
            import hashlib

            digest = hashlib.sha1(f"{self.sample}:{item.id}:{answer}:{round_}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
            support = support / self.temperature + rng.gumbel(size=len(support))
        return np.argsort(-support, kind="stable")

    def support(self, item: DebateItem, answer: int) -> np.ndarray:
        s = self.units(list(item.sentences))
        q, a, b = self.units([item.question, item.answer(answer), item.answer(1 - answer)])
        return s @ q + s @ a + self.contrast * (s @ a - s @ b)

    def argue(self, items, answers, histories, k, round_):
        out = []
        for item, answer, history in zip(items, answers, histories):
            used = quoted_by(history, answer)
            ranked = [int(i) for i in self._order(item, answer, round_) if int(i) not in used]
            out.append(quote_sentences(item, answer, ranked[:k]))
        return out


def numbered_passage(item: DebateItem) -> str:
    return "\n".join(f"({i + 1}) {s}" for i, s in enumerate(item.sentences))


def history_text(item: DebateItem, history: Sequence[dict]) -> str:
    if not history:
        return "(nothing yet)"
    return "\n".join(f"Round {t['round']}, for {item.answer(t['answer'])}: {t['argument']}" for t in history)


PREFILL_MARK = "\n----\n"  # in a template: what follows starts the debater's own argument


def tidy_argument(argument: str) -> str:
    """What a base model wrote after a prefill, made checkable: a quote it opened and ended with a
    stop (a new line, the token budget) is closed, and a sentence number copied from the numbered
    passage of the prompt ("(3) ") is dropped from the start of a quote. Whether the quote's words
    are in the passage is still checked, as for every debater."""
    import re

    if argument.count("<quote>") > argument.count("</quote>"):
        argument += "</quote>"
    return re.sub(r"<quote>\s*\(\d+\)\s*", "<quote>", argument)


class GenerativeDebater(Debater):
    """Any causal LM writes the argument from a prompt template (``templates/debater.txt``).

    Template fields: ``{question} {answer} {other} {passage} {history} {k} {round}``. Instruct
    models with a chat template get the prompt as a user message. A template may end with a
    *prefill* after a line ``----`` (``templates/debater_base.txt``): it is appended to the prompt
    and begins the argument, so a base model continues an argument already under way (``For "X",
    the debater quotes: <quote>``) and stops at ``stop`` (``</quote>``, a new line, or the prefill's
    opening words, where the model would start the next example). Greedy unless
    ``temperature`` > 0 (then seeded and marked stochastic).
    """

    def __init__(self, source: str, template: str = "debater", max_new_tokens: int = 96,
                 temperature: float = 0.0, seed: int = 0, batch_size: int = 8, stop: Sequence[str] | None = None):
        self.source, self.template_name = source, template
        self.template = load_template(template)
        self.prompt_template, _, self.prefill_template = self.template.partition(PREFILL_MARK)
        # a base model stops at the closing tag, a new line, or where the prefill's next example would begin
        opening = self.prefill_template.split("{", 1)[0]
        self.stop = tuple(stop) if stop is not None else (
            tuple(s for s in ("</quote>", "\n", opening) if s) if self.prefill_template else ())
        self.max_new_tokens, self.temperature, self.seed, self.batch_size = max_new_tokens, temperature, seed, batch_size
        self.stochastic = temperature > 0
        self._lm = None

    def key(self) -> dict:
        from ..models.sources import identity

        return {"kind": "generative", "model": identity(self.source), "template": self.template,
                "max_new_tokens": self.max_new_tokens, "temperature": self.temperature,
                "seed": self.seed if self.stochastic else None, **({"stop": list(self.stop)} if self.stop else {})}

    def _fields(self, item: DebateItem, answer: int, history: Sequence[dict], k: int, round_: int) -> dict:
        return dict(question=item.question, answer=item.answer(answer), other=item.answer(1 - answer),
                    passage=numbered_passage(item), history=history_text(item, history), k=k, round=round_)

    def prompt(self, item: DebateItem, answer: int, history: Sequence[dict], k: int, round_: int) -> str:
        return self.prompt_template.format(**self._fields(item, answer, history, k, round_))

    def prefill(self, item: DebateItem, answer: int, history: Sequence[dict], k: int, round_: int) -> str:
        return self.prefill_template.rstrip("\n").format(**self._fields(item, answer, history, k, round_))

    def argue(self, items, answers, histories, k, round_):
        from .lm import CausalLM

        if self._lm is None:
            self._lm = CausalLM(self.source)
        starts = [self.prefill(item, answer, history, k, round_)
                  for item, answer, history in zip(items, answers, histories)]
        prompts = [self.prompt(item, answer, history, k, round_) + start
                   for item, answer, history, start in zip(items, answers, histories, starts)]
        written = self._lm.generate(prompts, self.max_new_tokens, self.temperature, self.seed, self.batch_size,
                                    stop=self.stop)
        return [tidy_argument(start + self._drop_stop(text)) if start else text for start, text in zip(starts, written)]

    def _drop_stop(self, text: str) -> str:
        """A continuation without the stop that ended it, unless that stop closes the quote."""
        for stop in self.stop:
            if stop != "</quote>" and text.endswith(stop):
                return text[: -len(stop)].rstrip()
        return text.rstrip("\n")
