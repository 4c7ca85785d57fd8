"""The settings the presets fix, chosen on dev: each choice names a knob, the settings tried, the
value the preset uses and the rule that picks one.

Every setting is run exactly as the weak-to-strong grid runs it (the same A, B, val and seeds), but
inside :func:`w2s_lib.data.splits.scored_on_dev`: the held-out split is each task's dev split, the
models are stored under keys of their own, and no test label is read. One row per (choice, setting,
task, pair) gives the dev scores (means over seeds); :func:`rule_scores` reduces them to what a
rule compares, and :func:`picks` says which setting each rule picks and whether the preset uses it.

The rules:

* a **probe setting** (weight decay, then learning rate, then epochs, each at the settings picked
  before it), or for a ladder that finetunes, a **finetuning setting** (every rung's learning rate
  times one factor, then epochs): the highest *pooled* dev PGR — the students' total gain over
  their weak supervisors divided by the total gap to the ceiling, over tasks and pairs — among the
  settings whose dev ceiling (the strongest rung, averaged over tasks) is within
  :data:`CEILING_TOLERANCE` of the best one's: a student should generalize more without the strong
  model itself getting worse.
  (Pooled, because a mean of per-pair PGRs is ruled by pairs with a gap under a point — the first
  dev run had a PGR of −2.3 from a 0.5-point gap — and skips pairs with none.)
* the **finetuned regime's settings** (with ``finetuned_tasks``): the block's learning rate, then
  the epochs, of the ladder's largest pair finetuned, by the same rule;
* **Φ's weight** on the teacher's term of Eq. 1 (:func:`w2s_lib.facilitation.facilitate`): the
  highest mean dev accuracy of M'_W, the weak supervisor Φ should improve (on the binary tasks,
  notebook 05's NLP setting, at the preset's probe settings);
* the **debate settings** (with a debate task): the extractive debater's contrast term and the
  judge's features by the debate judge's dev accuracy, the jury size by the jury's;
* the **MiniLM truncations** above the tiny rungs: the two depths (of those the ladder's one stored
  MiniLM pass gives: 1–3 at ``micro``) whose ladder has the largest *smallest* step of dev ceiling
  between neighbouring rungs, averaged over tasks, so that every pair of the ladder is a real
  weak < strong pair.

* the **headline pair** of each domain (:func:`headline_pairs`, in notebooks 02–04): a weak supervisor
  at least 60 % right on dev (chess: 55 %) under a ceiling at least 5 points above it, the one whose
  dev PGR interval starts highest.

Ties go to the preset's setting. What is not searched is listed in :data:`NOT_SEARCHED` with the
reason, and shown beside the table.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd

from . import metrics
from .data.splits import scored_on_dev
from .grid import run_grid
from .models.ladder import Rung, get_ladder
from .models.sources import MINILM_LAYERS
from .progress import progress
from .training.probe import ProbeConfig

CEILING_TOLERANCE = 0.01  # a probe setting may cost the strong rung at most this much dev accuracy


@dataclass(frozen=True)
class ProbeChoice:
    """One probe option (a field of :class:`ProbeConfig`) of every rung of a ladder."""

    name: str
    option: str
    grid: tuple

    def preset_value(self, rungs: Sequence[Rung]):
        values = {r.extra.get("probe", {}).get(self.option, getattr(ProbeConfig(), self.option)) for r in rungs}
        if len(values) != 1:
            raise ValueError(f"{self.name}: the ladder's rungs use different values {sorted(values)}; "
                             "a choice sets one value for every rung")
        return values.pop()

    def ladder_with(self, rungs: Sequence[Rung], value) -> tuple[Rung, ...]:
        """The ladder with this option set to ``value`` (left out where it is the default, so a
        setting equal to the preset's reuses the preset's stored models)."""
        out = []
        for rung in rungs:
            probe = {k: v for k, v in rung.extra.get("probe", {}).items() if k != self.option}
            if value != getattr(ProbeConfig(), self.option):
                probe[self.option] = value
            extra = {k: v for k, v in rung.extra.items() if k != "probe"}
            out.append(replace(rung, extra={**extra, "probe": probe} if probe else extra))
        return tuple(out)


@dataclass(frozen=True)
class FinetuneChoice:
    """A finetuning setting of every rung of a ladder: its learning rate scaled by one factor (rungs
    keep their own rates: a hub ladder gives larger models smaller ones), or its epochs."""

    name: str
    option: str  # "lr_scale" or "epochs"
    grid: tuple

    def preset_value(self, rungs: Sequence[Rung]):
        if self.option == "lr_scale":
            return 1.0
        values = {getattr(r, self.option) for r in rungs}
        if len(values) != 1:
            raise ValueError(f"{self.name}: the ladder's rungs use different values {sorted(values)}; "
                             "a choice sets one value for every rung")
        return values.pop()

    def ladder_with(self, rungs: Sequence[Rung], value) -> tuple[Rung, ...]:
        if self.option == "lr_scale":
            return tuple(r if value == 1.0 else replace(r, lr=r.lr * value) for r in rungs)
        return tuple(replace(r, **{self.option: value}) for r in rungs)


@dataclass(frozen=True)
class TopChoice:
    """A setting of the finetuned regime (the strongest rung's last block and head on cached inputs,
    :mod:`w2s_lib.training.top_block`): the block's learning rate, the head's, or the epochs."""

    name: str
    option: str  # a key of top_block.DEFAULT_SETTINGS
    grid: tuple

    def preset_value(self, rungs: Sequence[Rung]):
        from .training.top_block import top_settings

        return top_settings(rungs[-1])[self.option]

    def ladder_with(self, rungs: Sequence[Rung], value) -> tuple[Rung, ...]:
        strong = rungs[-1]
        top = {**strong.extra.get("top", {}), self.option: value}
        return (*rungs[:-1], replace(strong, extra={**strong.extra, "top": top}))


PROBE_CHOICES = (
    ProbeChoice("probe weight decay", "weight_decay", (0.01, 0.3, 3.0, 30.0)),
    ProbeChoice("probe learning rate", "lr", (0.003, 0.01, 0.03)),
    ProbeChoice("probe epochs", "epochs", (10, 30, 60)),
)
TOP_CHOICES = (  # the finetuned regime of a ladder of probes (its two largest rungs)
    TopChoice("finetuned regime: block learning rate", "lr", (1e-4, 3e-4, 1e-3)),
    TopChoice("finetuned regime: epochs", "epochs", (2, 3)),
)
FINETUNE_CHOICES = (  # a ladder of finetuned rungs (the paper preset's hub ladders)
    FinetuneChoice("finetuning learning rate (x each rung's)", "lr_scale", (0.3, 1.0, 3.0)),
    FinetuneChoice("finetuning epochs", "epochs", (1, 2, 3)),
)


def choices_for(rungs: Sequence[Rung]) -> tuple:
    """The probe settings of a ladder of probes, the finetuning settings of one that finetunes."""
    modes = {r.train_mode == "probe" for r in rungs}
    if len(modes) != 1:
        raise ValueError("a ladder that mixes probes and finetuned rungs has no single setting to choose")
    return PROBE_CHOICES if modes.pop() else FINETUNE_CHOICES


NOT_SEARCHED = {
    "tiny rungs' pretraining steps": "not searched on dev at micro: pretraining one set of tiny rungs takes "
                                     "about 25 min on 2 cores; the committed rungs (300 and 1,500 steps) are used",
    "MiniLM depths 4-6": "not searched at micro: they need a 6-layer feature pass of every task (the 3-layer "
                         "pass is shared by depths 1-3)",
    "debate settings at micro": "the debater's contrast term, the judge's features and the jury size are searched "
                                "on debate_wordnet's dev split by params/micro_extended.yaml (outside the micro "
                                "budget); the micro-debate ladder carries its contrast and judge picks; the "
                                "jury stays at 3 (dev prefers 5 by 0.1 point; 5 does not fit the budget)",
    "chess ladder (micro-chess)": "not searched by the dev rule: the board rungs' channels, blocks and widths "
                                  "were set from prototypes scored on the puzzles outside every chess task's "
                                  "test pool, the corpus (8,250 games) from the move loss on games outside it, "
                                  "the steps (2,000, 3,000, 4,000) grow with size and were not searched; "
                                  "board-xl's 12,000 replaced 6,000 on dev ceilings (0.695 against 0.676 on "
                                  "chess_puzzles), tried after 6,000's test numbers were seen (README); the set "
                                  "takes about 2 h of one core to pretrain; their probes use the settings chosen "
                                  "on the text tasks",
    "Φ's weight on the debate task": "chosen on the NLP tasks' dev splits and used on debate_wordnet too (its "
                                     "dev split would need a new feature pass of every passage sentence)",
}


def _dev_scores(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (task, pair): dev accuracies averaged over seeds, and the PGR of those means."""
    mean = runs.groupby(["task", "weak_model", "strong_model"], sort=False)[
        ["weak_acc", "student_acc", "ceiling_acc"]].mean().reset_index()
    mean["pgr"] = [metrics.pgr(w, s, c).value for w, s, c in
                   zip(mean["weak_acc"], mean["student_acc"], mean["ceiling_acc"])]
    mean["seeds"] = int(runs["seed"].nunique())
    mean["n_dev"] = int(runs["n_test"].iloc[0]) if "n_test" in runs else np.nan
    return mean


