"""Analyses of weak-to-strong training (notebook 08): one job per module.

* :mod:`~w2s_lib.analyses.saliency` — figure 4: does training the strong model on weak
  labels change which concepts a linear probe can read off its representations?
* :mod:`~w2s_lib.analyses.imitation` — table 3: does the student imitate its supervisor's
  errors or generalize past them (agreement where the supervisor is right vs wrong)?
* :mod:`~w2s_lib.analyses.overfitting` — test accuracy of the W2S student over training, and
  the epoch that early stopping on weak-labelled val picks.

Each returns tidy per-run rows; their summaries are built in :mod:`w2s_lib.tables`, their figures
drawn in :mod:`w2s_lib.figures` and their sentences written in :mod:`w2s_lib.findings`.
"""
from __future__ import annotations

from .imitation import read_runs
from .overfitting import overfitting_curve
from .saliency import CONCEPTS, MODEL_STATES, concept_saliency

__all__ = ["CONCEPTS", "MODEL_STATES", "concept_saliency", "overfitting_curve", "read_runs"]
