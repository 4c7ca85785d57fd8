"""What the numbers say, in sentences: every line of prose a notebook shows is written here from
a table it computed, so the words can never disagree with the numbers. Nothing here decides
whether a result is good; a difference is worded from its paired interval, and one whose interval
includes 0 is written as "no detectable effect"."""
from __future__ import annotations

import numpy as np
import pandas as pd


def effect(value: float, low: float, high: float) -> str:
    """A difference in accuracy, in points, with its paired interval; an interval that includes 0
    is written as no detectable effect."""
    text = f"{100 * value:+.1f} points [{100 * low:+.1f}, {100 * high:+.1f}]"
    return text if (low > 0 or high < 0) else f"{text}: no detectable effect"


def comparison_lines(comparisons: pd.DataFrame) -> list[str]:
    """One line per paired comparison (columns ``comparison``, ``difference``, ``ci_low``, ``ci_high``)."""
    return [f"{row['comparison']}: {effect(row['difference'], row['ci_low'], row['ci_high'])}"
            + (f" ({row['task']})" if "task" in row.index else "") for _, row in comparisons.iterrows()]


def _bullets(lines) -> str:
    return "\n".join(f"- {line}" for line in lines)


# ----------------------------------------------------------------------------- Φ (notebook 05)

def facilitation_findings(table: pd.DataFrame, comparisons: pd.DataFrame, preset: str, seeds, debate_task: str) -> str:
    """Per task: M_W, the ceiling and the plain student; for each Φ variant, M'_W against M_W and its
    student against the plain student, each difference paired on seeds and test items (markdown)."""
    parts = []
    for task in table["task"].unique():
        t = table[table["task"] == task].set_index("variant")
        out = [f"**{task}**: M_W {t.loc['weak', 'acc']:.3f}, strong ceiling {t.loc['ceiling', 'acc']:.3f}, "
               f"plain weak-to-strong student {t.loc['w2s_baseline', 'acc']:.3f} "
               f"(PGR {t.loc['w2s_baseline', 'pgr']:.2f})."]
        paired = comparisons[comparisons["task"] == task].set_index("comparison")
        for name in [v for v in t.index if v.startswith("phi_weak") or v.startswith("phi_explained_weak")]:
            student = name.replace("_weak", "")
            line = f"{student}: M'_W {t.loc[name, 'acc']:.3f}, its student {t.loc[student, 'acc']:.3f}"
            for label, key in (("M'_W − M_W", f"{name} − weak"), ("student − plain student",
                                                                 f"{student} − w2s_baseline")):
                if key in paired.index:
                    r = paired.loc[key]
                    line += f"; {label} {effect(r['difference'], r['ci_low'], r['ci_high'])}"
            out.append(line + ".")
        parts.append(_bullets(out))
    t = table[table["task"] == debate_task].set_index("variant")
    gap = t.loc["ceiling", "acc"] - t.loc["weak", "acc"]
    return (f"At preset `{preset}`, seeds {list(seeds)} (our numbers); the strong ceiling reads the passage and is "
            f"{100 * gap:.1f} points above M_W on {debate_task}.\n\n" + "\n\n".join(parts))


# ----------------------------------------------------------------------------- D (notebook 06)

def debate_findings(table: pd.DataFrame, comparisons: pd.DataFrame, preset: str, seeds) -> str:
    """Each protocol's accuracy with its interval, and the protocols against each other, paired on
    seeds and test items."""
    acc = table.set_index("variant")["acc"]
    lines = [f"**{v}**: {acc[v]:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in
             zip(table["variant"], table["acc_ci_low"], table["acc_ci_high"])]
    lines += comparison_lines(comparisons)
    if {"oracle", "debate"} <= set(acc.index):
        lines.append(f"Reading the whole passage (oracle) gives {acc['oracle']:.3f}: the same weak judge does "
                     f"{'better' if acc['oracle'] > acc['debate'] else 'worse'} with the full passage than with "
                     f"the debaters' selection.")
    if "gold_quoted_by_correct" in table:
        row = table.set_index("variant").loc["debate"] if "debate" in acc.index else table.iloc[0]
        lines.append(f"The debater for the correct answer quotes gold evidence in {row['gold_quoted_by_correct']:.0%} "
                     f"of items, the one for the wrong answer in {row['gold_quoted_by_wrong']:.0%}.")
    lines.append(f"Largest answer-order effect: {table['order_effect'].abs().max():.3f} (both orders are averaged).")
    if "speaking_order_effect" in table and table["speaking_order_effect"].notna().any():
        row = table.set_index("variant").loc["debate"] if "debate" in acc.index else table.iloc[0]
        lines.append(f"Speaking order (each side opens on {row['correct_spoke_first']:.0%} / "
                     f"{1 - row['correct_spoke_first']:.0%} of items): the judge is right on "
                     f"{row['acc_correct_spoke_first']:.3f} when the correct side opened and "
                     f"{row['acc_correct_spoke_second']:.3f} when it spoke second "
                     f"(difference {row['speaking_order_effect']:+.3f}).")
    return f"At preset `{preset}`, seeds {list(seeds)} (our numbers):\n\n" + _bullets(lines)


