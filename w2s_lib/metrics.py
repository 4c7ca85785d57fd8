"""Evaluation metrics and the per-seed → per-row summaries the result tables are made of.

Pure numpy / pandas / scikit-learn (no torch), so tables can be rebuilt without a model.

Conventions:
- Predictions may be given as hard class indices (N,), probabilities of class 1 (N,)
  or class probabilities (N, C); :func:`to_predictions` turns any of them into indices.
- PGR = (student − weak) / (ceiling − weak) is *undefined* (NaN) when ceiling ≤ weak and
  *unreliable* when the gap is below ``min_gap`` (2 accuracy points by default).
- Confidence intervals are percentile bootstraps, deterministic for a given ``seed``. Where a
  run keeps its per-item outcomes on the fixed test set (:func:`pack_outcomes`), each resample
  draws seeds and test items together (:func:`item_seed_means`), so an interval holds
  test-sampling error as well as seed-to-seed spread, and comparisons on the same seeds and
  items are paired; otherwise seeds alone are resampled, and one seed gives (NaN, NaN).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

PGR_FLAGS = ("ok", "unreliable", "undefined")
REQUIRED_RUN_COLUMNS = ("seed", "weak_acc", "student_acc", "ceiling_acc")
# per-item outcomes (packed) of the three roles, beside their accuracies in a runs table
ITEM_COLUMNS = {"weak_acc": "weak_items", "student_acc": "student_items", "ceiling_acc": "ceiling_items"}
N_BOOT_ITEMS = 2_000  # resamples of (seeds × items): 1000 items × 5 seeds × 3 roles in well under a second
_GAP_TOLERANCE = 1e-9  # accuracies like 0.72 − 0.70 must count as a full 2-point gap


# --------------------------------------------------------------------------- predictions

def to_predictions(probs_or_preds: Sequence | np.ndarray) -> np.ndarray:
    """Class indices from indices (N,), P(class 1) (N,) or class probabilities (N, C).

    A 1-D float array with values in [0, 1] is read as P(class 1) and thresholded at
    0.5 (strictly above → 1, matching argmax's tie rule); 1-D whole numbers outside
    [0, 1] are read as class indices.
    """
    values = np.asarray(probs_or_preds)
    if values.ndim == 2:
        if values.shape[1] < 2:
            raise ValueError(f"class probabilities must have shape (N, C >= 2); got {values.shape}")
        _require_finite(values, "class probabilities")
        return values.argmax(axis=1)
    if values.ndim != 1:
        raise ValueError(f"predictions must have shape (N,) or (N, C); got {values.shape}")
    if values.dtype == bool or np.issubdtype(values.dtype, np.integer):
        return values.astype(int)
    if not np.issubdtype(values.dtype, np.floating):
        raise ValueError(f"predictions must be numeric; got dtype {values.dtype}")
    _require_finite(values, "predictions")
    if values.size and values.min() >= 0.0 and values.max() <= 1.0:
        return (values > 0.5).astype(int)
    if np.all(values == np.round(values)):
        return values.astype(int)
    raise ValueError("1-D float predictions must be probabilities in [0, 1] or whole class indices")


def _labels(labels: Sequence | np.ndarray, n: int) -> np.ndarray:
    values = np.asarray(labels)
    if values.ndim != 1 or values.shape[0] != n:
        raise ValueError(f"labels must have shape ({n},) to match the predictions; got {values.shape}")
    if n == 0:
        raise ValueError("cannot score an empty set (0 examples)")
    if not (values.dtype == bool or np.issubdtype(values.dtype, np.integer)):
        _require_finite(values, "labels")
        if not np.all(values == np.round(values)):
            raise ValueError("labels must be whole class indices")
    return values.astype(int)


def _require_finite(values: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} contain NaN or infinite values")


def accuracy(probs_or_preds: Sequence | np.ndarray, labels: Sequence | np.ndarray) -> float:
    """Fraction of examples whose predicted class equals the label."""
    preds = to_predictions(probs_or_preds)
    return float(np.mean(preds == _labels(labels, preds.shape[0])))


def auroc(probs: Sequence | np.ndarray, labels: Sequence | np.ndarray) -> float:
    """ROC AUC of a binary score; NaN when the labels hold one class only.

    ``probs`` is P(class 1) (N,) or class probabilities (N, 2).
    """
    scores = np.asarray(probs, dtype=float)
    if scores.ndim == 2:
        if scores.shape[1] != 2:
            raise ValueError(f"AUROC is for binary tasks: probabilities must be (N,) or (N, 2); got {scores.shape}")
        scores = scores[:, 1]
    if scores.ndim != 1:
        raise ValueError(f"scores must have shape (N,) or (N, 2); got {scores.shape}")
    _require_finite(scores, "scores")
    y = _labels(labels, scores.shape[0])
    if not set(np.unique(y)) <= {0, 1}:
        raise ValueError(f"AUROC needs labels in {{0, 1}}; got {sorted(set(np.unique(y).tolist()))}")
    if np.unique(y).size < 2:
        return float("nan")
    from sklearn.metrics import roc_auc_score  # here: sklearn and scipy add 1.5 s to every import

    return float(roc_auc_score(y, scores))


# --------------------------------------------------------------------------- PGR

@dataclass(frozen=True)
class PGR:
    """Performance gap recovered, with a flag saying whether the number can be trusted."""

    value: float
    flag: str  # one of PGR_FLAGS

    def __float__(self) -> float:
        return self.value


def pgr(weak: float, student: float, ceiling: float, min_gap: float = 0.02) -> PGR:
    """(student − weak) / (ceiling − weak), flagged.

    "undefined" (value NaN) when ceiling ≤ weak or any input is NaN; "unreliable" when
    0 < ceiling − weak < min_gap, where noise dominates the ratio; otherwise "ok".
    """
    if min_gap < 0:
        raise ValueError(f"min_gap must be >= 0; got {min_gap}")
    weak, student, ceiling = float(weak), float(student), float(ceiling)
    value = float(pgr_values(np.array([weak]), np.array([student]), np.array([ceiling]))[0])
    if np.isnan(value):
        return PGR(float("nan"), "undefined")
    flag = "unreliable" if ceiling - weak < min_gap - _GAP_TOLERANCE else "ok"
    return PGR(value, flag)


def pgr_values(weak: np.ndarray, student: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """Element-wise PGR, NaN where ceiling ≤ weak (vectorised for bootstraps)."""
    weak, student, ceiling = (np.asarray(a, dtype=float) for a in (weak, student, ceiling))
    gap = ceiling - weak
    defined = gap > 0
    out = np.full(np.broadcast(weak, student, ceiling).shape, np.nan)
    np.divide(student - weak, gap, out=out, where=defined)
    return out


# --------------------------------------------------------------------------- bootstrap

@dataclass(frozen=True)
class BootstrapCI:
    """Mean of the non-NaN values and its percentile-bootstrap interval."""

    mean: float
    low: float
    high: float
    n: int  # values used (NaNs dropped)


def _resample_means(matrix: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Column means of ``n_boot`` row-resamples (with replacement) of ``matrix`` (n, k).

    The same rows are drawn for every column, keeping per-seed metrics paired.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1; got {n_boot}")
    rng = np.random.default_rng(seed)
    n = matrix.shape[0]
    rows = rng.integers(0, n, size=(n_boot, n))
    return matrix[rows].mean(axis=1)


def _percentile_interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    finite = samples[~np.isnan(samples)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")


def bootstrap_ci(values: Sequence[float] | np.ndarray, level: float = 0.95,
                 n_boot: int = 10_000, seed: int = 0) -> BootstrapCI:
    """Mean over seeds with a percentile-bootstrap CI (resampling the seeds).

    NaNs are dropped first. No values: everything NaN. One value: mean = that value and
    CI = (NaN, NaN), because a single seed says nothing about the spread.
    """
    _check_level(level)
    data = np.asarray(values, dtype=float).ravel()
    data = data[~np.isnan(data)]
    if data.size == 0:
        return BootstrapCI(float("nan"), float("nan"), float("nan"), 0)
    mean = float(data.mean())
    if data.size == 1:
        return BootstrapCI(mean, float("nan"), float("nan"), 1)
    low, high = _percentile_interval(_resample_means(data[:, None], n_boot, seed)[:, 0], level)
    return BootstrapCI(mean, low, high, int(data.size))


def bootstrap_pgr_ci(weak: Sequence[float], student: Sequence[float], ceiling: Sequence[float],
                     level: float = 0.95, n_boot: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """Percentile CI of the PGR of seed-resampled mean accuracies.

    Returns (low, high, defined_fraction): resamples whose mean ceiling ≤ mean weak have
    no PGR and are left out; ``defined_fraction`` says how many were kept. Fewer than
    two seeds: (NaN, NaN, NaN).
    """
    _check_level(level)
    matrix = np.column_stack([np.asarray(a, dtype=float) for a in (weak, student, ceiling)])
    if np.isnan(matrix).any():
        raise ValueError("weak, student and ceiling accuracies must not contain NaN")
    if matrix.shape[0] < 2:
        return float("nan"), float("nan"), float("nan")
    means = _resample_means(matrix, n_boot, seed)
    samples = pgr_values(means[:, 0], means[:, 1], means[:, 2])
    low, high = _percentile_interval(samples, level)
    return low, high, float(np.mean(~np.isnan(samples)))


# --------------------------------------------------------------------------- items × seeds

def pack_outcomes(outcomes: Sequence[bool] | np.ndarray) -> str:
    """A run's per-item outcomes on the fixed test set (correct or not) as short text (bits in
    base64), so a runs table with one row per seed keeps what an interval over items needs."""
    return base64.b64encode(np.packbits(np.asarray(outcomes, dtype=bool)).tobytes()).decode("ascii")


def unpack_outcomes(text: str, n: int) -> np.ndarray:
    """The ``n`` outcomes :func:`pack_outcomes` stored."""
    return np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8))[:n].astype(bool)


def outcomes(predictions: Sequence | np.ndarray, labels: Sequence | np.ndarray) -> np.ndarray:
    """Per item: whether the predicted class is the label (what :func:`accuracy` averages)."""
    preds = to_predictions(predictions)
    return preds == _labels(labels, preds.shape[0])


def item_seed_means(values: np.ndarray, n_boot: int = N_BOOT_ITEMS, seed: int = 0) -> np.ndarray:
    """Bootstrap means of per-item values, shape (roles, seeds, items) → (roles, n_boot).

    Each resample draws the seeds and the test items with replacement, the same draw for every
    role, so differences and ratios between roles (student − weak, PGR, method − baseline) stay
    paired on seeds and items."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 3:
        raise ValueError(f"values must have shape (roles, seeds, items); got {values.shape}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1; got {n_boot}")
    _, n_seeds, n_items = values.shape
    rng = np.random.default_rng(seed)
    item_counts = rng.multinomial(n_items, np.full(n_items, 1 / n_items), size=n_boot).astype(float)
    seed_counts = rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), size=n_boot).astype(float)
    per_seed = np.einsum("bn,rsn->rbs", item_counts, values) / n_items
    return np.einsum("rbs,bs->rb", per_seed, seed_counts) / n_seeds


