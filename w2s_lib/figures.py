"""Every figure, drawn from tidy tables (never from models): one function per figure.

Each function takes a table such as ``table1_main.csv`` and returns a matplotlib figure;
saving (PDF + PNG + provenance sidecar) is :func:`w2s_lib.saving.save_figure`'s job.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .analyses.saliency import MODEL_STATES
from .figure_style import DOMAIN_TITLES, STATE_COLORS, STATE_LABELS, color, use_style

DOMAIN_ORDER = ("nlp", "chess", "reward_modeling")


def _domains(table: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(table["domain"]))
    return [d for d in DOMAIN_ORDER if d in present] + [d for d in present if d not in DOMAIN_ORDER]


def _weak_shades(weak_models: list[str]) -> dict[str, tuple]:
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("viridis")
    n = max(1, len(weak_models) - 1)
    return {w: cmap(0.85 * i / n) for i, w in enumerate(weak_models)}


def _by_size(frame: pd.DataFrame, size_col: str, name_col: str) -> list[str]:
    return list(frame.sort_values(size_col).drop_duplicates(name_col)[name_col])


def _ladders(table: pd.DataFrame) -> pd.Series:
    """Each row's ladder ("" in tables of a version that did not record it)."""
    if "ladder" not in table.columns:
        return pd.Series("", index=table.index)
    return table["ladder"].fillna("").astype(str)


def _domain_panels(table: pd.DataFrame):
    """One log-x panel per domain and ladder present (a domain run on two ladders, e.g. reward models
    of text and of chess moves, gets one panel for each: sizes of two families share no axis);
    returns the figure and (axis, that panel's rows) pairs. Titles name the ladder."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    use_style()
    ladder = _ladders(table)
    keys = [(d, name) for d in _domains(table) for name in dict.fromkeys(ladder[table["domain"] == d])]
    fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4.4 * max(1, len(keys)), 4.6), squeeze=False)
    panels = [(ax, table[(table["domain"] == d) & (ladder == name)]) for ax, (d, name) in zip(axes[0], keys)]
    for ax, (domain, name) in zip(axes[0], keys):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels of a short log axis overlap
        ax.set_title(DOMAIN_TITLES.get(domain, domain) + (f" · ladder {name}" if name else ""))
    return fig, panels


FINETUNED = "finetuned"  # the regime added beside a ladder's own (grid.REGIMES["top"])


def _regime(part: pd.DataFrame, regime: str) -> pd.DataFrame:
    """The rows of the finetuned regime (``FINETUNED``), or of the ladder's own training — probes at
    ``micro``, full finetuning at ``paper`` — for any other ``regime`` (tables of an older version
    hold only the latter)."""
    if "regime" not in part.columns:
        return part if regime != FINETUNED else part.iloc[:0]
    return part[part["regime"] == FINETUNED] if regime == FINETUNED else part[part["regime"] != FINETUNED]
FINETUNED_MARKER = {"marker": "D", "mfc": "white", "ms": 5.5, "mew": 1.3}  # hollow diamonds: the finetuned regime


def _finish(fig, panels, title: str):
    """Legends, title, layout; the figure is released from pyplot so a notebook shows it once,
    where it displays the returned object (not again at the end of the cell that drew it)."""
    import matplotlib.pyplot as plt

    for ax, _ in panels:
        ax.title.set_fontsize(9)
        _widen_single_size(ax)
        if ax.get_legend_handles_labels()[0]:  # below the panel: the finetuned markers sit among the lines
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _widen_single_size(ax) -> None:
    """Give a log-x panel whose points all share one size (a domain with one reliable pair) an axis
    around that size: matplotlib cannot scale a log axis to a single value, and draws the point off it."""
    if ax.get_xscale() != "log":
        return
    xs = np.concatenate([np.asarray(line.get_xdata(), float) for line in ax.lines
                         if line.get_transform() == ax.transData] or [np.zeros(0)])  # not axhline's
    xs = xs[np.isfinite(xs) & (xs > 0)]
    if len(xs) and xs.max() / xs.min() < 1.5:
        ax.set_xlim(xs.min() / 2, xs.max() * 2)


def finish_axes(fig, ax, title: str = ""):
    """A one-panel figure's title and layout; released from pyplot so a notebook shows it once."""
    import matplotlib.pyplot as plt

    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