def item_set_findings(table: pd.DataFrame, comparisons: pd.DataFrame, preset: str, seeds) -> str:
    """Each protocol on plain and on misleading items, misleading − plain, and debate against the
    other protocols within each set, paired on seeds and items (markdown)."""
    lines = []
    for protocol, part in table.groupby("variant", sort=False):
        sets = part.set_index("item_set")
        shown = [f"{name} {row['acc']:.3f} [{row['acc_ci_low']:.3f}, {row['acc_ci_high']:.3f}] (n = {int(row['n_items'])})"
                 for name, row in sets.iterrows()]
        text = f"**{protocol}**: " + "; ".join(shown)
        quoted = sets["misleading_quoted_by_wrong"].get("misleading") if "misleading_quoted_by_wrong" in sets else None
        if quoted is not None and not pd.isna(quoted):
            text += f"; the side arguing for the distractor quotes the misleading sentence on {quoted:.0%} of those items"
        lines.append(text + ".")
    within = comparisons[comparisons["comparison"].str.contains(": misleading − plain", regex=False)
                         | comparisons["comparison"].str.startswith("debate − ")]
    lines += [f"{row['comparison']}{'' if row['item_set'] == 'both' else ' (' + row['item_set'] + ' items)'}: "
              f"{effect(row['difference'], row['ci_low'], row['ci_high'])}" for _, row in within.iterrows()]
    return f"At preset `{preset}`, seeds {list(seeds)} (our numbers):\n\n" + _bullets(lines)


def best_response_findings(table: pd.DataFrame, preset: str, seeds, comparisons: pd.DataFrame | None = None) -> str:
    """Per protocol and round: the accuracy of the judge the debaters best-responded to and of the
    judge retrained against them, each against round 0's judge; then debate − consultancy per round,
    all paired on seeds and items (markdown)."""
    lines = []
    for protocol, part in table.groupby("protocol", sort=False):
        start = part[part["round"] == 0].iloc[0]
        lines.append(f"**{protocol}**, round 0 (extractive debaters): {start['acc']:.3f} "
                     f"[{start['acc_ci_low']:.3f}, {start['acc_ci_high']:.3f}].")
        for round_, rows in part[part["round"] > 0].groupby("round"):
            by = rows.set_index("judge")
            said = []
            for judge, name in (("previous", "the judge they best-respond to"), ("retrained", "a judge retrained on them")):
                if judge in by.index:
                    r = by.loc[judge]
                    said.append(f"{name} {r['acc']:.3f} ({effect(r['minus_round_0'], r['minus_round_0_ci_low'], r['minus_round_0_ci_high'])} "
                                f"against round 0)")
            lines.append(f"Round {round_}, best responses: " + "; ".join(said) + ".")
    for _, row in (comparisons if comparisons is not None else pd.DataFrame()).iterrows():
        lines.append(f"Round {row['round']}, {'the judge they best-respond to' if row['judge'] == 'previous' else 'the retrained judge' if row['round'] else 'the judge'}: "
                     f"debate − consultancy {effect(row['difference'], row['ci_low'], row['ci_high'])}.")
    return f"At preset `{preset}`, seeds {list(seeds)} (our numbers):\n\n" + _bullets(lines)


# ----------------------------------------------------------------------------- Ψ (notebook 07)