def probe_search(tasks: Sequence[str], rungs: Sequence[Rung], seeds: Sequence[int], preset: str,
                 choices: Sequence[ProbeChoice | FinetuneChoice] | None = None, store=None
                 ) -> tuple[pd.DataFrame, tuple[Rung, ...]]:
    """Each probe choice in turn (the next one at the settings the previous rules picked), every
    rung supervising the strongest, scored on dev. Returns one row per (choice, setting, task,
    pair) and the ladder with every picked setting."""
    def dev_runs(ladder):
        return run_grid(tasks, ladder, seeds, preset, pairs="to_largest", store=store)

    return _search_in_turn(choices or choices_for(rungs), rungs, dev_runs)


def top_search(tasks: Sequence[str], rungs: Sequence[Rung], seeds: Sequence[int], preset: str, store=None
               ) -> tuple[pd.DataFrame, tuple[Rung, ...]]:
    """The finetuned regime's settings in turn, on the ladder's largest pair (the pair the micro
    notebooks finetune), scored on dev by the probes' rule (pooled PGR, ceiling within tolerance).
    Returns one row per (choice, setting, task) and the ladder with the picked settings."""
    def dev_runs(ladder):
        runs = run_grid(tasks, ladder, seeds, preset, pairs="adjacent", finetuned="largest", store=store)
        return runs[runs["regime"] == "finetuned"]

    return _search_in_turn(TOP_CHOICES, rungs, dev_runs)


