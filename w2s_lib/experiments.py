"""Each notebook's study, one call per step: the loops over seeds, teachers and tasks, and the saving
of the rows, live here so that a notebook only sets parameters, calls these and shows what they
return. Nothing here trains a model the pipeline does not already train and store; every function
takes the notebook's validated parameters (``cfg``) and returns tables.

* the settings chosen on dev (01_dev_choices): :func:`dev_choices`, :func:`save_dev_choices`;
* weak-to-strong (notebooks 02–04, one function for every domain): :func:`weak_to_strong`,
  :func:`save_weak_to_strong`;
* Φ (05): :func:`facilitation`; D (06): :func:`debate_protocols`; Ψ (07): :func:`alignment`;
  their rows of table 2: :func:`save_framework`;
* the analyses (08): :func:`saliency`, :func:`imitation`, :func:`overfitting`, each with its ``save_``.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import choices, figures, tables
from .ablation import (DebateModels, Variant, baseline_variants, control_variants, debate_models, nlp_phi_rows,
                       phi_variants, psi_variants, variant_rows)
from .alignment import error_types
from .analyses.imitation import read_runs
from .analyses.overfitting import overfitting_curve
from .analyses.saliency import SaliencyResult, concept_saliency, pick_rungs
from .choices import choose_on_dev
from .data.registry import DOMAINS
from .data.splits import sizes_for_preset
from .debate import Protocol, debate_setup, run_protocols
from .debate.experiment import DebateSetup, ProtocolRun
from .grid import human_supervised_runs, run_grid
from .manifest import analysed_runs, notebook
from .models.ladder import Rung, get_ladder
from .pipeline import corpus_for
from .progress import progress
from .saving import results_lock, save_figure, save_table, update_table

def _label(cfg, what: str = "") -> str:
    return f"{what + ' · ' if what else ''}preset {cfg.preset} · seeds {list(cfg.seeds)} · our numbers"


# ----------------------------------------------------------------------------- choices on dev (01_dev_choices)

def dev_choices(cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every search of :mod:`w2s_lib.choices` on the tasks' dev splits: (dev scores, picks). Φ's
    weight and the jury size are compared with what the preset's params file gives notebooks 05
    and 07."""
    from .parameters import notebook_parameters
    from .paths import PARAMS_DIR

    preset_file = PARAMS_DIR / f"{cfg.preset}.yaml"
    phi = notebook_parameters(preset_file, "05_facilitation").get("teacher_weight", 1.0)
    debate = None
    if cfg.debate_task:
        jury_size = notebook_parameters(preset_file, "07_alignment").get("jury_size", 3)
        debate = (cfg.debate_task, cfg.debate_ladder, jury_size)
    return choose_on_dev(cfg.tasks, cfg.ladder, cfg.seeds, cfg.preset, phi_weight=phi, debate=debate,
                         finetuned_tasks=cfg.finetuned_tasks)


def save_dev_choices(table: pd.DataFrame, picks: pd.DataFrame, cfg, wall_time_s: float):
    """``tables/choices_dev`` (every setting's dev scores), ``tables/choices_dev_picks`` and the figure."""
    save_table(table, "choices_dev", preset=cfg.preset, seeds=cfg.seeds, scored_on="dev", tasks=list(cfg.tasks))
    save_table(picks, "choices_dev_picks", preset=cfg.preset, seeds=cfg.seeds, scored_on="dev")
    fig = figures.choices_on_dev(table, picks, title=_label(cfg, "scored on dev"))
    save_figure(fig, "fig_choices_dev", preset=cfg.preset, seeds=cfg.seeds, tables=["choices_dev"],
                wall_time_s=wall_time_s)
    return fig


# ----------------------------------------------------------------------------- weak-to-strong (02–04)

def ladder_card(cfg) -> pd.DataFrame:
    """The rungs of ``cfg.ladder`` as the first task's domain reads them (chess or English corpus)."""
    return tables.ladder_card(get_ladder(cfg.ladder), corpus_for(cfg.tasks[0]))


