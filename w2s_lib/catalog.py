"""Which notebook produces which figure and table (shown by 00_overview and the README)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .paths import NOTEBOOKS_DIR


@dataclass(frozen=True)
class NotebookEntry:
    stem: str
    question: str
    produces: tuple[str, ...]


NOTEBOOKS: tuple[NotebookEntry, ...] = (
    NotebookEntry("00_overview", "What is installed, which presets exist, what makes what?", ()),
    NotebookEntry("01_data", "What does every task look like (data cards)?", ("tables/data_cards.csv",)),
    NotebookEntry("02_nlp_w2s", "Weak-to-strong on NLP tasks: baseline, aux-confidence, bootstrapping, generative",
                  ("tables/table1_main.csv (NLP)", "tables/runs_nlp.csv", "figures/fig1_pgr_vs_size",
                   "figures/fig2_accuracy_vs_size", "figures/fig3_agreement_vs_size")),
    NotebookEntry("03_chess_w2s", "Weak-to-strong on chess puzzles, with the four methods",
                  ("tables/table1_main.csv (chess)", "tables/runs_chess.csv", "figures 1–3 (chess panel)")),
    NotebookEntry("04_reward_modeling_w2s", "Weak-to-strong reward models; a human rater as weak supervisor",
                  ("tables/table1_main.csv (reward modeling)", "tables/runs_rm.csv",
                   "figures 1–3 (reward-modeling panel)")),
    NotebookEntry("05_facilitation", "Facilitation Φ: does a strong model make the weak supervisor better?",
                  ("tables/table2_framework.csv (phi, phi_explained)",)),
    NotebookEntry("06_debate", "Debate D: does a weak judge decide better with strong debaters quoting evidence?",
                  ("tables/table2_framework.csv (debate, consultancy, blind, oracle)", "figures/debate_protocols")),
    NotebookEntry("07_alignment", "Alignment Ψ: debate-trained judges as the strong model's supervisor",
                  ("tables/table2_framework.csv (psi, phi_psi)", "figures/fig5_error_types",
                   "tables/error_types.csv")),
    NotebookEntry("08_analyses", "Concept saliency, imitation vs generalization, overfitting to weak labels",
                  ("figures/fig4_concept_saliency", "tables/concept_saliency.csv", "tables/table3_imitation.csv",
                   "figures/fig_overfitting", "tables/overfitting_curve.csv")),
    NotebookEntry("09_paper", "Every figure and table of the paper, from stored results",
                  ("all five figures and three tables",)),
)


def notebook_table() -> pd.DataFrame:
    """The map, with whether each notebook exists yet (planned ones are marked, not hidden)."""
    return pd.DataFrame([{"notebook": f"{e.stem}.ipynb", "question": e.question,
                          "produces": ", ".join(e.produces) or "-",
                          "status": "ready" if (NOTEBOOKS_DIR / f"{e.stem}.ipynb").exists() else "planned"}
                         for e in NOTEBOOKS])