def _search_in_turn(choices, rungs: Sequence[Rung], dev_runs) -> tuple[pd.DataFrame, tuple[Rung, ...]]:
    """Each choice in turn at the settings picked before it: every setting's ``dev_runs(ladder)``
    (inside :func:`scored_on_dev`) scored per (task, pair), then the rule's pick applied to the ladder."""
    rows = []
    for choice in choices:
        preset_value = choice.preset_value(rungs)
        tried = []
        for value in progress(choice.grid, desc=f"dev: {choice.name}", leave=True):
            with scored_on_dev():
                scores = _dev_scores(dev_runs(choice.ladder_with(rungs, value)))
            scores.insert(0, "choice", choice.name)
            scores.insert(1, "setting", str(value))  # settings are named as written in the grid
            scores.insert(2, "preset_setting", str(preset_value))
            tried.append(scores)
        rows += tried
        picked = pick(pd.concat(tried, ignore_index=True))
        rungs = choice.ladder_with(rungs, {str(v): v for v in choice.grid}.get(picked, preset_value))
    return pd.concat(rows, ignore_index=True), tuple(rungs)


RULES = {  # a choice's rule: what it maximises, and the reference shown beside it
    "pooled PGR": ("strongest rung's dev ceiling", "pooled PGR (dev)"),
    "smallest step": ("strongest rung's dev ceiling", "smallest ceiling step (dev)"),
    "M'_W accuracy": ("M_W's dev accuracy", "M'_W's dev accuracy"),
    "dev accuracy": ("the blind judge's dev accuracy", "judge's or jury's dev accuracy"),
}