def alignment_findings(table: pd.DataFrame, comparisons: pd.DataFrame, preset: str, seeds, jury_size: int,
                       teacher: str) -> str:
    """The jury against M_W and the ceiling; its student against the jury and the plain student;
    Φ → Ψ against Ψ — every difference paired on seeds and test items."""
    t = table.set_index("variant")
    paired = comparisons.set_index("comparison")

    def diff(key: str) -> str:
        r = paired.loc[key]
        return effect(r["difference"], r["ci_low"], r["ci_high"])

    ceiling = "ceiling_pairwise" if "ceiling_pairwise" in t.index else "ceiling"
    text = [f"The jury of {jury_size} weak judges labels the test items with accuracy {t.loc['psi_jury', 'acc']:.3f}, "
            f"against {t.loc['weak', 'acc']:.3f} for the plain weak supervisor and {t.loc[ceiling, 'acc']:.3f} "
            f"for the strong ceiling ({ceiling}).",
            f"The student it supervises reaches {t.loc['psi', 'acc']:.3f} [{t.loc['psi', 'acc_ci_low']:.3f}, "
            f"{t.loc['psi', 'acc_ci_high']:.3f}] (PGR {t.loc['psi', 'pgr']:.2f} [{t.loc['psi', 'pgr_ci_low']:.2f}, "
            f"{t.loc['psi', 'pgr_ci_high']:.2f}]); against its own supervisor, the jury, "
            f"{effect(t.loc['psi', 'minus_supervisor'], t.loc['psi', 'minus_supervisor_ci_low'], t.loc['psi', 'minus_supervisor_ci_high'])}; "
            f"against the plain weak-to-strong student ({t.loc['w2s_baseline', 'acc']:.3f}, PGR "
            f"{t.loc['w2s_baseline', 'pgr']:.2f}), {diff('psi − w2s_baseline')}.",
            f"With Φ first (teacher: {teacher}) the jury reaches {t.loc['phi_psi_jury', 'acc']:.3f} and its student "
            f"{t.loc['phi_psi', 'acc']:.3f}; against Ψ alone, {diff('phi_psi − psi')}."]
    parts = [(key, what) for key, what in (
        ("w2s_pairwise − w2s_baseline", "the pairwise format (M_W reading both answers)"),
        ("psi_blind − w2s_pairwise", f"a jury of {jury_size} instead of one judge, still blind"),
        ("psi − psi_blind", "the debate's evidence"),
        ("psi − psi_retrieval", "the debate roles, beyond the strong model's retrieval")) if key in paired.index]
    if parts:
        text.append("Ψ − the plain student, taken apart (students, paired): "
                    + "; ".join(f"{what}: {diff(key)}" for key, what in parts) + ".")
    return f"At preset `{preset}`, seeds {list(seeds)} (our numbers): " + " ".join(text)


def error_findings(errors: pd.DataFrame, n_rows: int) -> str:
    top = errors.sort_values("fraction", ascending=False).iloc[0]
    return f"most errors: {top['error_type']} ({top['fraction']:.0%}); {n_rows} table 2 rows"


# ----------------------------------------------------------------------------- analyses (notebook 08)

