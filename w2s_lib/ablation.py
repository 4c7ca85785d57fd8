"""The framework's ablation — facilitation Φ, debate D, alignment Ψ, alone and combined — against
the plain weak-to-strong baseline, on the same items and seeds: the rows of table 2.

On a debate task (binary view: one candidate answer per item), the roles read what the DESIGN
says each model sees: the plain weak supervisor M_W and the judges never read the passage
(M_W: question and candidate; judges: the debaters' quotes), strong students and ceilings read
the passage. Every model is a pipeline artifact (:mod:`w2s_lib.pipeline`), so what one notebook
trains the next reads back.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from . import metrics
from .alignment import align, pairwise_ceiling
from .debate.experiment import DebateSetup, debate_setup
from .debate.protocols import Protocol
from .debate.embeddings import UnitEmbeddings
from .debate.views import DebateView
from .facilitation import TEACHERS, debate_zero_shot, facilitate, occlusion_evidence, probe_scorer, zero_shot_teacher
from .methods import METHODS
from .models.ladder import get_ladder
from .pipeline import (TaskData, load_probe, read_labels, strong_ceiling, task_data, test_predictions, w2s_student,
                       weak_supervisor)
from .store import Artifact, ArtifactStore

EXPLAINED_SENTENCES = 2


@dataclass
class DebateModels:
    """Who is weak and who is strong on a debate task, and what each reads."""

    task: str
    preset: str
    setup: DebateSetup
    question: DebateView = field(repr=False)
    passage: DebateView = field(repr=False)

    @property
    def weak(self):
        return _as_probe(self.setup.weak)

    @functools.cached_property
    def strong_units(self) -> UnitEmbeddings:
        """The strong rung's embeddings of every item's units (the extractive debater's, when it has them)."""
        units = getattr(self.setup.debater, "units", None)
        return units if units is not None else UnitEmbeddings(self.strong, list(self.setup.items.values()))

    @property
    def strong(self):
        return _as_probe(self.setup.strong)

    def data(self, seed: int) -> tuple[TaskData, TaskData]:
        """The seed's splits as the weak (question) and the strong (passage) models see them."""
        data = task_data(self.task, self.preset, seed)
        return data.with_view(self.question), data.with_view(self.passage)


def _as_probe(rung):
    """Views are read by probes on frozen features: a finetuning rung (e.g. from a hub ladder)
    is used frozen here."""
    from dataclasses import replace

    return rung if rung.train_mode == "probe" else replace(rung, train_mode="probe")


def debate_models(task: str, preset: str, ladder: str, judge_rung: str = "", store: ArtifactStore | None = None
                  ) -> DebateModels:
    setup = debate_setup(task, preset, ladder, judge="pair", judge_rung=judge_rung, store=store)
    return DebateModels(task, preset, setup, DebateView("question", setup.items, store=store),
                        DebateView("passage", setup.items, store=store))


@dataclass
class Variant:
    """One row of table 2 for one seed: the model scored, and what supervised it."""

    name: str
    model: Artifact
    supervisor: Artifact | None = None
    note: str = ""


def baseline_variants(m: DebateModels, seed: int, store=None) -> dict[str, Variant]:
    """M_W (question only), the two strong ceilings — pointwise on the passage, and pairwise reading
    everything any supervisor reads (the one table 2's PGRs use) — and the plain weak-to-strong
    student."""
    dq, dp = m.data(seed)
    weak = weak_supervisor(m.weak, dq, seed, store)
    ceiling = strong_ceiling(m.strong, dp, seed, store)
    pairwise = pairwise_ceiling(dq, m.setup, seed, m.strong_units, store=store)
    student = w2s_student(m.strong, dp, seed, weak, METHODS["baseline"], store=store)
    return {"weak": Variant("weak", weak, note="M_W: question and candidate, trained on A"),
            "ceiling": Variant("ceiling", ceiling, note="strong, pointwise: passage and candidate, trained on "
                                                        "ground truth of B"),
            "ceiling_pairwise": Variant("ceiling_pairwise", pairwise,
                                        note="strong, pairwise: question, both answers, the debaters' quotes and the "
                                             "whole passage, trained on ground truth of B (the PGRs' ceiling)"),
            "w2s_baseline": Variant("w2s_baseline", student, weak, "strong student on M_W's labels of B")}


def teacher_artifact(m: DebateModels, seed: int, teacher: str, store=None) -> Artifact:
    if teacher not in TEACHERS:
        raise ValueError(f"unknown teacher {teacher!r}; accepted: {', '.join(TEACHERS)}")
    base = baseline_variants(m, seed, store)
    if teacher == "student":
        return base["w2s_baseline"].model
    if teacher == "ceiling":
        return base["ceiling"].model
    return zero_shot_teacher(m.strong, m.data(seed)[0], seed, items=m.setup.items, store=store)


def teacher_scorer(m: DebateModels, seed: int, teacher: str, store=None):
    """``score(item, candidate, sentences)`` of a teacher: what occlusion explains."""
    if teacher == "zero_shot":
        items = m.setup.items
        return debate_zero_shot(UnitEmbeddings(m.strong, [items[k] for k in sorted(items)], store=store), items)
    return probe_scorer(load_probe(teacher_artifact(m, seed, teacher, store)), m.passage, m.strong)


def phi_variants(m: DebateModels, seed: int, teacher: str = "student", teacher_weight: float = 1.0,
                 store=None) -> dict[str, Variant]:
    """Φ without and with explanations: M'_W (the weak rung trained on Eq. 1's two terms — ground
    truth of A and, with ``teacher_weight``, the teacher's labels of Q — reading the question, or
    the question and the teacher's evidence) and the strong student supervised by M'_W."""
    dq, dp = m.data(seed)
    teach = teacher_artifact(m, seed, teacher, store)
    bound = " — an upper bound: this teacher learned from ground truth of B" if teacher == "ceiling" else ""
    out = {}
    facilitated = facilitate(m.weak, dq, seed, teach, store, teacher_weight)
    out["phi_weak"] = Variant("phi_weak", facilitated, teach, f"M'_W (teacher: {teacher}){bound}")
    out["phi"] = Variant("phi", w2s_student(m.strong, dp, seed, facilitated, METHODS["baseline"], store=store),
                         facilitated, f"strong student on M'_W's labels (teacher: {teacher}){bound}")
    rows = pd.concat([dq.splits[s] for s in ("A", *dq.emitted)])  # A too: Eq. 1's first term reads it
    evidence = occlusion_evidence(teacher_scorer(m, seed, teacher, store), m.setup.items, rows, EXPLAINED_SENTENCES)
    explained = DebateView("evidence", m.setup.items, evidence, evidence_key=f"occlusion:{teach.key}:{EXPLAINED_SENTENCES}",
                           store=store)
    de = dq.with_view(explained)
    facilitated_e = facilitate(m.weak, de, seed, teach, store, teacher_weight)
    out["phi_explained_weak"] = Variant("phi_explained_weak", facilitated_e, teach,
                                        f"M'_W reading the teacher's {EXPLAINED_SENTENCES} evidence sentences{bound}")
    out["phi_explained"] = Variant("phi_explained",
                                   w2s_student(m.strong, dp, seed, facilitated_e, METHODS["baseline"], store=store),
                                   facilitated_e, f"strong student on the explained M'_W's labels (teacher: {teacher}){bound}")
    return out


def psi_variants(m: DebateModels, seed: int, protocol: Protocol, members: int = 3, method: str = "baseline",
                 teacher: str = "student", store=None) -> dict[str, Variant]:
    """Ψ: the strong student on the jury's labels; and Φ then Ψ: on a jury that also learned from
    the Φ teacher's verdicts on Q."""
    dq, dp = m.data(seed)
    how = METHODS[method]
    psi_jury, psi = align(m.strong, dq, dp, m.setup, seed, protocol, members, how, store=store)
    teach = teacher_artifact(m, seed, teacher, store)
    phi_jury, phi_psi = align(m.strong, dq, dp, m.setup, seed, protocol, members, how, teacher=teach,
                              teacher_scorer=teacher_scorer(m, seed, teacher, store), store=store)
    return {"psi_jury": Variant("psi_jury", psi_jury, note=f"{members} judges, debate transcripts, trained on A"),
            "psi": Variant("psi", psi, psi_jury, f"strong student on the jury's labels ({method})"),
            "phi_psi_jury": Variant("phi_psi_jury", phi_jury, note=f"jury also trained on the {teacher} teacher's Q"),
            "phi_psi": Variant("phi_psi", phi_psi, phi_jury,
                               f"strong student on the Φ-facilitated jury's labels ({method})")}


def control_variants(m: DebateModels, seed: int, protocol: Protocol, members: int = 3, method: str = "baseline",
                     store=None) -> dict[str, Variant]:
    """What separates debate from the rest of Ψ: against the plain student, Ψ changes the evidence
    (debate), the format (pairwise: both answers at once) and the supervisor (a jury of
    ``members``). Each control changes less, and has its student:

    * ``weak_pairwise``: M_W given the same pairwise input — one blind pairwise judge (the
      question and both answers, no evidence);
    * ``blind_jury``: ``members`` such judges — pairwise and an ensemble, no evidence;
    * ``retrieval_jury``: ``members`` judges reading, for each answer, the sentences the strong
      model finds most about the question and that answer, as many as a debate shows, with no
      debate roles (the ``retrieval`` protocol)."""
    dq, dp = m.data(seed)
    how = METHODS[method]
    blind = Protocol("blind")
    retrieval = Protocol("retrieval", protocol.rounds, protocol.quotes_per_round)
    out = {}
    for name, student, proto, k, note in (
            ("weak_pairwise", "w2s_pairwise", blind, 1, "M_W pairwise: one blind judge (question, both answers)"),
            ("blind_jury", "psi_blind", blind, members, f"{members} blind pairwise judges, trained on A"),
            ("retrieval_jury", "psi_retrieval", retrieval, members,
             f"{members} judges reading the strong model's top sentences per answer, no debate roles")):
        supervisor, aligned = align(m.strong, dq, dp, m.setup, seed, proto, k, how, store=store)
        out[name] = Variant(name, supervisor, note=note)
        out[student] = Variant(student, aligned, supervisor, f"strong student on the {name}'s labels ({method})")
    return out


def scored_rows(task: str, data: TaskData, seed: int, variants: dict[str, Variant], weak: Artifact,
                ceiling: Artifact) -> pd.DataFrame:
    """Per-seed rows of table 2: each variant's test accuracy and its supervisor's, with the seed's
    plain weak supervisor and ceiling, and every one's per-item outcomes on the fixed test set
    (packed), so tables can give intervals over items × seeds and pair variants on them."""
    y = data.labels("test")

    def score(art: Artifact | None) -> tuple[float, str | None]:
        if art is None:
            return np.nan, None
        hits = metrics.outcomes(test_predictions(data, art), y)
        return float(hits.mean()), metrics.pack_outcomes(hits)

    def on_b(art: Artifact | None) -> float:
        """How right a supervisor's labels of B are: what its student actually learned from (B's
        ground truth is read here to report, never to train)."""
        if art is None:
            return np.nan
        labels = read_labels(art, "B").reindex(data.splits.B["id"])
        return np.nan if labels.isna().any() else metrics.accuracy(labels.to_numpy(), data.labels("B"))

    (weak_acc, weak_items), (ceiling_acc, ceiling_items) = score(weak), score(ceiling)
    rows = []
    for v in variants.values():
        (acc, items), (sup_acc, sup_items) = score(v.model), score(v.supervisor)
        rows.append({"task": task, "variant": v.name, "seed": seed, "acc": acc, "supervisor_acc": sup_acc,
                     "supervisor_acc_on_b": on_b(v.supervisor),
                     "weak_acc": weak_acc, "ceiling_acc": ceiling_acc, "note": v.note, "n_test": len(y),
                     "items": items, "supervisor_items": sup_items, "weak_items": weak_items,
                     "ceiling_items": ceiling_items})
    return pd.DataFrame(rows)


def variant_rows(m: DebateModels, seed: int, variants: dict[str, Variant], store=None) -> pd.DataFrame:
    """Per-seed rows of every variant on a debate task, scored against the seed's plain weak
    supervisor and the pairwise ceiling (:func:`scored_rows`)."""
    dq, _ = m.data(seed)
    base = baseline_variants(m, seed, store)
    return scored_rows(m.task, dq, seed, variants, base["weak"].model, base["ceiling_pairwise"].model)


# ----------------------------------------------------------------------------- Φ on the NLP tasks

def nlp_phi_rows(task: str, preset: str, ladder: str, seed: int, teachers: Sequence[str] = ("student",),
                 default_teacher: str = "student", teacher_weight: float = 1.0, store=None) -> pd.DataFrame:
    """Φ on a text task of table 1, with the ladder's smallest rung as M_W and its largest as the
    strong model: rows ``weak``, ``ceiling``, ``w2s_baseline``, ``phi_weak`` and ``phi`` per teacher.

    Without explanations: a strong model's word-level explanation by occlusion needs one forward
    pass per removed word, which the ``micro`` budget does not hold."""
    rungs = get_ladder(ladder)
    weak_rung, strong_rung = rungs[0], rungs[-1]
    data = task_data(task, preset, seed)
    weak = weak_supervisor(weak_rung, data, seed, store)
    ceiling = strong_ceiling(strong_rung, data, seed, store)
    student = w2s_student(strong_rung, data, seed, weak, METHODS["baseline"], store=store)
    variants = {"weak": Variant("weak", weak, note=f"M_W: {weak_rung.name}"),
                "ceiling": Variant("ceiling", ceiling, note=f"{strong_rung.name} on ground truth of B"),
                "w2s_baseline": Variant("w2s_baseline", student, weak, f"{strong_rung.name} on M_W's labels")}
    for teacher in teachers:
        teach = {"student": student, "ceiling": ceiling}.get(teacher) or zero_shot_teacher(strong_rung, data, seed,
                                                                                           store=store)
        facilitated = facilitate(weak_rung, data, seed, teach, store, teacher_weight)
        phi_student = w2s_student(strong_rung, data, seed, facilitated, METHODS["baseline"], store=store)
        suffix = "" if teacher == default_teacher else f"[{teacher}]"
        bound = " — an upper bound: this teacher learned from ground truth of B" if teacher == "ceiling" else ""
        variants[f"phi_weak{suffix}"] = Variant(f"phi_weak{suffix}", facilitated, teach,
                                                f"M'_W (teacher: {teacher}){bound}")
        variants[f"phi{suffix}"] = Variant(f"phi{suffix}", phi_student, facilitated,
                                           f"{strong_rung.name} on M'_W's labels (teacher: {teacher}){bound}")
    return scored_rows(task, data, seed, variants, weak, ceiling)