def rule_of(rows: pd.DataFrame) -> str:
    if "rule" in rows and rows["rule"].notna().all():
        return rows["rule"].iloc[0]
    return "smallest step" if "smallest_step" in rows and rows["smallest_step"].notna().all() else "pooled PGR"


def rule_scores(rows: pd.DataFrame, by_task: bool = False) -> pd.DataFrame:
    """What a choice's rule compares, per setting (and task): ``score`` — the pooled dev PGR of a
    probe setting, the smallest ceiling step of a depth pair, M'_W's dev accuracy for Φ's weight —
    and ``reference`` beside it (the strongest rung's dev ceiling; M_W's dev accuracy for Φ).
    Means over tasks unless ``by_task``."""
    keys = ["setting", "task"] if by_task else ["setting"]
    rule = rule_of(rows)
    if rule != "pooled PGR":
        score, reference = {"smallest step": ("smallest_step", "ceiling_acc"),
                            "M'_W accuracy": ("facilitated_acc", "weak_acc"),
                            "dev accuracy": ("dev_acc", "reference_acc")}[rule]
        per_task = rows.groupby(["setting", "task"], sort=False).agg(reference=(reference, "mean"),
                                                                    score=(score, "mean"))
        return per_task if by_task else per_task.groupby(level="setting", sort=False).mean()
    gain, gap = rows["student_acc"] - rows["weak_acc"], rows["ceiling_acc"] - rows["weak_acc"]
    sums = rows.assign(gain=gain, gap=gap).groupby(keys, sort=False)[["gain", "gap"]].sum()
    ceiling = rows.groupby(["setting", "task"], sort=False)["ceiling_acc"].first()  # one per task, all pairs
    ceiling = ceiling if by_task else ceiling.groupby(level="setting", sort=False).mean()
    return pd.DataFrame({"reference": ceiling, "score": sums["gain"] / sums["gap"].where(sums["gap"] > 0)})


def pick(rows: pd.DataFrame):
    """The setting a choice's rule picks from its rows (see the module's docstring)."""
    by = rule_scores(rows)
    if rule_of(rows) == "pooled PGR":  # a probe setting may not cost the strong rung its ceiling
        by = by[by["reference"] >= by["reference"].max() - CEILING_TOLERANCE - 1e-12]
    best = by[by["score"] >= by["score"].max() - 1e-12]
    preset_value = rows["preset_setting"].iloc[0]
    if best.empty:  # no setting has a defined score (e.g. no ceiling above its weak models): keep the preset's
        return preset_value
    return preset_value if preset_value in best.index else best.index[0]


DEBATER_CONTRASTS = (0.0, 0.5, 1.0, 2.0)  # the extractive debater's contrast term; 1.0 is its default
JUDGE_PARTS = {"all": ("blind", "prior", "quote", "focus"), "no focus": ("blind", "prior", "quote"),
               "no quote": ("blind", "prior", "focus"), "no prior": ("blind", "quote", "focus")}
JURY_SIZES = (1, 3, 5)


