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
    NotebookEntry("02_nlp_w2s", "Does a strong student beat its weak supervisor on NLP tasks?",
                  ("figures/fig1_pgr_vs_size (NLP panel)", "figures/fig2_accuracy_vs_size (NLP panel)",
                   "tables/table1_main.csv (NLP, baseline)")),
    NotebookEntry("03_chess_reward_w2s", "Weak-to-strong on chess puzzles and reward modeling",
                  ("figures/fig1_pgr_vs_size", "figures/fig2_accuracy_vs_size",
                   "tables/table1_main.csv (chess, reward modeling)")),
    NotebookEntry("04_methods", "Auxiliary confidence loss, bootstrapping, generative finetuning",
                  ("tables/table1_main.csv (all methods)", "figures/fig3_agreement_vs_size",
                   "tables/table3_imitation.csv")),
    NotebookEntry("05_framework", "Facilitation Φ, debate D and alignment Ψ, alone and combined",
                  ("tables/table2_framework.csv",)),
    NotebookEntry("06_analysis", "Concept saliency and the error taxonomy of the aligned model",
                  ("figures/fig4_concept_saliency", "figures/fig5_error_types", "tables/error_types.csv")),
)


def notebook_table() -> pd.DataFrame:
    """The map, with whether each notebook exists yet (planned ones are marked, not hidden)."""
    return pd.DataFrame([{"notebook": f"{e.stem}.ipynb", "question": e.question,
                          "produces": ", ".join(e.produces) or "-",
                          "status": "ready" if (NOTEBOOKS_DIR / f"{e.stem}.ipynb").exists() else "planned"}
                         for e in NOTEBOOKS])
