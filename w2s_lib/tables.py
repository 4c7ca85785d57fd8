"""Every summary table the notebooks show and save, built in one place from tidy per-run rows
(one row per task, method, pair and seed): means over seeds with bootstrap intervals (the
statistics are :mod:`w2s_lib.metrics`), and the checks that say whether a ladder spans a gap.

* table 1 (weak-to-strong, notebooks 02–04): :func:`summarize`, :func:`ladder_check`,
  :func:`method_comparison`, and the :func:`ladder_card` that describes the rungs;
* table 2 (the framework, notebooks 05–07): :func:`framework_table`, :func:`protocol_table`,
  :func:`error_table`;
* table 3 and the analyses (notebook 08): :func:`imitation_table`, :func:`summarize_saliency`,
  :func:`early_stopping_summary`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from . import metrics
from .alignment import ERROR_TYPES
from .analyses.imitation import REQUIRED
from .analyses.saliency import MODEL_STATES
from .choices import headline_min_weak
from .debate.experiment import ProtocolRun, item_scores
from .debate.transcripts import quoted_sentences
from .models.pretrain import pretrained_artifact

# regime: "probe" (a linear read-out of frozen features) or "finetuned" (the strong rung's last block
# trained too, w2s_lib.training.top_block); ladder: which ladder the rungs come from
ROW_KEYS = ["domain", "task", "method", "weak_model", "strong_model", "regime"]
SUMMARY_KEYS = ROW_KEYS + ["ladder", "weak_size", "strong_size"]


def with_regime(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs of a version before regimes were recorded were all probes (and name no ladder)."""
    defaults = {"regime": "probe", "ladder": ""}
    return runs.assign(**{k: v for k, v in defaults.items() if k not in runs.columns})


def probe_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1's rows of the ladder's own training (probes at ``micro``, full finetuning at ``paper``):
    its grid, without the pairs the finetuned regime adds."""
    return table[with_regime(table)["regime"] != "finetuned"]
MIN_STEP = 0.01        # each rung's ceiling at least 1 point above the previous one
MIN_GAP = 0.05         # the largest pair: ceiling − weak of at least 5 points


# ----------------------------------------------------------------------------- table 1

def ladder_card(rungs, corpus: str) -> pd.DataFrame:
    """Each rung: family, size, how it is trained, and for tiny rungs the pretraining budget and
    final pretraining loss (read from the stored pretraining artifact: nothing is retrained)."""
    rows = []
    for r in rungs:
        row = {"rung": r.name, "family": r.family, "non-embedding params": r.non_embedding_params(),
               "train mode": r.train_mode, "pooling": r.pooling,
               "probe weight decay": r.extra.get("probe", {}).get("weight_decay", np.nan) if r.train_mode == "probe"
               else np.nan, "pretraining steps": np.nan, "pretraining loss": np.nan}
        if r.family == "tiny_gpt2":
            meta = pretrained_artifact(r, corpus).meta
            row.update({"pretraining steps": r.pretrain_steps, "pretraining loss": meta.get("final_loss", np.nan),
                        "pretraining corpus": corpus})
        if r.family == "board":
            from .models.board import pretrained_board

            meta = pretrained_board(r).meta
            row.update({"pretraining steps": r.pretrain_steps, "pretraining loss": meta.get("final_loss", np.nan),
                        "pretraining corpus": "self-play moves"})
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Table 1 rows: per (domain, task, method, pair) mean accuracies and PGR with 95 % CIs over seeds."""
    table = metrics.summarize_runs(with_regime(runs), by=SUMMARY_KEYS)
    first = SUMMARY_KEYS + ["n_seeds", "weak_acc", "student_acc", "ceiling_acc", "pgr", "pgr_ci_low",
                            "pgr_ci_high", "pgr_flag", "student_minus_weak", "student_minus_weak_ci_low",
                            "student_minus_weak_ci_high"]
    return table[[c for c in first if c in table.columns] + [c for c in table.columns if c not in first]]


def rung_accuracies(table: pd.DataFrame) -> pd.DataFrame:
    """Each rung's test accuracy when trained on ground truth, per task: its ceiling (trained on
    B) where it is ever a strong rung, else its accuracy as a weak supervisor (trained on A, a
    split of the same size). Probe regime only: the ladder as every rung reads it."""
    table = probe_rows(table)
    base = table[(table["method"] == "baseline") & table["weak_size"].notna()]
    ceil = base.groupby(["task", "strong_model", "strong_size"], as_index=False)["ceiling_acc"].mean() \
        .rename(columns={"strong_model": "rung", "strong_size": "size", "ceiling_acc": "accuracy"})
    weak = base.groupby(["task", "weak_model", "weak_size"], as_index=False)["weak_acc"].mean() \
        .rename(columns={"weak_model": "rung", "weak_size": "size", "weak_acc": "accuracy"})
    weak = weak[~weak.set_index(["task", "rung"]).index.isin(ceil.set_index(["task", "rung"]).index)]
    return pd.concat([weak.assign(trained_on="A (as weak)"), ceil.assign(trained_on="B (ceiling)")]) \
        .sort_values(["task", "size"]).reset_index(drop=True)


