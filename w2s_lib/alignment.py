"""Ψ, alignment: the debate signal becomes a better supervisor for the strong model.

After Lang et al. (2025): a **jury** of K weak judges — each trained on ground truth of A with
debate transcripts as context, each with its own seed and its own transcript sample (the first
member hears the debaters' best quotes, the others quotes sampled among their best) — judges
the debates over B's items. Their averaged probabilities that each candidate answer is correct
are soft labels on B, and the strong student is trained on them like on any weak supervisor's
(baseline loss, or the auxiliary confidence loss). With a Φ teacher, the judges also learn from
the teacher's verdicts on the unlabelled split Q (Φ, then D and Ψ).

Entry point: :func:`align` (the jury and the student it supervises). The student's test errors
are then attributed to one cause each (:func:`error_types`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from . import metrics
from .debate.experiment import DebateSetup
from .debate.protocols import Protocol
from .debate.transcripts import quoted_sentences, transcripts
from .methods import METHODS, Method
from .pipeline import TaskData, labels_artifact, test_predictions, w2s_student
from .store import Artifact, ArtifactStore, default_store

ERROR_TYPES = ("beyond the student's reach", "poor quote selection", "evidence extraction", "unsure supervisor",
               "follows the answer prior", "other")
UNSURE_MARGIN = 0.15  # the jury is unsure of an item when its probability is within this of ½


def candidate_probabilities(records: Sequence[dict], p_a: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """P(the row's candidate is correct) from pairwise verdicts, averaged over both answer orders."""
    votes: dict[tuple[str, str], list[float]] = {}
    for record, p in zip(records, p_a):
        a, b = record["answers"]
        votes.setdefault((record["id"], a), []).append(float(p))
        votes.setdefault((record["id"], b), []).append(float(1 - p))
    return np.array([np.mean(votes[(i, c)]) for i, c in zip(frame["id"], frame["candidate"])])


def jury(data: TaskData, setup: DebateSetup, seed: int, protocol: Protocol, members: int = 3,
         temperature: float = 0.1, teacher: Artifact | None = None, teacher_scorer=None,
         store: ArtifactStore | None = None) -> Artifact:
    """The jury's soft labels on B, val, Q and test (an artifact that can supervise a student).

    With ``teacher`` (a Φ teacher's labels artifact) and ``teacher_scorer`` (its
    ``score(item, candidate, sentences)``), every judge also trains on the debates over Q with the
    teacher's verdicts as soft targets: P(A) = σ(logit p(A) − logit p(B)) — no ground truth of Q."""
    store = store or default_store()
    debaters = [setup.debater] + [setup.debater.sampled(temperature, sample=seed * members + j)
                                  for j in range(1, members)]
    judges = [setup.make_judge(seed * members + j) for j in range(members)]
    items = setup.items

    def split_items(split: str):
        return [items[i] for i in data.splits[split]["id"]]

    def probs() -> dict:
        out = {s: np.zeros(len(data.splits[s])) for s in data.emitted}
        for debater, judge in zip(debaters, judges):
            train = transcripts(split_items("A"), debater, protocol, seed, store)
            targets = None
            if teacher is not None:
                extra = transcripts(split_items("Q"), debater, protocol, seed, store)
                targets = [1.0 if r["correct"] == 0 else 0.0 for r in train] + teacher_pair_targets(
                    extra, items, teacher_scorer)
                train = train + extra
            judge.fit(train, targets)
            for s in data.emitted:
                records = transcripts(split_items(s), debater, protocol, seed, store)
                out[s] += candidate_probabilities(records, judge.predict(records), data.splits[s]) / members
        return out

    config = {"judges": [j.key() for j in judges], "debaters": [d.key() for d in debaters],
              "protocol": protocol.key(), "members": members}
    return labels_artifact("phi_psi" if teacher is not None else "psi", config, data, seed, probs,
                           inputs=(teacher.key,) if teacher is not None else (), ground_truth=("A",), store=store)


def pairwise_ceiling(data: TaskData, setup: DebateSetup, seed: int, units, protocol: Protocol = Protocol("debate"),
                     store: ArtifactStore | None = None) -> Artifact:
    """The ceiling of the framework's table: the **strong** rung as a pairwise judge (``units``: its
    embeddings) that reads everything any supervisor of the table reads — the question, both
    answers, the debaters' quotes (``protocol``'s transcripts) and the whole passage — trained on
    ground truth of **B**, like the pointwise ceiling. Its candidate probabilities on every split."""
    from .debate.trained_judges import PairJudge

    store = store or default_store()
    passages = {i: list(item.sentences) for i, item in setup.items.items()}
    judge = PairJudge(units, seed=seed, passages=passages)

    def records(split: str) -> list[dict]:
        return transcripts([setup.items[i] for i in data.splits[split]["id"]], setup.debater, protocol, seed, store)

    def probs() -> dict:
        judge.fit(records("B"))
        out = {}
        for split in data.emitted:
            split_records = records(split)
            out[split] = candidate_probabilities(split_records, judge.predict(split_records), data.splits[split])
        return out

    config = {"judge": judge.key(), "debater": setup.debater.key(), "protocol": protocol.key(), "train_split": "B"}
    return labels_artifact("ceiling_pairwise", config, data, seed, probs, ground_truth=("B",), store=store)


def align(strong, weak_view: TaskData, strong_view: TaskData, setup: DebateSetup, seed: int, protocol: Protocol,
          members: int = 3, method: Method = METHODS["baseline"], teacher: Artifact | None = None,
          teacher_scorer=None, store: ArtifactStore | None = None) -> tuple[Artifact, Artifact]:
    """**Ψ**: the jury of ``members`` debate-trained weak judges (reading ``weak_view``: the question,
    the candidate and the debate), and the ``strong`` rung trained on the jury's labels of B
    (reading ``strong_view``: the passage) with ``method``'s loss. With a Φ ``teacher``, the
    judges also learn its verdicts on Q (Φ, then D and Ψ). Returns (jury, aligned student).

        jury    ← K weak judges, each fitted on D's transcripts of A (+ the teacher's verdicts on Q)
        ŷ_B     ← mean over the jury of P(candidate correct | transcripts of B)
        student ← train(strong, B, targets = ŷ_B, loss = method)
    """
    judged = jury(weak_view, setup, seed, protocol, members, teacher=teacher, teacher_scorer=teacher_scorer,
                  store=store)
    return judged, w2s_student(strong, strong_view, seed, judged, method, store=store)


def teacher_pair_targets(records: Sequence[dict], items, score) -> list[float]:
    """A Φ teacher's verdict on each debate record: P(A correct) from its scores of both answers."""
    def logit(p: float) -> float:
        p = min(max(p, 1e-4), 1 - 1e-4)
        return float(np.log(p / (1 - p)))

    out = []
    for r in records:
        item = items[r["id"]]
        pa, pb = (score(item, answer, list(item.sentences)) for answer in r["answers"])
        out.append(float(1 / (1 + np.exp(-(logit(pa) - logit(pb))))))
    return out


# ----------------------------------------------------------------------------- error taxonomy

def error_types(data: TaskData, student: Artifact, jury_art: Artifact, ceiling: Artifact, blind: Artifact,
                setup: DebateSetup, protocol: Protocol, seed: int, store: ArtifactStore | None = None,
                unsure: float = UNSURE_MARGIN) -> pd.DataFrame:
    """One row per test item the aligned student gets wrong, with the first rule that applies. The
    rules read the supervisor the student learned from (the jury), the bound of the student's own
    reader (``ceiling``: the strong rung with the student's input, trained on ground truth of B) and,
    as a diagnostic only, a reader of the question and candidate alone (``blind``: M_W, whose labels
    this student never saw):

    1. **beyond the student's reach** — the ceiling errs on the item too: no supervisor would have
       taught this reader the item;
    2. **poor quote selection** — the jury erred, and the debater for the correct answer quoted
       none of the gold evidence (in the transcript of the jury's first member);
    3. **evidence extraction** — the jury erred although the gold evidence was quoted;
    4. **unsure supervisor** — the jury was right, but its probability for the right label was
       within ``unsure`` of ½: the supervision on such items is weak;
    5. **follows the answer prior** — the jury was right and sure, and the blind reader makes the
       student's error: the student leans on what the candidate alone suggests;
    6. **other** — none of these.

    Rules 2 and 3 are the student inheriting its supervisor's error. (Rules 1 and 5 were revised
    after the first run was read; notebook 07 says how, and what the first version found.)
    """
    test = data.splits.test
    y = test["label"].to_numpy()
    ids = test["id"]
    p_student, p_jury, p_ceiling, p_blind = (test_predictions(data, a) for a in (student, jury_art, ceiling, blind))
    records = transcripts([setup.items[i] for i in ids], setup.debater, protocol, seed, store)
    gold_shown = {r["id"]: bool(set(quoted_sentences(r, "AB"[r["correct"]])) & set(r["gold_evidence"]))
                  for r in records if r["order"] == 0}
    student_pred = metrics.to_predictions(p_student)
    jury_right = metrics.to_predictions(p_jury) == y
    ceiling_right = metrics.to_predictions(p_ceiling) == y
    follows_blind = metrics.to_predictions(p_blind) == student_pred
    jury_margin = np.abs(p_jury - 0.5)
    rows = [{"id": item_id, "error_type": attribute_error(bool(ceiling_right[i]), gold_shown[item_id],
                                                          bool(jury_right[i]), bool(jury_margin[i] < unsure),
                                                          bool(follows_blind[i]))}
            for i, item_id in enumerate(ids) if student_pred[i] != y[i]]
    return pd.DataFrame(rows, columns=["id", "error_type"])


def attribute_error(ceiling_right: bool, gold_shown: bool, jury_right: bool, jury_unsure: bool,
                    follows_blind: bool) -> str:
    """The error type of one wrong answer of the aligned student, by the rules' precedence."""
    if not ceiling_right:
        return ERROR_TYPES[0]
    if not jury_right:
        return ERROR_TYPES[1] if not gold_shown else ERROR_TYPES[2]
    if jury_unsure:
        return ERROR_TYPES[3]
    return ERROR_TYPES[4] if follows_blind else ERROR_TYPES[5]