def pgr_vs_size(table: pd.DataFrame, method: str = "baseline", title: str = ""):
    """Figure 1: PGR against strong-model size, one panel per domain, one line per weak model.

    With several tasks in a domain the point is the mean of per-task PGRs and the bar spans
    the tasks' min–max; with one task the bar is its 95 % bootstrap CI over seeds. Pairs whose
    PGR is flagged (ceiling not above weak, or a gap under 2 points) are left out: their PGR is
    undefined or dominated by noise.
    """
    fig, panels = _domain_panels(table[(table["method"] == method) & (table["pgr_flag"] == "ok")])
    for ax, part in panels:
        shades = _weak_shades(_by_size(part, "weak_size", "weak_model"))
        for weak, rows in part.groupby("weak_model", sort=False):
            g = rows.groupby(["strong_model", "strong_size"], as_index=False).agg(
                pgr=("pgr", "mean"), lo=("pgr", "min"), hi=("pgr", "max"), n_tasks=("task", "nunique"),
                ci_lo=("pgr_ci_low", "mean"), ci_hi=("pgr_ci_high", "mean")).sort_values("strong_size")
            one_task = (g["n_tasks"] == 1).all()
            lo = np.where(one_task, g["ci_lo"], g["lo"])
            hi = np.where(one_task, g["ci_hi"], g["hi"])
            yerr = np.vstack([g["pgr"] - lo, hi - g["pgr"]])
            ax.errorbar(g["strong_size"], g["pgr"], yerr=np.nan_to_num(np.clip(yerr, 0, None)), marker="o",
                        color=shades[weak], label=f"weak: {weak}")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xlabel("strong model size (non-embedding parameters)")
        ax.set_ylabel("performance gap recovered (PGR)")
    return _finish(fig, panels, title)


def figure_weak(part: pd.DataFrame) -> str:
    """The weak supervisor figures 1 and 3 follow across strong sizes: the domain's smallest weak
    rung, which supervises every larger one (the widest range of strong sizes)."""
    return _by_size(part, "weak_size", "weak_model")[0]