def weak_to_strong(cfg) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The grid of one weak-to-strong notebook: every task, seed, pair and method (and, where the
    notebook asks for them, students of a single human rater), its table 1 rows and each method
    against the baseline, paired on seeds and test items. Returns (runs: one row per seed,
    table: means and PGR with intervals over items × seeds, comparison: method − baseline)."""
    runs = run_grid(cfg.tasks, cfg.ladder, cfg.seeds, cfg.preset, methods=cfg.methods, pairs=cfg.pairs,
                    lm_steps=cfg.lm_steps, finetuned=cfg.finetuned_pairs, finetuned_tasks=cfg.finetuned_tasks)
    if getattr(cfg, "human_raters", False):  # one rater's preference instead of a weak model's
        human = human_supervised_runs(cfg.tasks, cfg.ladder, cfg.seeds, cfg.preset,
                                      methods=[m for m in cfg.methods if m in ("baseline", "aux_conf")])
        runs = pd.concat([runs, human], ignore_index=True)
    runs = runs.assign(ladder=cfg.ladder)
    return runs, tables.summarize(runs), tables.method_comparison(runs)


def headline(cfg, table: pd.DataFrame) -> pd.DataFrame:
    """Each domain's headline pair, chosen on dev by one rule for every domain
    (:func:`w2s_lib.choices.headline_pairs`: the same grid's baseline scored on dev), and its test
    numbers from ``table`` (table 1 rows of this notebook)."""
    dev = tables.summarize(choices.dev_grid(cfg.tasks, cfg.ladder, cfg.seeds, cfg.preset, cfg.pairs)
                           .assign(ladder=cfg.ladder))
    return tables.headline_table(choices.headline_pairs(dev), table)


def save_headline(table: pd.DataFrame, cfg) -> pd.DataFrame:
    """Merge the notebook's rows into ``tables/headline_pairs`` (one row per domain and ladder)."""
    return update_table(table, "headline_pairs", preset=cfg.preset, replace_on=["domain", "ladder"], order=DOMAINS,
                        seeds=cfg.seeds)


def save_weak_to_strong(runs: pd.DataFrame, table: pd.DataFrame, comparison: pd.DataFrame, cfg, stem: str,
                        wall_time_s: float):
    """Merge the rows into the notebook's runs table, ``table1_main`` and ``table1_comparisons``
    (replacing only the rows it produced) and redraw figures 1–3 from the whole table: every domain
    run so far. Returns (table 1, {figure name: figure})."""
    update_table(runs, notebook(stem).runs_table, preset=cfg.preset, replace_on=tables.ROW_KEYS + ["seed"],
                 seeds=cfg.seeds)
    if len(comparison):
        update_table(comparison, "table1_comparisons", preset=cfg.preset,
                     replace_on=["domain", "task", "pair", "regime", "method"], order=DOMAINS, seeds=cfg.seeds)
    with results_lock(cfg.preset):  # notebooks running side by side redraw the shared figures in turn
        table1 = update_table(table, "table1_main", preset=cfg.preset, replace_on=tables.ROW_KEYS, order=DOMAINS,
                              seeds=cfg.seeds)
        drawn = figures.table1_figures(table1, title=_label(cfg))
        for name, fig in drawn.items():
            save_figure(fig, name, preset=cfg.preset, seeds=cfg.seeds, tables=["table1_main"],
                        wall_time_s=wall_time_s)
    return table1, drawn


# ----------------------------------------------------------------------------- Φ, D, Ψ (05–07)

def who_reads_what(models: DebateModels, seed: int) -> pd.DataFrame:
    """The weak and strong models of a debate task, what each reads, and the split sizes."""
    dq, _ = models.data(seed)
    dq.splits.assert_disjoint()
    return pd.DataFrame([("M_W (weak)", f"{models.weak.name}, reads the question and the candidate"),
                         ("strong", f"{models.strong.name}, reads the passage too"),
                         ("splits", ", ".join(f"{k} {v}" for k, v in dq.splits.sizes().items()))], columns=["", ""])


def facilitation(cfg, models: DebateModels) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Φ for every seed and teacher: the baseline, Φ and Φ with explanations on the debate task (rows
    of the main teacher are named ``phi``, the others ``phi[teacher]``), then Φ on each NLP task.
    Returns (per-seed rows, table 2 rows, paired comparisons: M'_W − M_W, its student − the plain one)."""
    teachers = [cfg.teacher, *cfg.other_teachers]
    rows = []
    for seed in progress(cfg.seeds, desc="seeds", leave=True):
        variants = dict(baseline_variants(models, seed))
        for teacher in teachers:
            suffix = "" if teacher == cfg.teacher else f"[{teacher}]"
            for name, v in phi_variants(models, seed, teacher, cfg.teacher_weight).items():
                variants[name + suffix] = Variant(name + suffix, v.model, v.supervisor, v.note)
        rows.append(variant_rows(models, seed, variants))
    for task in cfg.nlp_tasks:
        for seed in cfg.seeds:
            rows.append(nlp_phi_rows(task, cfg.preset, cfg.nlp_ladder, seed, teachers, cfg.teacher, cfg.teacher_weight))
    runs = pd.concat(rows, ignore_index=True)
    return runs, tables.framework_table(runs), tables.framework_comparisons(runs)


@dataclass
class DebateStudy:
    """Notebook 06's setting and results: who debates and judges, every protocol's runs per seed."""

    setup: DebateSetup
    protocols: list[Protocol]
    runs: list[ProtocolRun]

    @property
    def strong_name(self) -> str:
        return getattr(self.setup.strong, "name", self.setup.strong)

    def first_seed(self) -> dict[str, list[dict]]:
        """Each protocol's transcripts of the first seed (what the viewer shows)."""
        seed = self.runs[0].seed
        return {r.protocol: r.records for r in self.runs if r.seed == seed}

    def example(self) -> tuple[object, list[dict], str]:
        """One test item to look at: (item, its protocol's records, protocol), debate first."""
        first = self.first_seed()
        protocol = "debate" if "debate" in first else next(iter(first))
        record = next(r for r in first[protocol] if r["turns"] or protocol not in ("debate", "consultancy"))
        return self.setup.items[record["id"]], first[protocol], protocol


def debate_setting(cfg) -> tuple[DebateSetup, list[Protocol], pd.DataFrame]:
    """Who debates and who judges, the protocols, and a card of the setting."""
    setup = debate_setup(cfg.task, cfg.preset, cfg.ladder, judge=cfg.judge, judge_rung=cfg.judge_rung,
                         debater=cfg.debater, debater_template=cfg.debater_template)
    protocols = [Protocol(name, cfg.rounds, cfg.quotes_per_round) for name in cfg.protocols]
    sizes = sizes_for_preset(cfg.task, cfg.preset)
    n_a, n_test = (min(n, cfg.max_items) if cfg.max_items else n for n in (sizes.n_a, sizes.n_test))
    strong = getattr(setup.strong, "name", setup.strong)
    card = pd.DataFrame([("debaters (strong)", f"{strong} ({cfg.debater})"),
                         ("judge (weak)", f"{setup.weak.name} ({cfg.judge})"),
                         ("judge trained on", f"split A: {n_a} items, both answer orders"),
                         ("scored on", f"the fixed test set: {n_test} items, both orders"),
                         ("rounds × quotes per round", f"{cfg.rounds} × {cfg.quotes_per_round}")], columns=["", ""])
    return setup, protocols, card


def debate_protocols(cfg, setup: DebateSetup, protocols: list[Protocol]
                     ) -> tuple[DebateStudy, pd.DataFrame, pd.DataFrame]:
    """D under every protocol and seed, each test item judged in both answer orders; the protocols'
    rows of table 2, and the protocols against each other paired on seeds and test items.
    Returns (the study, the table, the comparisons)."""
    runs = run_protocols(cfg.task, cfg.preset, cfg.seeds, protocols, setup, max_items=cfg.max_items)
    n_test = sizes_for_preset(cfg.task, cfg.preset).n_test
    n_test = min(n_test, cfg.max_items) if cfg.max_items else n_test
    short = [f"{r.protocol} (seed {r.seed}): {len(r.records)}" for r in runs if len(r.records) != 2 * n_test]
    if len(runs) != len(cfg.seeds) * len(protocols) or short:
        raise RuntimeError(f"every test item must be judged in both orders ({2 * n_test} records); got {short}")
    study = DebateStudy(setup, protocols, runs)
    table = tables.protocol_table(runs).assign(task=cfg.task, judge=f"{setup.weak.name} ({cfg.judge})",
                                               debater=f"{study.strong_name} ({cfg.debater})")
    return study, table, tables.protocol_comparisons(runs).assign(task=cfg.task)


def debate_generation(cfg, study: DebateStudy, table: pd.DataFrame) -> pd.DataFrame:
    """For a debater that writes text (not ``extractive``): parse rate, verified quotes, the judge's
    accuracy and the seconds per test item, per protocol; saved as ``tables/debate_generation``."""
    out = tables.generation_table(study.runs, table).assign(task=cfg.task, debater=cfg.debater,
                                                            template=cfg.debater_template)
    update_table(out, "debate_generation", preset=cfg.preset, replace_on=["task", "variant"], seeds=cfg.seeds)
    return out


def debate_item_sets(cfg, study: DebateStudy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every protocol on each set of items of a task that marks them (``item_set``: plain or
    misleading, as in debate_wordnet_misleading), and the protocols against each other within each
    set; two empty tables for a task without item sets."""
    from .data.registry import load_pool

    pool = load_pool(cfg.task)
    if "item_set" not in pool.columns:
        return pd.DataFrame(), pd.DataFrame()
    columns = [c for c in ("id", "item_set", "misleading_kind", "misleading_evidence") if c in pool.columns]
    table, comparisons = tables.protocol_item_set_table(study.runs, pool[columns])
    return table.assign(task=cfg.task), comparisons.assign(task=cfg.task)


def save_debate_item_sets(table: pd.DataFrame, comparisons: pd.DataFrame, study: DebateStudy, cfg):
    """The item-set tables and their figure (``debate_item_sets``); returns the figure."""
    update_table(table, "debate_item_sets", preset=cfg.preset, replace_on=["task", "variant", "item_set"],
                 seeds=cfg.seeds)
    update_table(comparisons, "debate_item_set_comparisons", preset=cfg.preset,
                 replace_on=["task", "comparison", "item_set"], seeds=cfg.seeds)
    label = f"{cfg.task} · preset {cfg.preset} · seeds {cfg.seeds} · judge {study.setup.weak.name} · our numbers"
    fig = figures.protocol_item_sets(table, title=label)
    save_figure(fig, f"debate_item_sets_{cfg.task}", preset=cfg.preset, seeds=cfg.seeds, tables=["debate_item_sets"])
    return fig


def debate_best_response(cfg, setup: DebateSetup) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judges retrained against best-responding debaters for ``cfg.best_response_rounds`` rounds
    (:mod:`w2s_lib.debate.best_response`): judge accuracy per protocol, round and judge, and debate −
    consultancy per round and judge, paired on seeds and items."""
    from .debate.best_response import best_response_rounds

    protocols = [Protocol(name, cfg.rounds, cfg.quotes_per_round) for name in cfg.best_response_protocols]
    rows, item_scores = best_response_rounds(setup, cfg.task, cfg.preset, cfg.seeds, protocols,
                                             cfg.best_response_rounds, max_items=cfg.max_items)
    return (tables.best_response_table(rows, item_scores).assign(task=cfg.task),
            tables.best_response_comparisons(rows, item_scores).assign(task=cfg.task))


def save_debate_best_response(table: pd.DataFrame, comparisons: pd.DataFrame, cfg, setup: DebateSetup):
    """``tables/debate_best_response`` (and its comparisons) and its figure; returns the figure."""
    update_table(table, "debate_best_response", preset=cfg.preset, replace_on=["task", "protocol", "round", "judge"],
                 seeds=cfg.seeds)
    if len(comparisons):
        update_table(comparisons, "debate_best_response_comparisons", preset=cfg.preset,
                     replace_on=["task", "comparison", "round", "judge"], seeds=cfg.seeds)
    label = f"{cfg.task} · preset {cfg.preset} · seeds {cfg.seeds} · judge {setup.weak.name} · our numbers"
    fig = figures.best_response_rounds(table, title=label)
    save_figure(fig, f"debate_best_response_{cfg.task}", preset=cfg.preset, seeds=cfg.seeds,
                tables=["debate_best_response"])
    return fig


def save_debate(table: pd.DataFrame, comparisons: pd.DataFrame, study: DebateStudy, cfg, wall_time_s: float):
    """The protocols' rows into table 2 and its comparisons, and their figure; returns the figure."""
    update_table(table, "table2_framework", preset=cfg.preset, replace_on=["task", "variant"], seeds=cfg.seeds)
    if len(comparisons):
        update_table(comparisons, "table2_comparisons", preset=cfg.preset, replace_on=["task", "comparison"],
                     seeds=cfg.seeds)
    label = f"{cfg.task} · preset {cfg.preset} · seeds {cfg.seeds} · judge {study.setup.weak.name} · our numbers"
    fig = figures.protocol_accuracy(table, title=label)
    # one figure per task: the tables merge by task, and a second task's run must not replace the first's figure
    save_figure(fig, f"debate_protocols_{cfg.task}", preset=cfg.preset, seeds=cfg.seeds, tables=["table2_framework"],
                wall_time_s=wall_time_s)
    return fig


def alignment_setting(cfg) -> tuple[DebateModels, Protocol, pd.DataFrame]:
    """The models of notebook 07, the protocol the jury hears, and a card of the setting."""
    models = debate_models(cfg.task, cfg.preset, cfg.ladder, judge_rung=cfg.judge_rung)
    protocol = Protocol(cfg.protocol, cfg.rounds, cfg.quotes_per_round)
    card = pd.DataFrame([("debaters, student, ceiling (strong)", models.strong.name),
                         ("judges and M_W (weak)", models.weak.name),
                         ("jury", f"{cfg.jury_size} judges; protocol {cfg.protocol}, {cfg.rounds} rounds × "
                                  f"{cfg.quotes_per_round} quote(s)"),
                         ("student loss", cfg.method)], columns=["", ""])
    return models, protocol, card


def alignment(cfg, models: DebateModels, protocol: Protocol
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Ψ and Φ → Ψ for every seed, beside the plain baseline, and the error taxonomy of the aligned
    student. Returns (per-seed rows, table 2 rows, paired comparisons, error types)."""
    rows, errors = [], {}
    for seed in progress(cfg.seeds, desc="seeds", leave=True):
        variants = dict(baseline_variants(models, seed))
        psi = psi_variants(models, seed, protocol, cfg.jury_size, cfg.method, cfg.teacher)
        variants.update(psi)
        variants.update(control_variants(models, seed, protocol, cfg.jury_size, cfg.method))
        rows.append(variant_rows(models, seed, variants))
        _, strong_view = models.data(seed)
        errors[seed] = error_types(strong_view, psi["psi"].model, psi["psi_jury"].model, variants["ceiling"].model,
                                   variants["weak"].model, models.setup, protocol, seed)
    runs = pd.concat(rows, ignore_index=True)
    errors_table = tables.error_table(errors, strong_view.splits.test["id"].tolist())
    errors_table.insert(0, "task", cfg.task)
    return runs, tables.framework_table(runs), tables.framework_comparisons(runs), errors_table


def save_framework(runs: pd.DataFrame, table: pd.DataFrame, comparisons: pd.DataFrame, cfg) -> pd.DataFrame:
    """Rows of Φ or Ψ into ``runs_framework`` (per seed), table 2 (by task and variant) and its
    paired comparisons (by task and comparison)."""
    update_table(runs, "runs_framework", preset=cfg.preset, replace_on=["task", "variant", "seed"], seeds=cfg.seeds)
    if len(comparisons):
        update_table(comparisons, "table2_comparisons", preset=cfg.preset, replace_on=["task", "comparison"],
                     seeds=cfg.seeds)
    return update_table(table, "table2_framework", preset=cfg.preset, replace_on=["task", "variant"],
                        seeds=cfg.seeds)


def save_error_types(errors: pd.DataFrame, cfg, wall_time_s: float):
    """The error taxonomy into ``error_types`` (its rows replace this task's, other tasks' stay) and
    figure 5 of this task; returns the figure."""
    update_table(errors, "error_types", preset=cfg.preset, replace_on=["task"], seeds=cfg.seeds)
    fig = figures.error_types(errors, title=_label(cfg, f"{cfg.task} · aligned student (psi)"))
    save_figure(fig, "fig5_error_types", preset=cfg.preset, seeds=cfg.seeds, tables=["error_types"],
                wall_time_s=wall_time_s)
    return fig


# ----------------------------------------------------------------------------- analyses (08)

def imitation(preset: str) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Table 3 from the runs tables of the weak-to-strong notebooks, saved; and a report of which
    tables were read (a missing one names the notebook to run). Returns (table 3 or None, report)."""
    runs, sources = read_runs(preset, analysed_runs())
    if not len(runs):
        return None, sources
    table3 = tables.imitation_table(runs)
    save_table(table3, "table3_imitation", preset=preset, seeds=sorted(set(runs["seed"])),
               sources=sources.to_dict("records"))
    return table3, sources


def analyses_setting(cfg) -> tuple[Rung, Rung, pd.DataFrame]:
    """The weak supervisor and strong model of notebook 08, and a card of what is trained how."""
    weak, strong = pick_rungs(cfg.ladder, cfg.weak_rung)
    card = pd.DataFrame([("weak supervisor", f"{weak.name} ({weak.train_mode}, ground truth of {cfg.task} A)"),
                         ("strong model", f"{strong.name}, finetuned: last {cfg.last_k} block(s) + head, lr "
                                          f"{cfg.finetune_lr}, {cfg.finetune_epochs} epoch(s), on "
                                          f"{cfg.finetune_examples or 'all'} rows of B"),
                         ("concept probes", f"{cfg.probe_train} training / {cfg.probe_test} test items per concept, "
                                            "per seed"),
                         ("seeds", str(cfg.seeds))], columns=["", ""])
    return weak, strong, card


def saliency(cfg) -> tuple[SaliencyResult, pd.DataFrame]:
    """Figure 4's probes: every concept × model state × seed, and their summary."""
    result = concept_saliency(cfg.task, cfg.ladder, cfg.seeds, cfg.preset, concepts=cfg.concepts,
                              weak_rung=cfg.weak_rung, probe_train=cfg.probe_train, probe_test=cfg.probe_test,
                              n_finetune=cfg.finetune_examples or None, n_eval=cfg.eval_examples or None,
                              last_k=cfg.last_k, lr=cfg.finetune_lr, epochs=cfg.finetune_epochs)
    return result, tables.summarize_saliency(result.runs)


def save_saliency(result: SaliencyResult, summary: pd.DataFrame, cfg, weak: Rung, strong: Rung,
                  wall_time_s: float):
    """The saliency tables and figure 4; returns the figure."""
    save_table(result.runs, "concept_saliency", preset=cfg.preset, seeds=cfg.seeds, task=cfg.task,
               strong_model=strong.name, weak_model=weak.name)
    save_table(summary, "concept_saliency_summary", preset=cfg.preset, seeds=cfg.seeds)
    fig = figures.plot_concept_saliency(summary, result.runs, title=_label(
        cfg, f"{strong.name} on {cfg.task} (weak: {weak.name})"))
    save_figure(fig, "fig4_concept_saliency", preset=cfg.preset, seeds=cfg.seeds, tables=["concept_saliency"],
                wall_time_s=wall_time_s)
    return fig


def overfitting(cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline student's test accuracy after every epoch, and per seed what early stopping picks."""
    curve = overfitting_curve(cfg.task, cfg.ladder, cfg.seeds, cfg.preset, weak_rung=cfg.weak_rung,
                              epochs=cfg.overfit_epochs or None)
    return curve, tables.early_stopping_summary(curve)


def save_overfitting(curve: pd.DataFrame, cfg, weak: Rung, strong: Rung, wall_time_s: float):
    """The curve as a table and its figure; returns the figure."""
    save_table(curve, "overfitting_curve", preset=cfg.preset, seeds=cfg.seeds, task=cfg.task)
    fig = figures.plot_overfitting(curve, title=_label(cfg, f"{strong.name} student of {weak.name} on {cfg.task}"))
    save_figure(fig, "fig_overfitting", preset=cfg.preset, seeds=cfg.seeds, tables=["overfitting_curve"],
                wall_time_s=wall_time_s)
    return fig