def ladder_check(table: pd.DataFrame) -> pd.DataFrame:
    """The ladder condition per task and for the domain mean: do ceilings rise by at least one
    point per rung, and does the largest pair (smallest weak, largest strong) leave a gap of at
    least five points with a PGR whose CI excludes 0?"""
    acc = rung_accuracies(table)
    table = probe_rows(table)
    per_task = {t: g.sort_values("size") for t, g in acc.groupby("task")}
    if len(per_task) > 1:
        mean = acc.groupby(["rung", "size"], as_index=False)["accuracy"].mean().sort_values("size")
        per_task["(domain mean)"] = mean
    base = table[(table["method"] == "baseline") & table["weak_size"].notna()]
    rows = []
    for task, g in per_task.items():
        steps = np.diff(g["accuracy"].to_numpy())
        row = {"task": task, "rungs": " < ".join(g["rung"]),
               "accuracies": " · ".join(f"{a:.3f}" for a in g["accuracy"]),
               "smallest step (pts)": 100 * float(steps.min()) if len(steps) else np.nan,
               "rises ≥ 1 pt each rung": bool(len(steps) and (steps >= MIN_STEP).all())}
        pair = base if task == "(domain mean)" else base[base["task"] == task]
        if len(pair):
            pair = pair[(pair["weak_size"] == pair["weak_size"].min()) & (pair["strong_size"] == pair["strong_size"].max())]
            gap = float((pair["ceiling_acc"] - pair["weak_acc"]).mean())
            row.update({"largest pair": f"{pair['weak_model'].iloc[0]} → {pair['strong_model'].iloc[0]}",
                        "gap (pts)": 100 * gap, "gap ≥ 5 pts": gap >= MIN_GAP})
            if len(pair) == 1:
                r = pair.iloc[0]
                row.update({"weak acc": r["weak_acc"], "PGR": r["pgr"],
                            "PGR CI": f"[{r['pgr_ci_low']:.2f}, {r['pgr_ci_high']:.2f}]",
                            "PGR CI excludes 0": bool(r["pgr_ci_low"] > 0)})
        rows.append(row)
    return pd.DataFrame(rows)


def headline_table(chosen: pd.DataFrame, table: pd.DataFrame, min_gap: float = MIN_GAP) -> pd.DataFrame:
    """The headline pairs chosen on dev (:func:`w2s_lib.choices.headline_pairs`) with their test
    numbers, read from table 1 once: the baseline in the probe regime and, where that pair also ran
    finetuned, the baseline there; and whether each condition holds on test."""
    table = with_regime(table)
    rows = []
    for pick in chosen.to_dict("records"):
        row = {"domain": pick["domain"], "ladder": table["ladder"].iloc[0] if len(table) else "",
               "task": pick["task"], "pair": f"{pick['weak_model']} → {pick['strong_model']}" if pick["task"] else "",
               **{k: pick[k] for k in ("dev_weak_acc", "dev_ceiling_acc", "dev_pgr", "rule")}}
        for finetuned, prefix in ((False, ""), (True, "finetuned ")):
            hit = table[(table["task"] == pick["task"]) & (table["method"] == "baseline")
                        & ((table["regime"] == "finetuned") == finetuned)
                        & (table["weak_model"] == pick["weak_model"]) & (table["strong_model"] == pick["strong_model"])]
            if hit.empty:
                continue
            r = hit.iloc[0]
            row.update({f"{prefix}weak_acc": r["weak_acc"], f"{prefix}student_acc": r["student_acc"],
                        f"{prefix}ceiling_acc": r["ceiling_acc"], f"{prefix}gap (pts)": 100 * (r["ceiling_acc"] - r["weak_acc"]),
                        f"{prefix}pgr": r["pgr"], f"{prefix}pgr_ci_low": r["pgr_ci_low"],
                        f"{prefix}pgr_ci_high": r["pgr_ci_high"], f"{prefix}n_seeds": r["n_seeds"]})
        if "weak_acc" in row:
            row.update({"weak ≥ threshold (test)": bool(row["weak_acc"] >= headline_min_weak(pick["domain"])),
                        "gap ≥ 5 pts (test)": bool(row["gap (pts)"] >= 100 * min_gap - 1e-9),
                        "PGR CI excludes 0": bool(row["pgr_ci_low"] > 0)})
        rows.append(row)
    return pd.DataFrame(rows)