def pgr_vs_size_by_method(table: pd.DataFrame, title: str = ""):
    """Figure 1: PGR against strong-model size, one panel per domain, one line per method, all
    supervised by the domain's smallest weak rung (:func:`figure_weak`).

    With several tasks in a domain a point is the mean of per-task PGRs and its bar the tasks'
    min–max; with one task the bar is the 95 % interval over test items × seeds. Flagged PGRs
    (ceiling not above weak, or a gap under 2 points) are left out: they are not results. The axis
    spans the points (and 0 to 1); a bar reaching far past them (a small gap makes the ratio
    unstable) is cut at the edge, marked with an arrow. Hollow diamonds: the finetuned regime (the
    strong rung's last block trained too) of the pairs run that way, with their own weak supervisor.
    """
    fig, panels = _domain_panels(table)
    for ax, part in panels:
        finetuned = _regime(part[part["pgr_flag"] == "ok"], FINETUNED)
        part = _regime(part, "probe")
        weak = figure_weak(part)
        ok = part[(part["weak_model"] == weak) & (part["pgr_flag"] == "ok")]
        points = pd.concat([ok.groupby(["method", "strong_model"])["pgr"].mean(), finetuned["pgr"]])
        low_edge = min(0.0, float(points.min()) if len(points) else 0.0) - 0.25
        high_edge = max(1.0, float(points.max()) if len(points) else 1.0) + 0.25
        for method, rows in ok.groupby("method", sort=False):
            g = rows.groupby(["strong_model", "strong_size"], as_index=False).agg(
                pgr=("pgr", "mean"), lo=("pgr", "min"), hi=("pgr", "max"), n_tasks=("task", "nunique"),
                ci_lo=("pgr_ci_low", "mean"), ci_hi=("pgr_ci_high", "mean")).sort_values("strong_size")
            one_task = g["n_tasks"].to_numpy() == 1
            lo = np.where(one_task, g["ci_lo"], g["lo"])
            hi = np.where(one_task, g["ci_hi"], g["hi"])
            yerr = np.vstack([g["pgr"] - lo, hi - g["pgr"]])
            ax.errorbar(g["strong_size"], g["pgr"], yerr=np.nan_to_num(np.clip(yerr, 0, None)), marker="o",
                        capsize=2, color=color(method), label=method)
            for x, below, above in zip(g["strong_size"], lo < low_edge, hi > high_edge):
                for cut, y, mark in ((below, low_edge, "v"), (above, high_edge, "^")):
                    if cut:
                        ax.plot([x], [y], marker=mark, color=color(method), ms=5, clip_on=False)
        for (method, pair_weak), rows in finetuned.groupby(["method", "weak_model"], sort=False):
            g = rows.groupby("strong_size", as_index=False)[["pgr", "pgr_ci_low", "pgr_ci_high"]].mean()
            yerr = np.vstack([g["pgr"] - g["pgr_ci_low"], g["pgr_ci_high"] - g["pgr"]])
            ax.errorbar(g["strong_size"] * 1.08, g["pgr"], yerr=np.nan_to_num(np.clip(yerr, 0, None)), ls="none",
                        capsize=2, color=color(method), label=f"{method}, finetuned (weak: {pair_weak})",
                        **FINETUNED_MARKER)
        ax.axhline(0, color="black", lw=0.8)
        if not ok.empty:
            bottom, top = ax.get_ylim()
            ax.set_ylim(max(bottom, low_edge), min(top, high_edge))
        ax.set_xlabel("strong model size (non-embedding parameters)")
        ax.set_title(f"{ax.get_title()} · weak: {weak}")
        ax.set_ylabel("performance gap recovered (PGR)")
        if ok.empty:
            ax.text(0.5, 0.5, "no pair with a reliable gap", transform=ax.transAxes, ha="center", fontsize=8)
    return _finish(fig, panels, title)


def agreement_vs_size(table: pd.DataFrame, methods=("baseline", "aux_conf", "bootstrap"), title: str = ""):
    """Figure 3: how often the student agrees with its weak supervisor on test, against strong
    size, split into items the supervisor got right (solid) and wrong (dashed): high agreement
    where the supervisor is wrong is imitation; low agreement there is generalization. Hollow
    diamonds: students in the finetuned regime."""
    fig, panels = _domain_panels(table[table["method"].isin(methods)])
    for ax, part in panels:
        finetuned = _regime(part, FINETUNED)
        part = _regime(part, "probe")
        weak = figure_weak(part)
        rows = part[part["weak_model"] == weak]
        for (method, pair_weak), g in finetuned.groupby(["method", "weak_model"], sort=False):
            g = g.groupby("strong_size", as_index=False)[["agreement_weak_correct", "agreement_weak_wrong"]].mean()
            ax.plot(g["strong_size"] * 1.08, g["agreement_weak_correct"], ls="none", color=color(method),
                    label=f"{method}, finetuned (weak: {pair_weak}): weak right", **FINETUNED_MARKER)
            ax.plot(g["strong_size"] * 1.08, g["agreement_weak_wrong"], ls="none", color=color(method),
                    label=f"{method}, finetuned: weak wrong", **{**FINETUNED_MARKER, "marker": "d"})
        for method in methods:
            g = rows[rows["method"] == method].groupby(["strong_model", "strong_size"], as_index=False)[
                ["agreement_weak_correct", "agreement_weak_wrong"]].mean().sort_values("strong_size")
            if g.empty:
                continue
            ax.plot(g["strong_size"], g["agreement_weak_correct"], marker="o", color=color(method),
                    label=f"{method}: weak right")
            ax.plot(g["strong_size"], g["agreement_weak_wrong"], marker="x", ls="--", color=color(method),
                    label=f"{method}: weak wrong")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("strong model size (non-embedding parameters)")
        ax.set_title(f"{ax.get_title()} · weak: {weak}")
        ax.set_ylabel("student–supervisor agreement (test)")
    return _finish(fig, panels, title)


