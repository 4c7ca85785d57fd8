"""The notebooks, listed once: what each asks, its parameters, what it reads and produces, and what
must finish before it starts. The runner, the up-to-date check, ``w2s check-params``, the overview
notebook, the analyses and the paper all read this list; adding a notebook is one entry here (and
its ``notebooks/NN_name.ipynb``).
"""
from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass

import pandas as pd

from .config import Params
from .notebook_params import (AlignmentParams, AnalysesParams, ChessW2SParams, DataParams, DebateParams,
                              DevChoicesParams, FacilitationParams, NLPW2SParams, OverviewParams, PaperParams,
                              RewardW2SParams)
from .paths import NOTEBOOKS_DIR

ALL = ("*",)  # ``after=ALL``: every notebook before it in the run (the paper, which reads everything)


@dataclass(frozen=True)
class Notebook:
    """One notebook. ``produces`` and ``reads`` name result files under ``results/<preset>/``
    (``tables/<name>.csv``, ``figures/<name>``); a ``reads`` entry may be a glob. ``after``: the
    notebooks whose work (artifacts, not files) it builds on; ``None`` means the data notebook only,
    as every notebook reads the task pools. Notebooks that produce what it reads come first too."""

    stem: str
    question: str
    schema: type[Params]
    produces: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    after: tuple[str, ...] | None = None

    @property
    def runs_table(self) -> str | None:
        """The per-seed runs table a weak-to-strong notebook writes (``runs_<domain>``), if any."""
        names = [p.removeprefix("tables/") for p in self.produces if p.startswith("tables/runs_")]
        return names[0] if names else None


FIGURES_1_TO_3 = ("figures/fig1_pgr_vs_size", "figures/fig2_accuracy_vs_size", "figures/fig3_agreement_vs_size")
W2S_RUNS = ("tables/runs_nlp", "tables/runs_chess", "tables/runs_rm")  # what the analyses read

NOTEBOOKS: tuple[Notebook, ...] = (
    Notebook("00_overview", "What is installed, which presets exist, what makes what?", OverviewParams, after=()),
    Notebook("01_data", "What does every task look like (data cards)?", DataParams, ("tables/data_cards",),
             after=()),
    Notebook("01_dev_choices", "Which settings does the dev split choose (probe weight decay, learning rate, epochs, rungs)?",
             DevChoicesParams, ("tables/choices_dev", "tables/choices_dev_picks", "figures/fig_choices_dev")),
    Notebook("02_nlp_w2s", "Weak-to-strong on NLP tasks: baseline, aux-confidence, bootstrapping, generative",
             NLPW2SParams, ("tables/table1_main", "tables/table1_comparisons", "tables/runs_nlp",
                            "tables/headline_pairs", *FIGURES_1_TO_3)),
    Notebook("03_chess_w2s", "Weak-to-strong on chess puzzles (and chess-move reward models), with the four methods",
             ChessW2SParams, ("tables/table1_main", "tables/table1_comparisons", "tables/runs_chess",
                              "tables/headline_pairs", *FIGURES_1_TO_3)),
    Notebook("04_reward_modeling_w2s", "Weak-to-strong reward models; a human rater as weak supervisor",
             RewardW2SParams, ("tables/table1_main", "tables/table1_comparisons", "tables/runs_rm",
                               "tables/headline_pairs", *FIGURES_1_TO_3)),
    Notebook("05_facilitation", "Facilitation Φ: does a strong model make the weak supervisor better?",
             FacilitationParams, ("tables/table2_framework", "tables/table2_comparisons", "tables/runs_framework")),
    # 06 debates with the embeddings and judges 05 builds; 07's jury trains on 06's transcripts;
    # all three add rows to the framework tables, which keep the notebooks' order
    Notebook("06_debate", "Debate D: does a weak judge decide better with strong debaters quoting evidence?",
             DebateParams, ("tables/table2_framework", "tables/table2_comparisons", "figures/debate_protocols_<task>",
                            "tables/debate_item_sets (tasks with plain and misleading items)",
                            "figures/debate_item_sets_<task>", "tables/debate_best_response (best_response_rounds > 0)",
                            "figures/debate_best_response_<task>",
                            "tables/debate_generation (a debater that writes text)"),
             after=("05_facilitation",)),
    Notebook("07_alignment", "Alignment Ψ: debate-trained judges as the strong model's supervisor",
             AlignmentParams, ("tables/table2_framework", "tables/table2_comparisons", "tables/runs_framework",
                               "tables/error_types",
                               "figures/fig5_error_types"), after=("05_facilitation", "06_debate")),
    Notebook("08_analyses", "Concept saliency, imitation vs generalization, overfitting to weak labels",
             AnalysesParams, ("tables/concept_saliency", "tables/concept_saliency_summary", "tables/table3_imitation",
                              "tables/overfitting_curve", "figures/fig4_concept_saliency", "figures/fig_overfitting"),
             reads=W2S_RUNS, after=()),
    Notebook("09_paper", "Every figure and table of the paper, from stored results", PaperParams,
             ("all five figures and three tables",), reads=("tables/*",), after=ALL),
)