def debate_search(task: str, ladder: str, seeds: Sequence[int], preset: str, jury_size: int,
                  store=None) -> pd.DataFrame:
    """The debate settings on the task's dev split, each with every other at the preset's (the
    ladder's debater contrast and judge features, ``jury_size``): the debater's contrast term and
    the judge's features by the debate judge's dev accuracy, the jury size by the jury's dev
    accuracy. The blind judge's dev accuracy is the reference beside them. One row per (choice,
    setting)."""
    from .alignment import jury
    from .debate import Protocol, debate_setup
    from .debate.debaters import ExtractiveDebater
    from .debate.experiment import judged_test, record_score
    from .debate.trained_judges import PairJudge
    from .pipeline import task_data, test_predictions

    debate, rows = Protocol("debate"), []
    with scored_on_dev():  # the held-out split ("test") is dev here
        setup = debate_setup(task, preset, ladder, store=store)
        if not isinstance(setup.debater, ExtractiveDebater):
            raise ValueError("the debate search varies the extractive debater's contrast term")
        preset_judge = setup.make_judge(0)
        units, preset_contrast = preset_judge.units, setup.debater.contrast
        preset_parts = next((n for n, p in JUDGE_PARTS.items() if tuple(p) == tuple(preset_judge.parts)), "all")
        for seed in progress(list(seeds), desc="dev: debate settings", leave=True):
            data = task_data(task, preset, seed)
            train, dev = ([setup.items[i] for i in data.splits[s]["id"]] for s in ("A", "test"))

            def judge_acc(debater, protocol=debate, parts=preset_judge.parts) -> float:
                records = judged_test(train, dev, debater, lambda sd: PairJudge(units, parts, seed=sd), protocol, seed,
                                      store)
                return float(np.mean([record_score(r) for r in records]))

            blind = judge_acc(setup.debater, Protocol("blind"))
            for c in DEBATER_CONTRASTS:
                debater = ExtractiveDebater(setup.debater.units, contrast=c)
                rows.append(("debater's contrast term", str(c), str(preset_contrast), seed, judge_acc(debater), blind))
            for name, parts in JUDGE_PARTS.items():
                rows.append(("judge's features", name, preset_parts, seed, judge_acc(setup.debater, parts=parts), blind))
            for k in JURY_SIZES:
                art = jury(data, setup, seed, debate, members=k, store=store)
                acc = metrics.accuracy(test_predictions(data, art), data.labels("test"))
                rows.append(("jury size", str(k), str(jury_size), seed, acc, blind))
    frame = pd.DataFrame(rows, columns=["choice", "setting", "preset_setting", "seed", "dev_acc", "reference_acc"])
    mean = frame.groupby(["choice", "setting", "preset_setting"], sort=False)[["dev_acc", "reference_acc"]].mean()
    return mean.reset_index().assign(task=task, rule="dev accuracy", seeds=len(seeds))


PHI_WEIGHTS = (0.25, 0.5, 0.75, 1.0)


def phi_weight_search(tasks: Sequence[str], ladder: str, seeds: Sequence[int], preset: str, preset_weight: float,
                      weights: Sequence[float] | None = None, store=None) -> pd.DataFrame:
    """Φ's weight on the teacher's term (Eq. 1), on dev: the ladder's smallest rung as M_W, its
    largest as the strong model and the weak-to-strong student as the teacher (notebook 05's NLP
    setting); M'_W's dev accuracy per weight. One row per (weight, task)."""
    from .facilitation import facilitate
    from .methods import METHODS
    from .pipeline import task_data, test_predictions, w2s_student, weak_supervisor

    rungs = get_ladder(ladder)
    weak_rung, strong_rung = rungs[0], rungs[-1]
    rows = []
    with scored_on_dev():  # test_predictions reads the held-out split: dev here
        for task, seed in progress(list(itertools.product(tasks, seeds)), desc="dev: Φ's weight", leave=True):
            data = task_data(task, preset, seed)
            y = data.labels("test")
            weak = weak_supervisor(weak_rung, data, seed, store)
            teacher = w2s_student(strong_rung, data, seed, weak, METHODS["baseline"], store=store)
            weak_acc = metrics.accuracy(test_predictions(data, weak), y)
            for w in weights or PHI_WEIGHTS:
                facilitated = facilitate(weak_rung, data, seed, teacher, store, teacher_weight=w)
                rows.append({"choice": "Φ's weight on the teacher's term", "setting": str(w),
                             "preset_setting": str(preset_weight), "rule": "M'_W accuracy", "task": task, "seed": seed,
                             "weak_model": weak_rung.name, "strong_model": strong_rung.name, "weak_acc": weak_acc,
                             "facilitated_acc": metrics.accuracy(test_predictions(data, facilitated), y)})
    frame = pd.DataFrame(rows)
    mean = frame.groupby(["choice", "setting", "preset_setting", "rule", "task", "weak_model", "strong_model"],
                         sort=False)[["weak_acc", "facilitated_acc"]].mean().reset_index()
    mean["seeds"] = len(seeds)
    return mean