def _pct(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{100 * value:.0f} %"


def _ci(row: pd.Series, column: str) -> str:
    low, high = row[f"{column}_ci_low"], row[f"{column}_ci_high"]
    return "" if np.isnan(low) else f" [{100 * low:.0f}–{100 * high:.0f}]"


def imitation_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per row of table 3, from its numbers."""
    out = []
    for _, row in table.iterrows():
        where = " · ".join(str(row[k]) for k in ("domain", "task", "method", "regime") if k in row.index)
        out.append(f"{where} · {row['weak_model']} → {row['strong_model']} ({row['n_seeds']} seed(s)): the student "
                   f"agrees with {_pct(row['agreement_weak_correct'])}{_ci(row, 'agreement_weak_correct')} of the "
                   f"supervisor's right answers and {_pct(row['agreement_weak_wrong'])}"
                   f"{_ci(row, 'agreement_weak_wrong')} of its wrong ones (a pure imitator: 100 % of both).")
    return out


def _change_phrase(row: pd.Series) -> str:
    """'rose 6.3 points, 95 % CI +5.0 to +7.0', 'fell …', or no detectable effect, from the numbers."""
    points = 100 * row["change_from_before"]
    low, high = 100 * row["change_ci_low"], 100 * row["change_ci_high"]
    if np.isnan(low):
        return f"{points:+.1f} points; one seed, so no interval and no claim"
    interval = f"95 % CI {low:+.1f} to {high:+.1f}"
    if low > 0:
        return f"rose {points:.1f} points, {interval}"
    if high < 0:
        return f"fell {-points:.1f} points, {interval}"
    return f"{points:+.1f} points, no detectable effect ({interval})"


def saliency_sentences(summary: pd.DataFrame) -> list[str]:
    """One sentence per concept on what W2S (and ceiling) training changed, from the numbers."""
    out = []
    for concept, part in summary.groupby("concept", sort=False):
        s = part.set_index("model_state")
        text = (f"{concept.removeprefix('concept_')}: probe accuracy {s.loc['before', 'probe_acc']:.3f} before "
                f"training; {s.loc['w2s', 'probe_acc']:.3f} after W2S training ({_change_phrase(s.loc['w2s'])})")
        if "ceiling" in s.index:
            text += (f"; {s.loc['ceiling', 'probe_acc']:.3f} after ceiling training "
                     f"({_change_phrase(s.loc['ceiling'])})")
        out.append(text + ".")
    return out


def saliency_findings(summary: pd.DataFrame, preset: str, seeds) -> str:
    return f"At preset `{preset}`, seeds {list(seeds)} (our numbers):\n\n" + _bullets(saliency_sentences(summary))


def figure4_caption(cfg, weak: str, strong: str) -> str:
    return (f"**Figure 4.** Linear-probe accuracy of four concepts on the mean-pooled last-layer representations of "
            f"`{strong}` before training, after weak-to-strong training on `{cfg.task}` (supervisor `{weak}`) "
            f"and after training on ground truth; bars: mean over seeds {cfg.seeds}, whiskers: 95 % bootstrap CI over "
            f"seeds (none with one seed), dots: single seeds, dotted: chance. {cfg.probe_train} probe training and "
            f"{cfg.probe_test} test items per concept. Preset `{cfg.preset}`; the numbers are this package's own.")


def imitation_findings(table3: pd.DataFrame | None, sources: pd.DataFrame, preset: str) -> str:
    text = (_bullets(imitation_sentences(table3)) if table3 is not None
            else "No runs table with agreement columns yet: " + "; ".join(sources["status"]))
    return f"At preset `{preset}` (our numbers; brackets: 95 % CI over seeds):\n\n{text}"


def overfitting_caption(stops: pd.DataFrame, cfg, weak: str, strong: str) -> str:
    m = stops.mean(numeric_only=True)
    return (f"**Figure.** Test accuracy of the baseline W2S student (`{strong}` probe, supervisor `{weak}`) "
            f"after each epoch of training on weak labels, seeds {cfg.seeds} (thin: single seeds; thick: mean); "
            f"triangles: the epoch early stopping on weak-labelled val picks; dashed: the weak supervisor and the "
            f"strong ceiling. Preset `{cfg.preset}`; the numbers are this package's own.\n\n"
            f"Without early stopping the student ends at {m['last_acc']:.3f}; early stopping picks epoch "
            f"{m['selected_epoch']:.0f} on average and reaches {m['selected_acc']:.3f} "
            f"(best epoch in hindsight, which needs test labels: {m['best_acc']:.3f}; weak {m['weak_acc']:.3f}, "
            f"ceiling {m['ceiling_acc']:.3f}).")


# ----------------------------------------------------------------------------- choices on dev (notebook 01)

def dev_choice_findings(picks: pd.DataFrame, preset: str, seeds, tasks) -> str:
    """One line per choice: the settings tried, what its rule picks on dev and whether the preset
    uses it; then the choices not searched, with the reason (markdown)."""
    searched = picks[picks["tried"] != "-"]
    lines = [f"**{row['choice']}**: tried {row['tried']}; dev picks **{row['picked_on_dev']}**; the preset uses "
             f"{row['preset_uses']} ({'the same' if row['agree'] else 'a different setting'})"
             for _, row in searched.iterrows()]
    lines += [f"{row['choice']}: {row['note']}" for _, row in picks[picks["tried"] == "-"].iterrows()]
    return (f"Chosen on the dev splits of {', '.join(tasks)} (preset {preset}, seeds {list(seeds)}):\n\n"
            + _bullets(lines))