_BY_STEM = {nb.stem: nb for nb in NOTEBOOKS}
STEMS = tuple(_BY_STEM)
DATA_NOTEBOOK = "01_data"


def notebook(stem: str) -> Notebook:
    """The entry of ``stem``, or a KeyError naming the known notebooks."""
    try:
        return _BY_STEM[stem]
    except KeyError:
        close = difflib.get_close_matches(str(stem), STEMS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise KeyError(f"unknown notebook {stem!r}{hint}; accepted: {', '.join(STEMS)}") from None


def schema_for(stem: str) -> type[Params]:
    return notebook(stem).schema


def producers(result: str) -> list[str]:
    """The notebooks that write ``result`` (e.g. ``tables/table1_main``), in order."""
    return [nb.stem for nb in NOTEBOOKS if result in nb.produces]


def prerequisites(stem: str, planned: list[str]) -> set[str]:
    """The notebooks of this run that must finish before ``stem`` starts: those it builds on, those
    that produce what it reads, and the data notebook."""
    earlier = planned[: planned.index(stem)]
    entry = _BY_STEM.get(stem)
    if entry is None:  # a notebook of one's own that is not in the manifest: after the data
        return {DATA_NOTEBOOK} & set(earlier)
    if entry.after == ALL:
        return set(earlier)
    needs = set((DATA_NOTEBOOK,) if entry.after is None else entry.after)
    needs |= {p for pattern in entry.reads for nb in NOTEBOOKS for p in [nb.stem]
              if any(fnmatch.fnmatch(out, pattern) for out in nb.produces)}
    return {s for s in needs if s in earlier and s != stem}


def read_tables(stem: str) -> tuple[str, ...]:
    """File globs under ``tables/`` whose content is an input of ``stem`` (the up-to-date check)."""
    entry = _BY_STEM.get(stem)
    return tuple(f"{r.removeprefix('tables/')}.csv" for r in entry.reads if r.startswith("tables/")) if entry else ()


def analysed_runs() -> dict[str, str]:
    """The runs tables the analyses notebook reads, each with the notebook that writes it."""
    return {r.removeprefix("tables/"): producers(r)[0] for r in W2S_RUNS}


def w2s_notebooks() -> list[str]:
    """The weak-to-strong grid notebooks (their parameters drive ``w2s grid``)."""
    return [nb.stem for nb in NOTEBOOKS if issubclass(nb.schema, NLPW2SParams)]


def notebook_table() -> pd.DataFrame:
    """The map shown by the overview notebook and the README: what each notebook asks and makes,
    and whether its file exists (planned ones are marked, not hidden)."""
    return pd.DataFrame([{"notebook": f"{nb.stem}.ipynb", "question": nb.question,
                          "produces": ", ".join(nb.produces) or "-",
                          "status": "ready" if (NOTEBOOKS_DIR / f"{nb.stem}.ipynb").exists() else "planned"}
                         for nb in NOTEBOOKS])
