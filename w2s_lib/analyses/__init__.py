"""Analyses of weak-to-strong training (notebook 08): one job per module.

* :mod:`~w2s_lib.analyses.saliency` — figure 4: does training the strong model on weak
  labels change which concepts a linear probe can read off its representations?
* :mod:`~w2s_lib.analyses.imitation` — table 3: does the student imitate its supervisor's
  errors or generalize past them (agreement where the supervisor is right vs wrong)?
* :mod:`~w2s_lib.analyses.overfitting` — test accuracy of the W2S student over training, and
  the epoch that early stopping on weak-labelled val picks.

Each returns tidy tables; each also has one function that draws its figure from those tables.
"""
from __future__ import annotations

from .saliency import (CONCEPTS, MODEL_STATES, concept_saliency, plot_concept_saliency,
                               saliency_sentences, summarize_saliency)
from .imitation import RUNS_TABLES, imitation_sentences, imitation_table, read_runs
from .overfitting import overfitting_curve, plot_overfitting

__all__ = ["CONCEPTS", "MODEL_STATES", "RUNS_TABLES", "concept_saliency", "imitation_sentences", "imitation_table",
           "overfitting_curve", "plot_concept_saliency", "plot_overfitting", "read_runs", "saliency_sentences",
           "summarize_saliency"]