def accuracy_vs_size(table: pd.DataFrame, method: str = "baseline", title: str = ""):
    """Figure 2: test accuracy of weak supervisors, W2S students and strong ceilings by size.

    Students are drawn supervised by the smallest weak model of the ladder; points are the
    mean over the domain's tasks. Hollow diamonds: ceiling and student in the finetuned regime.
    """
    fig, panels = _domain_panels(table[table["method"] == method])
    for ax, part in panels:
        finetuned = _regime(part, FINETUNED)
        part = _regime(part, "probe")
        weak = part.groupby(["weak_model", "weak_size"], as_index=False)["weak_acc"].mean().sort_values("weak_size")
        ceiling = part.groupby(["strong_model", "strong_size"], as_index=False)["ceiling_acc"].mean() \
            .sort_values("strong_size")
        smallest = _by_size(part, "weak_size", "weak_model")[0]
        student = part[part["weak_model"] == smallest].groupby(["strong_model", "strong_size"], as_index=False)[
            "student_acc"].mean().sort_values("strong_size")
        ax.plot(weak["weak_size"], weak["weak_acc"], marker="s", color=color("weak"), label="weak (ground truth)")
        ax.plot(ceiling["strong_size"], ceiling["ceiling_acc"], marker="o", color=color("ceiling"),
                label="strong ceiling (ground truth)")
        ax.plot(student["strong_size"], student["student_acc"], marker="^", color=color(method),
                label=f"W2S student ({method}, weak = {smallest})")
        for pair_weak, g in finetuned.groupby("weak_model", sort=False):
            g = g.groupby("strong_size", as_index=False)[["student_acc", "ceiling_acc"]].mean()
            ax.plot(g["strong_size"] * 1.08, g["ceiling_acc"], ls="none", color=color("ceiling"),
                    label="finetuned ceiling", **FINETUNED_MARKER)
            ax.plot(g["strong_size"] * 1.08, g["student_acc"], ls="none", color=color(method),
                    label=f"finetuned student (weak = {pair_weak})", **FINETUNED_MARKER)
        ax.set_xlabel("model size (non-embedding parameters)")
        ax.set_ylabel("test accuracy")
    return _finish(fig, panels, title)


def table1_figures(table1: pd.DataFrame, title: str = "") -> dict:
    """Figures 1–3 from the whole of table 1 (every domain run so far), by file name."""
    pairs = table1[table1["weak_size"].notna()]  # a human rater has no size
    return {"fig1_pgr_vs_size": pgr_vs_size_by_method(table1, title=title),
            "fig2_accuracy_vs_size": accuracy_vs_size(pairs, title=title),
            "fig3_agreement_vs_size": agreement_vs_size(pairs, title=title)}