def depth_search(tasks: Sequence[str], rungs: Sequence[Rung], seeds: Sequence[int], preset: str,
                 store=None) -> pd.DataFrame:
    """Dev ceilings of the ladder's rungs below MiniLM and of every MiniLM truncation one stored
    pass gives, and for each pair of depths the ladder's smallest step. One row per (depths, task)."""
    from .pipeline import strong_ceiling, task_data, test_predictions

    minilm = [r for r in rungs if r.source.startswith("minilm:")]
    if len(minilm) != 2:
        raise ValueError(f"the ladder has {len(minilm)} MiniLM rungs; the depth search replaces two")
    below = [r for r in rungs if r not in minilm]
    depths = range(1, int(minilm[0].extra.get("feature_depth", MINILM_LAYERS)) + 1)  # one stored pass
    candidates = {**{r.name: r for r in below},
                  **{f"minilm-l{k}": replace(minilm[0], name=f"minilm-l{k}", source=f"minilm:{k}") for k in depths}}
    ceilings = []
    with scored_on_dev():  # test_predictions reads the held-out split: dev here
        for task, seed in progress(list(itertools.product(tasks, seeds)), desc="dev: rung ceilings", leave=True):
            data = task_data(task, preset, seed)
            for name, rung in candidates.items():
                predictions = test_predictions(data, strong_ceiling(rung, data, seed, store))
                ceilings.append({"task": task, "seed": seed, "rung": name,
                                 "ceiling_acc": metrics.accuracy(predictions, data.labels("test"))})
    mean = pd.DataFrame(ceilings).groupby(["task", "rung"], sort=False)["ceiling_acc"].mean()
    preset_depths = "+".join(r.source.split(":")[1] for r in minilm)
    rows = []
    for pair in itertools.combinations(depths, 2):
        names = [r.name for r in below] + [f"minilm-l{k}" for k in pair]
        for task in tasks:
            ladder = [mean[(task, n)] for n in names]
            rows.append({"choice": "MiniLM depths", "setting": "+".join(map(str, pair)),
                         "preset_setting": preset_depths, "task": task,
                         "ceilings": " < ".join(f"{n} {c:.3f}" for n, c in zip(names, ladder)),
                         "ceiling_acc": ladder[-1], "smallest_step": float(np.diff(ladder).min()),
                         "seeds": len(seeds)})
    return pd.DataFrame(rows)


def picks(table: pd.DataFrame) -> pd.DataFrame:
    """One row per choice: the settings tried, what its rule picks on dev, the preset's setting,
    and whether they agree (and the choices not searched, with the reason)."""
    rows = []
    for name, part in table.groupby("choice", sort=False):
        picked, preset_value = pick(part), part["preset_setting"].iloc[0]
        rule = rule_of(part)
        reference = {"M'_W accuracy": "M_W", "dev accuracy": "blind judge"}.get(rule, "ceiling")
        scores = "; ".join(f"{setting}: {rule} {r['score']:.3f}, {reference} {r['reference']:.3f}"
                           for setting, r in rule_scores(part).iterrows())
        rows.append({"choice": name, "tried": ", ".join(str(v) for v in dict.fromkeys(part["setting"])),
                     "picked_on_dev": picked, "preset_uses": preset_value,
                     "agree": str(picked) == str(preset_value), "dev_scores": scores, "note": ""})
    rows += [{"choice": name, "tried": "-", "picked_on_dev": "-", "preset_uses": "-", "agree": np.nan,
              "dev_scores": "", "note": why} for name, why in NOT_SEARCHED.items()]
    return pd.DataFrame(rows)