def method_comparison(runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Each method against the baseline on the same pairs, seeds and test items (paired): the
    students' accuracies, the difference method − baseline in accuracy and in PGR with intervals
    over items × seeds (one draw for both), and whether each interval excludes 0; for
    bootstrapping also the direct student on the same final examples."""
    runs = with_regime(runs)
    keys = ["task", "weak_model", "strong_model", "regime"]
    domain = dict(zip(runs["task"], runs["domain"])) if "domain" in runs else {}
    base = {k: g.set_index("seed") for k, g in runs[runs["method"] == "baseline"].groupby(keys, dropna=False)}
    rows = []
    for (task, weak, strong, regime, method), g in runs[runs["method"] != "baseline"].groupby(
            keys + ["method"], sort=False, dropna=False):
        b = base.get((task, weak, strong, regime))
        if b is None:
            continue
        g = g.set_index("seed")
        seeds = sorted(set(g.index) & set(b.index))
        m_, b_ = g.loc[seeds].reset_index(), b.loc[seeds].reset_index()
        roles = np.stack([metrics.outcome_matrix(frame, column) for frame in (b_, m_)
                          for column in metrics.ITEM_COLUMNS.values()])
        boot = metrics.item_seed_means(roles)  # weak, student, ceiling of the baseline, then the method
        means = roles.mean(axis=(1, 2))
        pgr_b, pgr_m = (metrics.pgr_values(x[0], x[1], x[2]) for x in (boot[:3], boot[3:]))
        acc = metrics.interval(boot[4] - boot[1], means[4] - means[1], level)
        flags = [metrics.pgr(*means[k:k + 3]).flag for k in (0, 3)]
        if flags == ["ok", "ok"]:
            point = metrics.pgr(*means[3:6]).value - metrics.pgr(*means[0:3]).value
            gain = metrics.interval(pgr_m - pgr_b, point, level)
        else:  # a PGR on a gap below 2 points (or none) is no result, and neither is its difference
            gain = metrics.PairedEstimate(np.nan, np.nan, np.nan)
        rows.append({"domain": domain.get(task, ""), "task": task, "pair": f"{weak} → {strong}", "regime": regime,
                     "method": method, "n_seeds": len(seeds),
                     "student": means[4], "baseline student": means[1],
                     "student − baseline": acc.value, "ci_low": acc.low, "ci_high": acc.high,
                     "excludes 0": acc.excludes_zero,
                     "PGR − baseline PGR": gain.value, "pgr_diff_ci_low": gain.low, "pgr_diff_ci_high": gain.high,
                     "PGR difference excludes 0": gain.excludes_zero,
                     "direct student (same examples)": float(g["direct_student_acc"].mean())
                     if "direct_student_acc" in g else np.nan,
                     "ceiling": means[5]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- table 2

def framework_table(rows: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (task, variant): accuracy and PGR against the plain weak supervisor M_W and the
    strong ceiling, how right the labels it learned from are (``supervisor_acc`` on test,
    ``supervisor_acc_on_b`` on B, the labels it actually saw) and ``student − supervisor`` — each
    with an interval over test items × seeds where the rows keep per-item outcomes
    (:func:`w2s_lib.ablation.scored_rows`), else over seeds. A row whose supervisor beats the
    ceiling has ``pgr_flag`` "ceiling below supervisor": its PGR then measures the supervisor, not
    generalization beyond it."""
    out = []
    for (task, variant), g in rows.groupby(["task", "variant"], sort=False):
        g = g.sort_values("seed", kind="stable")
        runs = g.rename(columns={"acc": "student_acc", "items": "student_items"})
        runs = runs[[c for c in ("seed", "weak_acc", "student_acc", "ceiling_acc", "n_test", "weak_items",
                                 "student_items", "ceiling_items") if c in runs.columns]]
        summary = metrics.summarize_runs(runs, by=[], level=level).iloc[0]
        row = {"task": task, "variant": variant, "n_seeds": len(g), "acc": summary["student_acc"],
               "acc_ci_low": summary["student_acc_ci_low"], "acc_ci_high": summary["student_acc_ci_high"],
               "supervisor_acc": float(g["supervisor_acc"].mean()), "weak_acc": summary["weak_acc"],
               "ceiling_acc": summary["ceiling_acc"], "note": g["note"].iloc[0]}
        for key in ("pgr", "pgr_ci_low", "pgr_ci_high", "pgr_flag"):
            row[key] = summary[key]
        if "supervisor_acc_on_b" in g:
            row["supervisor_acc_on_b"] = float(g["supervisor_acc_on_b"].mean())
        if row["supervisor_acc"] > row["ceiling_acc"]:  # the "ceiling" is no upper bound for this row
            row["pgr_flag"] = "ceiling below supervisor"
        row.update(_minus_supervisor(g, level))
        row["ci_over"] = summary["ci_over"]
        out.append(row)
    return pd.DataFrame(out)


def _minus_supervisor(g: pd.DataFrame, level: float) -> dict:
    """``student − supervisor`` on test with its paired interval: the weak-to-strong effect itself."""
    nan = {"minus_supervisor": np.nan, "minus_supervisor_ci_low": np.nan, "minus_supervisor_ci_high": np.nan,
           "minus_supervisor_excludes_0": False}
    if g["supervisor_acc"].isna().any():
        return nan
    value = float((g["acc"] - g["supervisor_acc"]).mean())
    if metrics.has_item_outcomes(g, ("items", "supervisor_items")):
        boot = metrics.item_seed_means(np.stack([metrics.outcome_matrix(g, "items"),
                                                 metrics.outcome_matrix(g, "supervisor_items")]))
        estimate = metrics.interval(boot[0] - boot[1], value, level)
    else:
        ci = metrics.bootstrap_ci((g["acc"] - g["supervisor_acc"]).to_numpy(dtype=float), level)
        estimate = metrics.PairedEstimate(value, ci.low, ci.high)
    return {"minus_supervisor": estimate.value, "minus_supervisor_ci_low": estimate.low,
            "minus_supervisor_ci_high": estimate.high, "minus_supervisor_excludes_0": estimate.excludes_zero}


# the comparisons of table 2, each paired on seeds and test items: (variant, reference)
FRAMEWORK_COMPARISONS = (("psi", "w2s_baseline"), ("phi_psi", "w2s_baseline"), ("phi_psi", "psi"),
                         ("phi", "w2s_baseline"), ("phi_explained", "w2s_baseline"), ("phi_weak", "weak"),
                         ("phi_explained_weak", "weak"), ("psi_jury", "weak"), ("phi_psi_jury", "weak"),
                         # Ψ − the plain student, taken apart: format, ensemble, evidence, debate roles
                         ("w2s_pairwise", "w2s_baseline"), ("psi_blind", "w2s_pairwise"), ("psi", "psi_blind"),
                         ("psi", "psi_retrieval"), ("psi_jury", "retrieval_jury"), ("psi_jury", "blind_jury"))


def framework_comparisons(rows: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Each variant against its reference on the same seeds and test items (Ψ − the plain student,
    M'_W − M_W, …; teacher variants ``name[teacher]`` too): the difference in accuracy with its
    interval over items × seeds, and whether the interval excludes 0."""
    out = []
    for task, g in rows.groupby("task", sort=False):
        by_variant = {v: part.set_index("seed") for v, part in g.groupby("variant", sort=False)}
        for variant in by_variant:
            base_name = variant.split("[")[0]
            suffix = variant[len(base_name):]
            for name, reference in FRAMEWORK_COMPARISONS:
                if name != base_name:
                    continue
                ref = by_variant.get(reference + suffix if reference.startswith("phi") else reference)
                if ref is None:
                    continue
                a = by_variant[variant]
                seeds = sorted(set(a.index) & set(ref.index))
                pair = [part.loc[seeds].reset_index() for part in (a, ref)]
                value = float(pair[0]["acc"].mean() - pair[1]["acc"].mean())
                boot = metrics.item_seed_means(np.stack([metrics.outcome_matrix(p, "items") for p in pair]))
                estimate = metrics.interval(boot[0] - boot[1], value, level)
                out.append({"task": task, "comparison": f"{variant} − {ref['variant'].iloc[0]}", "n_seeds": len(seeds),
                            "difference": estimate.value, "ci_low": estimate.low, "ci_high": estimate.high,
                            "excludes 0": estimate.excludes_zero, "ci_over": "test items × seeds"})
    return pd.DataFrame(out)


def protocol_item_scores(runs: Sequence[ProtocolRun]) -> dict[str, np.ndarray]:
    """Per protocol: (seeds, items) of the judge's score on each test item, both answer orders
    averaged (1 right, 0 wrong, ½ on a tie), items in id order, seeds in order."""
    out: dict[str, list[np.ndarray]] = {}
    for run in sorted(runs, key=lambda r: r.seed):
        out.setdefault(run.protocol, []).append(item_scores(run.records))
    return {name: np.stack(scores) for name, scores in out.items()}


def protocol_table(runs: Sequence[ProtocolRun], level: float = 0.95) -> pd.DataFrame:
    """One row per protocol: accuracy (mean over seeds and test items, interval over items ×
    seeds), each answer order's accuracy and their difference, and the evidence the debaters showed."""
    per_seed = pd.DataFrame([r.summary() for r in runs])
    scores = protocol_item_scores(runs)
    rows = []
    for name, group in per_seed.groupby("protocol", sort=False):
        estimate = metrics.interval(metrics.item_seed_means(scores[name][None])[0], float(group["acc"].mean()), level)
        row = {"variant": name, "n_seeds": len(group), "acc": estimate.value, "acc_ci_low": estimate.low,
               "acc_ci_high": estimate.high}
        for column in ("acc_correct_first", "acc_correct_second", "order_effect", "correct_spoke_first",
                       "acc_correct_spoke_first", "acc_correct_spoke_second", "speaking_order_effect",
                       "gold_quoted_by_correct",
                       "gold_quoted_by_wrong", "quotes_verified", "turns_with_quote", "n_items"):
            if column in group:
                row[column] = float(group[column].mean())
        opened = correct_opened(next(r for r in runs if r.protocol == name).records)
        if opened is not None and 0 < opened.mean() < 1:
            row.update(_speaking_order_interval(scores[name], opened, row["speaking_order_effect"], level))
        row["ci_over"] = "test items × seeds"
        rows.append(row)
    return pd.DataFrame(rows)


def generation_table(runs: Sequence[ProtocolRun], table: pd.DataFrame) -> pd.DataFrame:
    """What a debater that writes text did, per protocol with debaters: how many turns held a quote
    (the parse rate), how many quotes were verified, the judge's accuracy (from ``table``, the
    protocols' rows) and the debaters' writing time per test item (A's transcripts included, as
    recorded when the transcripts were built: a measurement, so it lives in this table, not in
    table 2)."""
    rows = []
    acc = table.set_index("variant")
    for name in dict.fromkeys(r.protocol for r in runs):
        mine = [r for r in runs if r.protocol == name]
        if not any(t for r in mine for rec in r.records for t in rec["turns"]):
            continue
        row = acc.loc[name]
        rows.append({"variant": name, "n_seeds": len(mine), "turns_with_quote": row.get("turns_with_quote"),
                     "quotes_verified": row.get("quotes_verified"), "acc": row["acc"], "acc_ci_low": row["acc_ci_low"],
                     "acc_ci_high": row["acc_ci_high"],
                     "seconds_per_item": float(np.mean([r.seconds_per_item() for r in mine]))})
    return pd.DataFrame(rows)


def correct_opened(records: Sequence[dict]) -> np.ndarray | None:
    """Per test item (id order): whether the correct side spoke first; None without two debaters."""
    opened = {r["id"]: r["first_speaker"] == "AB"[r["correct"]] for r in records
              if len({t["side"] for t in r["turns"]}) == 2}
    return np.array([opened[i] for i in sorted(opened)]) if opened else None


def _group_means(scores: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Bootstrap draws (items × seeds resampled together) of the mean score inside and outside a
    group of items: shape (2, n_boot)."""
    m = member.astype(float)[None, :]
    boot = metrics.item_seed_means(np.stack([scores * m, np.broadcast_to(m, scores.shape),
                                             scores * (1 - m), np.broadcast_to(1 - m, scores.shape)]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([boot[0] / boot[1], boot[2] / boot[3]])


def _speaking_order_interval(scores: np.ndarray, opened: np.ndarray, value: float, level: float) -> dict:
    """The interval of (accuracy where the correct side opened) − (where it spoke second), items and
    seeds resampled together; the two groups are different items, each seed scoring both."""
    inside, outside = _group_means(scores, opened)
    estimate = metrics.interval(inside - outside, value, level)
    return {"speaking_order_effect_ci_low": estimate.low, "speaking_order_effect_ci_high": estimate.high}


def protocol_item_set_table(runs: Sequence[ProtocolRun], item_sets: pd.DataFrame,
                            level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each protocol on each set of test items (``item_sets``: ``id``, ``item_set`` and, where the
    task has them, ``misleading_kind`` — each kind becomes a set of its own, "misleading: negation"
    say — and ``misleading_evidence``), and the protocols against each other within each set, paired
    on seeds and items; plus, per protocol, misleading − plain accuracy. Intervals resample test
    items and seeds together. ``misleading_quoted_by_wrong``: how often the side arguing for the
    distractor quoted the sentence that supports it (where a side argued for it)."""
    scores = protocol_item_scores(runs)
    ids = sorted({r["id"] for r in runs[0].records})
    sets = item_sets.set_index("id").reindex(ids)
    members = {name: (sets["item_set"] == name).to_numpy() for name in dict.fromkeys(sets["item_set"])}
    if "misleading_kind" in sets:
        for kind in sorted(k for k in set(sets["misleading_kind"]) if isinstance(k, str) and k):
            members[f"misleading: {kind}"] = (sets["misleading_kind"] == kind).to_numpy()
    evidence = sets["misleading_evidence"] if "misleading_evidence" in sets else pd.Series(index=ids, dtype=object)
    misleading = {i: set(e) for i, e in evidence.items() if isinstance(e, (list, tuple, np.ndarray)) and len(e)}
    rows, comparisons = [], []
    for protocol, matrix in scores.items():
        first = [r for r in runs if r.protocol == protocol][0].records
        for name, member in members.items():
            inside, _ = _group_means(matrix, member)
            est = metrics.interval(inside, float(matrix[:, member].mean()), level)
            row = {"variant": protocol, "item_set": name, "n_items": int(member.sum()), "n_seeds": matrix.shape[0],
                   "acc": est.value, "acc_ci_low": est.low, "acc_ci_high": est.high}
            inside_ids = set(np.asarray(ids)[member])
            argued = [r for r in first if r["order"] == 0 and r["id"] in inside_ids and r["id"] in misleading
                      and any(t["side"] == "AB"[1 - r["correct"]] for t in r["turns"])]
            if argued:
                row["misleading_quoted_by_wrong"] = float(np.mean([
                    bool(set(quoted_sentences(r, "AB"[1 - r["correct"]])) & misleading[r["id"]]) for r in argued]))
            rows.append(row)
        if {"plain", "misleading"} <= set(members):
            inside, outside = _group_means(matrix, members["misleading"])
            observed = float(matrix[:, members["misleading"]].mean() - matrix[:, members["plain"]].mean())
            est = metrics.interval(inside - outside, observed, level)
            comparisons.append({"comparison": f"{protocol}: misleading − plain", "item_set": "both",
                                "difference": est.value, "ci_low": est.low, "ci_high": est.high,
                                "excludes 0": est.excludes_zero, "ci_over": "test items × seeds"})
    for name, member in members.items():
        inside_ids = set(np.asarray(ids)[member])
        subset = [ProtocolRun(r.protocol, r.seed, [x for x in r.records if x["id"] in inside_ids]) for r in runs]
        part = protocol_comparisons(subset, level) if inside_ids else pd.DataFrame()
        comparisons += part.assign(item_set=name).to_dict("records") if len(part) else []
    return pd.DataFrame(rows), pd.DataFrame(comparisons)


def best_response_table(rows: pd.DataFrame, item_scores: dict, level: float = 0.95) -> pd.DataFrame:
    """Judge accuracy per protocol, round and judge (``previous``: the judge the debaters
    best-responded to; ``retrained``: trained on A's transcripts of those debaters), means over
    seeds with an interval over test items × seeds, and the evidence each side showed; plus each
    row's difference from round 0's judge, paired on seeds and items, with its interval."""
    out = []
    keys = ["protocol", "round", "judge"]
    for key, group in rows.groupby(keys, sort=False):
        protocol, round_, judge = key
        seeds = sorted(group["seed"])
        matrix = np.stack([item_scores[(protocol, s, round_, judge)] for s in seeds])
        start = np.stack([item_scores[(protocol, s, 0, "retrained")] for s in seeds])
        boot = metrics.item_seed_means(np.stack([matrix, start]))
        acc = metrics.interval(boot[0], float(matrix.mean()), level)
        change = metrics.interval(boot[0] - boot[1], float(matrix.mean() - start.mean()), level)
        row = {**dict(zip(keys, key)), "debaters": group["debaters"].iloc[0], "n_seeds": len(seeds),
               "acc": acc.value, "acc_ci_low": acc.low, "acc_ci_high": acc.high,
               "minus_round_0": change.value, "minus_round_0_ci_low": change.low,
               "minus_round_0_ci_high": change.high, "minus_round_0_excludes_0": change.excludes_zero}
        for column in ("gold_quoted_by_correct", "gold_quoted_by_wrong", "quotes_verified", "n_items"):
            if column in group:
                row[column] = float(group[column].mean())
        row["ci_over"] = "test items × seeds"
        out.append(row)
    return pd.DataFrame(out)


def best_response_comparisons(rows: pd.DataFrame, item_scores: dict, level: float = 0.95) -> pd.DataFrame:
    """Debate − consultancy in every round, for each judge, paired on seeds and test items: does
    the honest side keep more of its advantage when two debaters best-respond than when one does?"""
    out = []
    protocols = set(rows["protocol"])
    if not {"debate", "consultancy"} <= protocols:
        return pd.DataFrame(out)
    for (round_, judge), group in rows.groupby(["round", "judge"], sort=True):
        seeds = sorted(set(group.loc[group["protocol"] == "debate", "seed"]) & set(group.loc[group["protocol"] == "consultancy", "seed"]))
        if not seeds:
            continue
        pair = np.stack([np.stack([item_scores[(p, s, round_, judge)] for s in seeds]) for p in ("debate", "consultancy")])
        boot = metrics.item_seed_means(pair)
        est = metrics.interval(boot[0] - boot[1], float(pair[0].mean() - pair[1].mean()), level)
        out.append({"comparison": "debate − consultancy", "round": round_, "judge": judge, "n_seeds": len(seeds),
                    "difference": est.value, "ci_low": est.low, "ci_high": est.high, "excludes 0": est.excludes_zero,
                    "ci_over": "test items × seeds"})
    return pd.DataFrame(out)


PROTOCOL_COMPARISONS = (("debate", "blind"), ("consultancy", "blind"), ("debate", "consultancy"),
                        ("oracle", "blind"), ("debate", "oracle"), ("retrieval", "blind"), ("debate", "retrieval"))


def protocol_comparisons(runs: Sequence[ProtocolRun], level: float = 0.95) -> pd.DataFrame:
    """Protocols against each other for the same judge, on the same seeds and test items: the
    difference in accuracy with its interval over items × seeds, and whether it excludes 0."""
    scores = protocol_item_scores(runs)
    out = []
    for name, reference in PROTOCOL_COMPARISONS:
        if name not in scores or reference not in scores:
            continue
        pair = np.stack([scores[name], scores[reference]])
        boot = metrics.item_seed_means(pair)
        estimate = metrics.interval(boot[0] - boot[1], float(pair[0].mean() - pair[1].mean()), level)
        out.append({"comparison": f"{name} − {reference}", "n_seeds": pair.shape[1], "difference": estimate.value,
                    "ci_low": estimate.low, "ci_high": estimate.high, "excludes 0": estimate.excludes_zero,
                    "ci_over": "test items × seeds"})
    return pd.DataFrame(out)


def error_table(per_seed: dict[int, pd.DataFrame], test_ids: Sequence[str], level: float = 0.95,
                n_boot: int = metrics.N_BOOT_ITEMS, seed: int = 0) -> pd.DataFrame:
    """``error_type, count`` (a seed's mean) and ``fraction`` — the share of the student's test errors
    of each type, over all seeds — with a 95 % interval from a bootstrap that resamples test items
    and seeds together (``test_ids``: the fixed test set, the same for every seed)."""
    index = {i: k for k, i in enumerate(test_ids)}
    codes = np.full((len(per_seed), len(test_ids)), -1)  # (seeds, items): the error type, -1 when right
    for row, frame in enumerate(per_seed.values()):
        codes[row, [index[i] for i in frame["id"]]] = [ERROR_TYPES.index(t) for t in frame["error_type"]]
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, codes.shape[0], size=(n_boot, codes.shape[0]))
    items = rng.integers(0, codes.shape[1], size=(n_boot, codes.shape[1]))
    drawn = codes[seeds[:, :, None], items[:, None, :]]                    # (boot, seeds, items)
    errors = np.maximum((drawn >= 0).sum(axis=(1, 2)), 1)
    rows = []
    for k, kind in enumerate(ERROR_TYPES):
        total = max(1, int((codes >= 0).sum()))
        share = (drawn == k).sum(axis=(1, 2)) / errors
        low, high = np.quantile(share, [(1 - level) / 2, (1 + level) / 2])
        rows.append({"error_type": kind, "count": float((codes == k).sum() / codes.shape[0]),
                     "fraction": float((codes == k).sum() / total), "fraction_ci_low": float(low),
                     "fraction_ci_high": float(high), "n_seeds": codes.shape[0], "ci_over": "test items × seeds"})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- table 3 and the analyses

GROUP_KEYS = ("domain", "task", "method", "weak_model", "strong_model", "regime")
SIZE_KEYS = ("weak_size", "strong_size")


def imitation_table(runs: pd.DataFrame, level: float = 0.95, n_boot: int = 10_000) -> pd.DataFrame:
    """Table 3: one row per (domain, task, method, weak_model, strong_model) with ``n_seeds`` and,
    for the student's agreement with its supervisor on test — overall, on items the supervisor got
    right (``agreement_weak_correct``) and on items it got wrong (``agreement_weak_wrong``) — the mean
    over seeds and its percentile-bootstrap interval over test items × seeds where the runs keep
    per-item outcomes (else over seeds; NaN with one seed); ``agreement_gap`` = right − wrong
    (0: the student follows right and wrong labels alike; 1: it follows only the right ones)."""
    lacking = [c for c in REQUIRED if c not in runs.columns]
    if lacking:
        raise ValueError(f"runs lack column(s) {lacking}; required: {list(REQUIRED)}")
    keys = [k for k in GROUP_KEYS if k in runs.columns]
    sizes = [k for k in SIZE_KEYS if k in runs.columns]
    items = metrics.has_item_outcomes(runs, ("weak_items", "student_items"))
    rows = []
    for key, group in runs.groupby(keys, sort=True, dropna=False):
        dup = group["seed"][group["seed"].duplicated()].tolist()
        if dup:
            raise ValueError(f"{dict(zip(keys, key))}: more than one run for seed(s) {dup}")
        group = group.sort_values("seed", kind="stable")
        row = {**dict(zip(keys, key)), **{k: group[k].iloc[0] for k in sizes}, "n_seeds": len(group)}
        if items:
            row.update(_agreement_over_items(group, level))
        else:  # seeds only (runs tables without per-item outcomes)
            for column in ("agreement", "agreement_weak_correct", "agreement_weak_wrong"):
                if column not in group.columns:
                    continue
                ci = metrics.bootstrap_ci(group[column].to_numpy(dtype=float), level, n_boot)
                row.update({column: ci.mean, f"{column}_ci_low": ci.low, f"{column}_ci_high": ci.high})
            gap = (group["agreement_weak_correct"].to_numpy(dtype=float)
                   - group["agreement_weak_wrong"].to_numpy(dtype=float))
            ci = metrics.bootstrap_ci(gap, level, n_boot)
            row.update({"agreement_gap": ci.mean, "agreement_gap_ci_low": ci.low, "agreement_gap_ci_high": ci.high})
        row["ci_over"] = "test items × seeds" if items else "seeds"
        for column in ("weak_acc", "student_acc", "ceiling_acc", "n_test"):
            if column in group.columns:
                row[column] = float(group[column].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def _agreement_over_items(group: pd.DataFrame, level: float) -> dict:
    """Agreement with the supervisor (overall, where it is right, where it is wrong) and their gap,
    with intervals over items × seeds: on a binary item the student agrees with its supervisor
    exactly when both are right or both are wrong."""
    weak, student = (metrics.outcome_matrix(group, c) for c in ("weak_items", "student_items"))
    agree = (weak == student).astype(float)
    right = weak.astype(float)
    boot = metrics.item_seed_means(np.stack([agree, agree * right, right, agree * (1 - right), 1 - right]))
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = {"agreement": boot[0], "agreement_weak_correct": boot[1] / boot[2],
                 "agreement_weak_wrong": boot[3] / boot[4]}
    draws["agreement_gap"] = draws["agreement_weak_correct"] - draws["agreement_weak_wrong"]
    observed = {c: float(group[c].mean()) for c in ("agreement", "agreement_weak_correct", "agreement_weak_wrong")}
    observed["agreement_gap"] = observed["agreement_weak_correct"] - observed["agreement_weak_wrong"]
    out = {}
    for column, samples in draws.items():
        estimate = metrics.interval(samples, observed[column], level)
        out.update({column: estimate.value, f"{column}_ci_low": estimate.low, f"{column}_ci_high": estimate.high})
    return out


def summarize_saliency(runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (concept, model_state): mean probe accuracy over seeds and its change from
    ``before`` (paired on seeds and probe test items, in accuracy units), each with a percentile
    interval over probe test items × seeds where the runs keep per-item outcomes (``probe_items``),
    else over seeds. ``ci_over`` says which."""
    items = "probe_items" in runs.columns and runs["probe_items"].notna().all()
    rows = []
    for concept, part in runs.groupby("concept", sort=False):
        states = list(dict.fromkeys(part["model_state"]))
        by_state = {s: part[part["model_state"] == s].sort_values("seed").reset_index(drop=True) for s in states}
        seeds = by_state["before"]["seed"].tolist()
        for state, group in by_state.items():
            if group["seed"].tolist() != seeds:
                raise ValueError(f"{concept}: {state!r} has seeds {group['seed'].tolist()}, 'before' has {seeds}")
        if items:
            outcomes = np.stack([[metrics.unpack_outcomes(text, int(n)) for text, n in
                                  zip(g["probe_items"], g["n_probe_test"])] for g in by_state.values()])
            boot = metrics.item_seed_means(outcomes.astype(float))
        for i, (state, group) in enumerate(by_state.items()):
            acc = group["probe_acc"].to_numpy(dtype=float)
            change = acc - by_state["before"]["probe_acc"].to_numpy(dtype=float)
            if items:
                a = metrics.interval(boot[i], acc.mean(), level)
                c = metrics.interval(boot[i] - boot[states.index("before")], change.mean(), level)
            else:  # seeds only (runs tables without per-item outcomes)
                a, c = metrics.bootstrap_ci(acc, level), metrics.bootstrap_ci(change, level)
                a = metrics.PairedEstimate(a.mean, a.low, a.high)
                c = metrics.PairedEstimate(c.mean, c.low, c.high)
            rows.append({"concept": concept, "model_state": state, "n_seeds": len(group),
                         "probe_acc": a.value, "probe_acc_ci_low": a.low, "probe_acc_ci_high": a.high,
                         "change_from_before": c.value, "change_ci_low": c.low, "change_ci_high": c.high,
                         "ci_over": "probe test items × seeds" if items else "seeds"})
    out = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(MODEL_STATES)}
    concepts = list(dict.fromkeys(runs["concept"]))
    return out.sort_values(["concept", "model_state"], key=lambda c: c.map(
        {n: i for i, n in enumerate(concepts)} if c.name == "concept" else order)).reset_index(drop=True)


def early_stopping_summary(curve: pd.DataFrame) -> pd.DataFrame:
    """Per seed: test accuracy at the last epoch (no early stopping), at the epoch early stopping
    picks, at the best epoch in hindsight (which needs test labels: a reference, not a method)."""
    rows = []
    for seed, c in curve.groupby("seed"):
        chosen = c[c["selected"]].iloc[0]
        rows.append({"seed": seed, "last_epoch": int(c["epoch"].max()), "last_acc": c["test_acc"].iloc[-1],
                     "selected_epoch": int(chosen["epoch"]), "selected_acc": chosen["test_acc"],
                     "best_epoch": int(c.loc[c["test_acc"].idxmax(), "epoch"]), "best_acc": c["test_acc"].max(),
                     "weak_acc": c["weak_acc"].iloc[0], "ceiling_acc": c["ceiling_acc"].iloc[0]})
    return pd.DataFrame(rows)


def saliency_models(models: pd.DataFrame) -> pd.DataFrame:
    """The three classifiers of figure 4 on the task itself (mean, min and max test accuracy over
    seeds): the finetuned student and ceiling must have learned the task for their
    representations to be worth probing."""
    return models.groupby(["model_state", "model"], sort=False, as_index=False).agg(
        test_acc=("test_acc", "mean"), test_acc_min=("test_acc", "min"), test_acc_max=("test_acc", "max"),
        n_test=("n_test", "first"))