def protocol_accuracy(table: pd.DataFrame, title: str = ""):
    """Judge accuracy per protocol (mean over both answer orders and seeds, bar = 95 % CI), with
    chance and each order's accuracy marked: the debate figure of notebook 06."""
    import matplotlib.pyplot as plt

    use_style()
    fig, ax = plt.subplots(figsize=(1.3 + 1.1 * len(table), 3.4))
    x = np.arange(len(table))
    acc = table["acc"].to_numpy()
    err = np.vstack([acc - table["acc_ci_low"].to_numpy(), table["acc_ci_high"].to_numpy() - acc])
    ax.bar(x, acc, color=[color(v) for v in table["variant"]], yerr=np.nan_to_num(np.clip(err, 0, None)), width=0.6)
    if {"acc_correct_first", "acc_correct_second"} <= set(table.columns):
        ax.scatter(x - 0.12, table["acc_correct_first"], marker="v", color="black", s=14, zorder=3,
                   label="correct answer shown first")
        ax.scatter(x + 0.12, table["acc_correct_second"], marker="^", color="black", s=14, zorder=3,
                   label="correct answer shown second")
    ax.axhline(0.5, color="black", lw=0.8, ls=":", label="chance")
    ax.set_xticks(x, table["variant"])
    ax.set_ylim(0.4, 1.0)
    ax.set_ylabel("weak judge accuracy (test)")
    ax.legend(fontsize=7, loc="upper left")
    return finish_axes(fig, ax, title)


def best_response_rounds(table: pd.DataFrame, title: str = ""):
    """Judge accuracy per round of best responses (bars: 95 % CI over test items × seeds): solid,
    the judge retrained against that round's debaters; dashed, the judge they best-responded to."""
    import matplotlib.pyplot as plt

    use_style()
    fig, ax = plt.subplots(figsize=(8.2, 3.4))
    for k, (protocol, part) in enumerate(table.groupby("protocol", sort=False)):
        for judge, style in (("retrained", "-"), ("previous", "--")):
            line = part[part["judge"] == judge].sort_values("round")
            if judge == "previous":  # from the round-0 judge the first best responses exploit
                line = pd.concat([part[(part["round"] == 0)], line])
            x = line["round"].to_numpy() + (k - 0.5) * 0.06
            acc = line["acc"].to_numpy()
            err = np.vstack([acc - line["acc_ci_low"].to_numpy(), line["acc_ci_high"].to_numpy() - acc])
            ax.errorbar(x, acc, yerr=np.nan_to_num(np.clip(err, 0, None)), ls=style, marker="o", ms=3.5,
                        color=color(protocol), capsize=2,
                        label=f"{protocol}: {'judge retrained on these debaters' if judge == 'retrained' else 'judge they best-respond to'}")
    ax.axhline(0.5, color="black", lw=0.8, ls=":", label="chance")
    ax.set_xticks(sorted(table["round"].unique()))
    ax.set_xlabel("round (0: extractive debaters; t: best responses to judge t − 1)")
    ax.set_ylabel("weak judge accuracy (test)")
    ax.set_ylim(0.3, 1.0)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return finish_axes(fig, ax, title)


ITEM_SET_HATCHES = (None, "//", "..", "xx", "\\\\", "++")


def protocol_item_sets(table: pd.DataFrame, title: str = ""):
    """Judge accuracy per protocol on each item set (plain, misleading; bar = 95 % CI over test
    items × seeds): where the wrong side has material to quote, and where it has none."""
    import matplotlib.pyplot as plt

    use_style()
    protocols = list(dict.fromkeys(table["variant"]))
    sets = list(dict.fromkeys(table["item_set"]))
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(3.3 + (0.5 + 0.3 * len(sets)) * len(protocols), 3.6))
    width = 0.8 / len(sets)
    handles = []
    for k, name in enumerate(sets):
        part = table[table["item_set"] == name].set_index("variant").reindex(protocols)
        acc = part["acc"].to_numpy()
        err = np.vstack([acc - part["acc_ci_low"].to_numpy(), part["acc_ci_high"].to_numpy() - acc])
        x = np.arange(len(protocols)) + (k - (len(sets) - 1) / 2) * width
        hatch = ITEM_SET_HATCHES[k % len(ITEM_SET_HATCHES)]
        ax.bar(x, acc, width=width * 0.95, yerr=np.nan_to_num(np.clip(err, 0, None)),
               color=[color(v) for v in protocols], alpha=1.0 if k == 0 else 0.6, edgecolor="black", lw=0.5,
               hatch=hatch)
        handles.append(Patch(facecolor="white", edgecolor="black", hatch=hatch,
                             label=f"{name} (n = {int(part['n_items'].max())})"))
    ax.axhline(0.5, color="black", lw=0.8, ls=":")
    ax.set_xticks(np.arange(len(protocols)), protocols)
    ax.set_ylim(0.3, 1.0)
    ax.set_ylabel("weak judge accuracy (test); dotted: chance")
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return finish_axes(fig, ax, title)