def choose_on_dev(tasks: Sequence[str], ladder: str, seeds: Sequence[int], preset: str, phi_weight: float = 1.0,
                  debate: tuple[str, str, int] | None = None, finetuned_tasks: Sequence[str] = (),
                  store=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every search, in the order of the module's docstring (the depths at the picked probe
    settings; Φ's weight, ``phi_weight`` the preset's, at the preset's probe settings, on the binary
    tasks; with ``debate`` = (task, ladder, preset jury size), the debate settings). Returns (the
    dev scores: one row per choice, setting, task and pair; the picks)."""
    from .data.registry import get_task

    rungs = get_ladder(ladder)
    probe_rows, picked_rungs = probe_search(tasks, rungs, seeds, preset, store=store)
    parts = [probe_rows.assign(rule="pooled PGR")]
    if sum(r.source.startswith("minilm:") for r in picked_rungs) == 2:  # a ladder with MiniLM truncations
        parts.append(depth_search(tasks, picked_rungs, seeds, preset, store=store).assign(rule="smallest step"))
    if finetuned_tasks:  # the finetuned regime's settings, at the picked probe settings
        parts.append(top_search(finetuned_tasks, picked_rungs, seeds, preset, store=store)[0].assign(rule="pooled PGR"))
    binary = [t for t in tasks if get_task(t).kind == "binary"]
    if binary and all(r.train_mode == "probe" for r in rungs):
        parts.append(phi_weight_search(binary, ladder, seeds, preset, phi_weight, store=store))
    if debate is not None:
        parts.append(debate_search(*debate[:2], seeds, preset, debate[2], store=store))
    table = pd.concat(parts, ignore_index=True)
    return table, picks(table)


# ----------------------------------------------------------------------------- the headline pair of a domain

HEADLINE_MIN_WEAK = {"chess": 0.55}   # the weak supervisor's dev accuracy at least this (others: the default)
HEADLINE_MIN_WEAK_DEFAULT = 0.60
HEADLINE_MIN_GAP = 0.05               # and its dev ceiling this far above it


def headline_min_weak(domain: str) -> float:
    return HEADLINE_MIN_WEAK.get(domain, HEADLINE_MIN_WEAK_DEFAULT)


def headline_candidates(dev_table: pd.DataFrame) -> pd.DataFrame:
    """Every baseline pair of the ladder's own regime scored on dev, with whether it qualifies as a headline
    pair: a weak supervisor clearly above chance (60 %; chess 55 %) and a ceiling at least 5 points
    above it. ``dev_table``: table 1 rows of a grid run inside :func:`scored_on_dev`."""
    rows = dev_table[(dev_table["method"] == "baseline") & dev_table["weak_size"].notna()]
    if "regime" in rows.columns:  # the ladder's own training (the finetuned regime adds one pair)
        rows = rows[rows["regime"] != "finetuned"]
    rows = rows.assign(min_weak=rows["domain"].map(headline_min_weak),
                       gap=rows["ceiling_acc"] - rows["weak_acc"])
    return rows.assign(qualifies=(rows["weak_acc"] >= rows["min_weak"]) & (rows["gap"] >= HEADLINE_MIN_GAP - 1e-9))


def headline_pairs(dev_table: pd.DataFrame) -> pd.DataFrame:
    """Per domain, the headline pair chosen on dev: among the qualifying pairs
    (:func:`headline_candidates`), the one whose dev PGR interval has the highest lower end (the
    pair most surely above 0; ties to the larger gap). A domain with none qualifying keeps a row
    that says so (``task`` empty)."""
    rows = headline_candidates(dev_table)
    out = []
    for domain, g in rows.groupby("domain", sort=False):
        ok = g[g["qualifies"]].sort_values(["pgr_ci_low", "gap"], ascending=False, na_position="last")
        if ok.empty:
            out.append({"domain": domain, "task": "", "weak_model": "", "strong_model": "",
                        "dev_weak_acc": np.nan, "dev_ceiling_acc": np.nan, "dev_pgr": np.nan, "dev_pgr_ci_low": np.nan,
                        "rule": f"no pair with dev weak ≥ {headline_min_weak(domain):.0%} and gap ≥ 5 points"})
            continue
        best = ok.iloc[0]
        out.append({"domain": domain, "task": best["task"], "weak_model": best["weak_model"],
                    "strong_model": best["strong_model"], "dev_weak_acc": best["weak_acc"],
                    "dev_ceiling_acc": best["ceiling_acc"], "dev_pgr": best["pgr"], "dev_pgr_ci_low": best["pgr_ci_low"],
                    "rule": f"dev weak ≥ {headline_min_weak(domain):.0%}, gap ≥ 5 points; highest dev PGR lower bound "
                            f"of {int(g['qualifies'].sum())} qualifying pair(s)"})
    return pd.DataFrame(out)


def dev_grid(tasks: Sequence[str], ladder: str, seeds: Sequence[int], preset: str, pairs: str = "all") -> pd.DataFrame:
    """The baseline grid of a weak-to-strong notebook scored on dev (its models keyed apart)."""
    with scored_on_dev():
        return run_grid(tasks, ladder, seeds, preset, methods=["baseline"], pairs=pairs)