@dataclass(frozen=True)
class PairedEstimate:
    """A statistic on the observed runs and its percentile interval over items × seeds."""

    value: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return bool(self.low > 0 or self.high < 0)


def interval(samples: np.ndarray, value: float, level: float = 0.95) -> PairedEstimate:
    low, high = _percentile_interval(np.asarray(samples, dtype=float), level)
    return PairedEstimate(float(value), low, high)


def outcome_matrix(group: pd.DataFrame, column: str) -> np.ndarray:
    """(seeds, items) outcomes of one role from a runs group's packed ``column`` (rows by seed)."""
    return np.stack([unpack_outcomes(text, int(n)) for text, n in zip(group[column], group["n_test"])])


def has_item_outcomes(runs: pd.DataFrame, columns=tuple(ITEM_COLUMNS.values())) -> bool:
    return all(c in runs.columns for c in columns) and "n_test" in runs.columns and \
        not runs[list(columns)].isna().any().any()


# --------------------------------------------------------------------------- agreement

def agreement(student_pred: Sequence | np.ndarray, weak_pred: Sequence | np.ndarray,
              labels: Sequence | np.ndarray) -> dict[str, float]:
    """How often the student agrees with its supervisor, split by whether the supervisor was right.

    High agreement where the weak label is wrong means imitation of its errors; low
    agreement there means the student generalised past them. Splits with no examples
    give NaN. Predictions may be indices or probabilities (see :func:`to_predictions`).
    """
    student = to_predictions(student_pred)
    weak = to_predictions(weak_pred)
    if weak.shape != student.shape:
        raise ValueError(f"student and weak predictions differ in length: {student.shape} vs {weak.shape}")
    y = _labels(labels, student.shape[0])
    agrees = student == weak
    weak_correct = weak == y

    def share(mask: np.ndarray) -> float:
        return float(agrees[mask].mean()) if mask.any() else float("nan")

    return {
        "agreement": share(np.ones_like(agrees)),
        "agreement_weak_correct": share(weak_correct),
        "agreement_weak_wrong": share(~weak_correct),
        "n": int(y.size),
        "n_weak_correct": int(weak_correct.sum()),
        "n_weak_wrong": int((~weak_correct).sum()),
    }


# --------------------------------------------------------------------------- run summaries

def summarize_runs(runs: pd.DataFrame, by: Sequence[str], *, level: float = 0.95,
                   n_boot: int = 10_000, seed: int = 0, min_gap: float = 0.02) -> pd.DataFrame:
    """One row per group of per-seed runs: the rows of ``table1_main.csv``.

    ``runs`` has one row per (group, seed) with ``seed, weak_acc, student_acc,
    ceiling_acc`` and optionally more numeric columns (AUROCs, agreements), which are
    averaged (NaN-ignoring); non-numeric columns outside ``by`` are ignored. Output:
    ``by`` columns, ``n_seeds``, the mean of every numeric column, ``pgr`` (of the mean
    accuracies) with ``pgr_flag``, ``pgr_ci_low/high`` (seeds resampled, PGR of the
    resampled means) and ``pgr_ci_defined`` (share of resamples with a PGR); ``<role>_acc_ci_low/high``;
    ``ci_over`` says what was resampled: "test items × seeds" where the runs keep per-item outcomes
    (:data:`ITEM_COLUMNS`, one draw for all roles), else "seeds". A PGR flagged
    ``unreliable`` or ``undefined`` is NaN in ``pgr`` and its CI, so no table shows it as a
    result; the ratio as computed stays in ``pgr_unflagged``;
    ``student_minus_weak`` with its CI over per-seed differences, and ``pgr_auroc`` /
    ``pgr_auroc_flag`` when ``weak_auroc, student_auroc, ceiling_auroc`` are present.
    """
    by = list(by)
    missing = [c for c in (*by, *REQUIRED_RUN_COLUMNS) if c not in runs.columns]
    if missing:
        raise ValueError(f"runs lack column(s) {missing}; required: {[*by, *REQUIRED_RUN_COLUMNS]}")
    if "seed" in by:
        raise ValueError("'seed' cannot be a grouping column: summaries are taken over seeds")
    accuracy_columns = list(REQUIRED_RUN_COLUMNS[1:])
    numeric = [c for c in runs.columns
               if c not in by and c != "seed" and pd.api.types.is_numeric_dtype(runs[c])]
    non_numeric = [c for c in accuracy_columns if c not in numeric]
    if non_numeric:
        raise ValueError(f"accuracy column(s) {non_numeric} must be numeric")
    metric_columns = accuracy_columns + [c for c in numeric if c not in accuracy_columns]
    has_auroc = all(f"{role}_auroc" in runs.columns for role in ("weak", "student", "ceiling"))
    items = has_item_outcomes(runs)

    groups = runs.groupby(by, sort=True, dropna=False) if by else [((), runs)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        label = dict(zip(by, key))
        _check_group(group, label, accuracy_columns)
        group = group.sort_values("seed", kind="stable")  # row order must not move the CI
        row: dict[str, object] = {**label, "n_seeds": int(len(group))}
        for column in metric_columns:
            values = group[column].to_numpy(dtype=float)
            row[column] = float(np.nanmean(values)) if not np.isnan(values).all() else float("nan")
        point = pgr(row["weak_acc"], row["student_acc"], row["ceiling_acc"], min_gap=min_gap)
        if items:  # seeds and test items resampled together, the same draw for all three roles
            boot = item_seed_means(np.stack([outcome_matrix(group, ITEM_COLUMNS[c]) for c in accuracy_columns]),
                                   seed=seed)
            samples = pgr_values(boot[0], boot[1], boot[2])
            low, high = _percentile_interval(samples, level)
            defined = float(np.mean(~np.isnan(samples)))
            difference = interval(boot[1] - boot[0], row["student_acc"] - row["weak_acc"], level)
            diff_mean = difference.value
            for column, draws in zip(accuracy_columns, boot):
                row[f"{column}_ci_low"], row[f"{column}_ci_high"] = _percentile_interval(draws, level)
        else:  # seeds only
            weak, student, ceiling = (group[c].to_numpy(dtype=float) for c in accuracy_columns)
            low, high, defined = bootstrap_pgr_ci(weak, student, ceiling, level, n_boot, seed)
            difference = bootstrap_ci(student - weak, level, n_boot, seed)
            diff_mean = difference.mean
            for column in accuracy_columns:
                ci = bootstrap_ci(group[column].to_numpy(dtype=float), level, n_boot, seed)
                row[f"{column}_ci_low"], row[f"{column}_ci_high"] = ci.low, ci.high
        raw = point.value
        if point.flag != "ok":  # a reader must not take it for a result: no number in the PGR columns
            point_value = low = high = float("nan")
        else:
            point_value = raw
        row.update(pgr=point_value, pgr_ci_low=low, pgr_ci_high=high, pgr_flag=point.flag, pgr_unflagged=raw,
                   pgr_ci_defined=defined, student_minus_weak=diff_mean,
                   student_minus_weak_ci_low=difference.low,
                   student_minus_weak_ci_high=difference.high,
                   ci_over="test items × seeds" if items else "seeds")
        if has_auroc:
            auroc_pgr = pgr(row["weak_auroc"], row["student_auroc"], row["ceiling_auroc"],
                            min_gap=min_gap)
            row.update(pgr_auroc=auroc_pgr.value, pgr_auroc_flag=auroc_pgr.flag)
        rows.append(row)
    return pd.DataFrame(rows)


def _check_group(group: pd.DataFrame, label: dict, accuracy_columns: list[str]) -> None:
    duplicated = group["seed"][group["seed"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"group {label or '(all runs)'} has more than one row for seed(s) {duplicated}; "
                         "expected one row per seed")
    for column in accuracy_columns:
        if group[column].isna().any():
            raise ValueError(f"group {label or '(all runs)'} has NaN in {column!r}")