def error_types(table: pd.DataFrame, title: str = ""):
    """Figure 5: the share of the aligned student's test errors of each type (bars: 95 % interval),
    in the order of the attribution rule's precedence; one panel per task. Each share is written
    past the end of its whisker."""
    import matplotlib.pyplot as plt

    use_style()
    parts = list(table.groupby("task", sort=False)) if "task" in table else [("", table)]
    fig, axes = plt.subplots(1, len(parts), figsize=(6.4 * len(parts), 3.2), squeeze=False)
    for ax, (task, part) in zip(axes[0], parts):
        y = np.arange(len(part))[::-1]
        share = part["fraction"].to_numpy()
        high = np.fmax(part["fraction_ci_high"].to_numpy(), share)
        err = np.vstack([share - part["fraction_ci_low"].to_numpy(), high - share])
        ax.barh(y, share, xerr=np.nan_to_num(np.clip(err, 0, None)), color=color("alignment"), edgecolor="black",
                lw=0.6)
        for yi, s, h, c in zip(y, share, np.nan_to_num(high), part["count"]):
            ax.text(max(s, h) + 0.015, yi, f"{s:.0%} ({c:.0f} a seed)", va="center", fontsize=8)
        ax.set_yticks(y, part["error_type"])
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of the aligned student's test errors")
        if task and len(parts) > 1:
            ax.set_title(task)
    if len(parts) == 1:
        return finish_axes(fig, axes[0][0], title)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_concept_saliency(summary: pd.DataFrame, runs: pd.DataFrame | None = None, title: str = ""):
    """Figure 4: probe accuracy per concept (groups) and model state (bars; whiskers: 95 % CI over
    probe test items × seeds, or seeds where the runs lack per-item outcomes; dots: single seeds when ``runs`` is given); chance (0.5) dotted."""
    import matplotlib.pyplot as plt

    use_style()
    concepts = list(dict.fromkeys(summary["concept"]))
    states = [s for s in MODEL_STATES if s in set(summary["model_state"])]
    fig, ax = plt.subplots(figsize=(1.2 + 1.5 * len(concepts), 3.4))
    width = 0.8 / len(states)
    for j, state in enumerate(states):
        part = summary[summary["model_state"] == state].set_index("concept").reindex(concepts)
        x = np.arange(len(concepts)) + (j - (len(states) - 1) / 2) * width
        acc = part["probe_acc"].to_numpy()
        err = np.vstack([acc - part["probe_acc_ci_low"].to_numpy(), part["probe_acc_ci_high"].to_numpy() - acc])
        ax.bar(x, acc, width * 0.92, color=STATE_COLORS[state], label=STATE_LABELS[state],
               yerr=np.nan_to_num(np.clip(err, 0, None)), error_kw={"lw": 0.8, "capsize": 2})
        if runs is not None:
            for i, concept in enumerate(concepts):
                seeds = runs[(runs["concept"] == concept) & (runs["model_state"] == state)]["probe_acc"]
                ax.scatter(np.full(len(seeds), x[i]), seeds, s=6, color="#E69F00", zorder=3, lw=0)
    ax.axhline(0.5, color="black", lw=0.8, ls=":")
    ax.set_xticks(np.arange(len(concepts)), [c.removeprefix("concept_") for c in concepts])
    low = float(np.nanmin(summary["probe_acc_ci_low"].fillna(summary["probe_acc"])))
    ax.set_ylim(max(0.0, min(0.45, low - 0.05)), 1.0)
    ax.set_ylabel("linear-probe accuracy (test)")
    ax.legend(fontsize=7, loc="upper right", ncol=len(states))
    return finish_axes(fig, ax, title)


def plot_overfitting(curve: pd.DataFrame, title: str = ""):
    """Test accuracy against training steps, one thin line per seed and their mean; a marker where
    early stopping on weak-labelled val stops each seed; the weak supervisor and the strong ceiling
    as horizontal references."""
    import matplotlib.pyplot as plt

    use_style()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for i, (seed, c) in enumerate(curve.groupby("seed")):
        ax.plot(c["step"], c["test_acc"], color=color("baseline"), lw=0.7, alpha=0.5)
        chosen = c[c["selected"]]
        ax.scatter(chosen["step"], chosen["test_acc"], marker="v", s=36, color=color("aux_conf"), zorder=3,
                   label="early stop (weak-labelled val)" if i == 0 else None)
    mean = curve.groupby("step", as_index=False)["test_acc"].mean()
    ax.plot(mean["step"], mean["test_acc"], color=color("baseline"), lw=1.8, label="W2S student (mean over seeds)")
    ax.axhline(curve["weak_acc"].mean(), color=color("weak"), ls="--", lw=1, label="weak supervisor")
    ax.axhline(curve["ceiling_acc"].mean(), color=color("ceiling"), ls="--", lw=1, label="strong ceiling")
    ax.set_xlabel("training steps")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7, loc="best")
    return finish_axes(fig, ax, title)


def choices_on_dev(table: pd.DataFrame, picks: pd.DataFrame, title: str = ""):
    """For each choice made on dev, against the setting: the reference its rule reads beside its
    score (top: the strongest rung's dev ceiling, or M_W's dev accuracy for Φ) and what the rule
    maximises (bottom: pooled dev PGR, smallest ceiling step, or M'_W's dev accuracy), one line per
    task and the mean over tasks in black; the picked setting is shaded and the preset's marked
    ``(preset)`` on the axis."""
    import matplotlib.pyplot as plt

    from .choices import RULES, rule_of, rule_scores

    use_style()
    names = list(dict.fromkeys(table["choice"]))
    fig, axes = plt.subplots(2, len(names), figsize=(3.4 * len(names), 5.2), squeeze=False)
    picked = dict(zip(picks["choice"], picks["picked_on_dev"].astype(str)))
    for col, name in enumerate(names):
        part = table[table["choice"] == name]
        settings = list(dict.fromkeys(part["setting"]))
        per_task, mean = rule_scores(part, by_task=True), rule_scores(part)
        x = np.arange(len(settings))
        reference_label, score_label = RULES[rule_of(part)]
        for row, (column, label) in enumerate((("reference", reference_label), ("score", score_label))):
            ax = axes[row][col]
            for task in dict.fromkeys(part["task"]):
                ax.plot(x, [per_task.loc[(s, task), column] for s in settings], marker="o", ms=3, lw=1, label=task)
            ax.plot(x, [mean.loc[s, column] for s in settings], color="black", lw=2, label="mean over tasks")
            if picked.get(name) in settings:
                i = settings.index(picked[name])
                ax.axvspan(i - 0.3, i + 0.3, color="0.85", zorder=0, label="picked on dev")
            preset = str(part["preset_setting"].iloc[0])
            ax.set_xticks(x, [f"{s}\n(preset)" if s == preset else s for s in settings], fontsize=7)
            ax.set_ylabel(label, fontsize=8)
            if row == 0:
                ax.set_title(name, fontsize=9)
    axes[0][0].legend(fontsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig
