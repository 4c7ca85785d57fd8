"""The parameters of every notebook, as typed pydantic models.

Defaults here equal the notebook's ``parameters`` cell and the ``smoke`` preset
(tests check all three agree). Names of tasks and models are checked against their
registries, so a typo fails with the list of accepted names before any compute.
"""
from __future__ import annotations

from typing import Annotated, Callable, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from .config import Params
from .data.registry import get_task, task_names
from .data.splits import sizes_for_preset
from .data.task_spec import TaskSpec
from .models.ladder import get_ladder
from .models.sources import ModelSourceError, check_source

Preset = Literal["smoke", "micro", "paper"]


def _task_validator(what: str, accepts: Callable[[TaskSpec], bool],
                    refusal: Callable[[TaskSpec], str] | None = None) -> AfterValidator:
    """A registered task name that ``accepts``; otherwise an error naming ``what`` was expected and
    every registered task that would do (``refusal``: a more precise reason for some specs)."""
    def check(name: str) -> str:
        try:
            spec = get_task(name)
        except KeyError as err:  # unknown: the registry's message lists every registered task
            raise ValueError(str(err)) from None
        if not accepts(spec):
            reason = refusal(spec) if refusal else ""
            accepted = [n for n in task_names() if accepts(get_task(n))]
            raise ValueError(reason or f"task {name!r} is not {what}; accepted: {', '.join(accepted)}")
        return name

    return AfterValidator(check)


def _nlp_refusal(spec: TaskSpec) -> str:
    if spec.domain != "nlp":
        return f"task {spec.name!r} is not an NLP task; NLP tasks: {', '.join(task_names(domain='nlp'))}"
    return (f"task {spec.name!r} is {spec.kind}; weak-to-strong classification takes binary tasks "
            "(pairwise ones go to the reward-modeling notebook)")


def _chess_refusal(spec: TaskSpec) -> str:
    return ("" if spec.domain != "chess" else
            f"task {spec.name!r} is not a binary chess task; accepted: chess tasks of kind binary and pairwise "
            "chess-move tasks (generative chess tasks are scored by the generative method's LM, not here)")


TaskName = Annotated[str, _task_validator("a registered task", lambda s: True)]
NLPTaskName = Annotated[str, _task_validator("an NLP task", lambda s: s.domain == "nlp" and s.kind == "binary",
                                             _nlp_refusal)]
def _reads_chess(spec: TaskSpec) -> bool:
    """A binary chess task, or a pairwise one over chess moves (its domain is reward modeling)."""
    return (spec.domain == "chess" and spec.kind == "binary") or (spec.kind == "pairwise" and "chess" in spec.name)


ChessTaskName = Annotated[str, _task_validator("a binary chess task or a pairwise one over chess moves",
                                               _reads_chess, _chess_refusal)]
RewardTaskName = Annotated[str, _task_validator("a pairwise (reward-modeling) task", lambda s: s.kind == "pairwise")]
DebateTaskName = Annotated[str, _task_validator("a debate task", lambda s: s.kind == "debate")]
ConceptTaskName = Annotated[str, _task_validator("a concept (probing) task", lambda s: s.domain == "concepts")]


MIN_SPLIT = 20  # fewer examples than this in A, B or test measure nothing


def check_split_sizes(tasks, preset: str) -> None:
    """Reject, before any compute, a task whose pool is too small for the preset's splits."""
    for task in tasks:
        if get_task(task).scope == "paper":
            continue  # hub pools are sized when downloaded
        sizes = sizes_for_preset(task, preset)
        small = {k: v for k, v in (("A", sizes.n_a), ("B", sizes.n_b), ("test", sizes.n_test)) if v < MIN_SPLIT}
        if small:
            raise ValueError(f"task {task!r} is too small for preset {preset!r}: splits "
                             f"{', '.join(f'{k} = {v}' for k, v in small.items())} (at least {MIN_SPLIT} each; "
                             "a pool of about 250 rows or more is needed)")


def _ladder_or_error(name: str) -> str:
    try:
        get_ladder(name)
    except KeyError as err:
        raise ValueError(str(err)) from None
    return name


def _method_or_error(name: str) -> str:
    from .methods import METHODS  # here: the methods import torch, which checking a file never needs

    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; accepted: {', '.join(METHODS)}")
    return name


def _debater_or_error(name: str) -> str:
    if name != "extractive":
        try:
            check_source(name, offline_cache=False)
        except ModelSourceError as err:
            raise ValueError(f"debater: 'extractive' or a causal LM (folder or hub name): {err}") from None
    return name


DebaterName = Annotated[str, AfterValidator(_debater_or_error)]
LadderName = Annotated[str, AfterValidator(_ladder_or_error)]
MethodName = Annotated[str, AfterValidator(_method_or_error)]
Pairs = Literal["all", "to_largest", "adjacent"]
Seeds = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]


class OverviewParams(Params):
    preset: Preset = "smoke"


class DataParams(Params):
    EMPTY_TASKS_MEAN_ALL: ClassVar[bool] = True  # `tasks: []` is every task of the preset's scope

    preset: Preset = "smoke"
    tasks: list[TaskName] = Field(default_factory=list)  # empty: every registered task of the preset
    n_examples: Annotated[int, Field(ge=1, le=20)] = 3     # examples shown per task card
    seed: Annotated[int, Field(ge=0)] = 0


W2STaskName = Annotated[str, _task_validator("a binary or pairwise task", lambda s: s.kind in ("binary", "pairwise"))]


class DevChoicesParams(Params):
    preset: Preset = "smoke"
    tasks: Annotated[list[W2STaskName], Field(min_length=1)] = Field(default_factory=lambda: ["sentiment"])
    ladder: LadderName = "smoke"
    seeds: Seeds = Field(default_factory=lambda: [0])
    debate_task: Annotated[str, AfterValidator(lambda t: t and _debate_task(t))] = ""  # empty: no debate search
    debate_ladder: Annotated[str, AfterValidator(lambda n: n and _ladder_or_error(n))] = ""
    # tasks on which the finetuned regime's settings are searched (its largest pair); empty: none
    finetuned_tasks: list[W2STaskName] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> "DevChoicesParams":
        if bool(self.debate_task) != bool(self.debate_ladder):
            raise ValueError("debate_task and debate_ladder: give both (the debate search) or neither")
        if len({r.train_mode == "probe" for r in get_ladder(self.ladder)}) != 1:
            raise ValueError(f"ladder: {self.ladder!r} mixes probes and finetuned rungs; settings are chosen for a "
                             "ladder of one kind")
        check_split_sizes(self.tasks, self.preset)
        return self


def _debate_task(name: str) -> str:
    """A registered debate task (the validator of ``DebateTaskName``, for an optional field)."""
    from pydantic import TypeAdapter

    return TypeAdapter(DebateTaskName).validate_python(name)


class NLPW2SParams(Params):
    preset: Preset = "smoke"
    tasks: Annotated[list[NLPTaskName], Field(min_length=1)] = Field(default_factory=lambda: ["sentiment"])
    ladder: LadderName = "smoke"
    seeds: Seeds = Field(default_factory=lambda: [0])
    methods: Annotated[list[MethodName], Field(min_length=1)] = Field(default_factory=lambda: ["baseline"])
    pairs: Pairs = "all"
    lm_steps: Annotated[int, Field(ge=1, le=100_000)] = 20  # generative method: LM finetuning steps
    # pairs whose strong rung also trains in the finetuned regime (its last block): none, largest (the two
    # largest rungs), all, to_largest, adjacent, or "weak>strong" pairs, comma-separated
    finetuned_pairs: str = "largest"
    finetuned_tasks: list[str] = Field(default_factory=list)  # the tasks run finetuned too; empty: every task

    @model_validator(mode="after")
    def _sizes(self) -> "NLPW2SParams":
        check_split_sizes(self.tasks, self.preset)
        _check_finetuned_pairs(self.finetuned_pairs, self.ladder)
        outside = [t for t in self.finetuned_tasks if t not in self.tasks]
        if outside:
            raise ValueError(f"finetuned_tasks: {outside} not among tasks {self.tasks}")
        return self


FINETUNED_PAIR_WORDS = ("none", "largest", "all", "to_largest", "adjacent")


def _check_finetuned_pairs(spec: str, ladder: str) -> None:
    """``finetuned_pairs``: a keyword, or ``weak>strong`` pairs of rungs of the ladder, smaller first."""
    if spec in FINETUNED_PAIR_WORDS:
        return
    names = [r.name for r in get_ladder(ladder)]
    for part in (p.strip() for p in spec.split(",")):
        weak, sep, strong = (x.strip() for x in part.partition(">"))
        if not sep or weak not in names or strong not in names or names.index(weak) >= names.index(strong):
            raise ValueError(f"finetuned_pairs: {part!r} is not a keyword ({', '.join(FINETUNED_PAIR_WORDS)}) nor a "
                             f"'weak>strong' pair of rungs of ladder {ladder!r}, smaller first ({', '.join(names)})")


class ChessW2SParams(NLPW2SParams):
    tasks: Annotated[list[ChessTaskName], Field(min_length=1)] = Field(default_factory=lambda: ["chess_puzzles"])


class RewardW2SParams(NLPW2SParams):
    tasks: Annotated[list[RewardTaskName], Field(min_length=1)] = Field(
        default_factory=lambda: ["rm_sentiment_pairs"])
    human_raters: bool = True  # VADER single raters as weak supervisors (rm_sentiment_pairs)


ProtocolName = Literal["debate", "consultancy", "blind", "oracle", "retrieval"]


class DebateParams(Params):
    preset: Preset = "smoke"
    task: DebateTaskName = "debate_wordnet"
    ladder: LadderName = "smoke"
    judge_rung: str = ""  # a rung of the ladder; empty: the one below the strongest
    judge: Literal["pair", "text", "lm"] = "pair"
    debater: DebaterName = "extractive"
    seeds: Seeds = Field(default_factory=lambda: [0])
    protocols: Annotated[list[ProtocolName], Field(min_length=1)] = Field(
        default_factory=lambda: ["debate", "consultancy", "blind", "oracle", "retrieval"])
    rounds: Annotated[int, Field(ge=1, le=6)] = 2
    quotes_per_round: Annotated[int, Field(ge=1, le=4)] = 1
    debater_template: str = "debater"  # a generative debater's prompt: debater (instruct), debater_base (base LMs), a .txt
    max_items: Annotated[int, Field(ge=0)] = 0  # at most this many items of A and of test (0: all); for slow debaters
    best_response_rounds: Annotated[int, Field(ge=0, le=10)] = 1  # judges retrained against best responses; 0: skip
    best_response_protocols: list[Literal["debate", "consultancy"]] = Field(
        default_factory=lambda: ["debate", "consultancy"])

    @model_validator(mode="after")
    def _judge_is_a_weaker_rung(self) -> "DebateParams":
        _rung_below_strongest(self.ladder, self.judge_rung, "judge_rung")
        if self.debater_template != "debater":
            from .debate.debaters import load_template

            load_template(self.debater_template)  # an unknown template: a ValueError naming the shipped ones
        if self.best_response_rounds and self.judge != "pair":
            raise ValueError(f"best_response_rounds: debaters best-respond to a pair judge's scores; with judge "
                             f"{self.judge!r} set it to 0")
        if self.best_response_rounds and not self.best_response_protocols:
            raise ValueError("best_response_protocols: name debate, consultancy or both (or set best_response_rounds: 0)")
        if len(set(self.protocols)) != len(self.protocols):
            raise ValueError(f"protocols: each at most once (got {self.protocols})")
        if "retrieval" in self.protocols and self.debater != "extractive":
            raise ValueError("protocols: 'retrieval' is a control built on the extractive debater's ranking; with "
                             f"debater {self.debater!r} leave it out")
        return self


TeacherName = Literal["student", "zero_shot", "ceiling"]


def _rung_below_strongest(ladder: str, rung: str, key: str) -> None:
    """``rung`` (parameter ``key``) is empty (the default pick) or a rung of ``ladder`` below its strongest."""
    names = [r.name for r in get_ladder(ladder)]
    if rung and rung not in names[:-1]:
        raise ValueError(f"{key} {rung!r} must be a rung of ladder {ladder!r} below the strongest; "
                         f"accepted: {', '.join(names[:-1])}")


class FacilitationParams(Params):
    preset: Preset = "smoke"
    task: DebateTaskName = "debate_wordnet"
    ladder: LadderName = "smoke"
    judge_rung: str = ""  # the weak rung M_W (on the debate task); empty: the one below the strongest
    seeds: Seeds = Field(default_factory=lambda: [0])
    teacher: TeacherName = "student"
    other_teachers: list[TeacherName] = Field(default_factory=lambda: ["zero_shot", "ceiling"])
    teacher_weight: Annotated[float, Field(ge=0, le=1)] = 0.5  # Eq. 1: the teacher's term's weight (chosen on dev)
    nlp_tasks: list[NLPTaskName] = Field(default_factory=lambda: ["sentiment"])
    nlp_ladder: LadderName = "smoke"  # the ladder of nlp_tasks (notebook 02's: its models are reused)

    @model_validator(mode="after")
    def _check(self) -> "FacilitationParams":
        _rung_below_strongest(self.ladder, self.judge_rung, "judge_rung")
        if self.teacher in self.other_teachers:
            raise ValueError(f"other_teachers repeats the main teacher {self.teacher!r}")
        return self


class AlignmentParams(Params):
    preset: Preset = "smoke"
    task: DebateTaskName = "debate_wordnet"
    ladder: LadderName = "smoke"
    judge_rung: str = ""
    seeds: Seeds = Field(default_factory=lambda: [0])
    protocol: Literal["debate", "consultancy"] = "debate"
    rounds: Annotated[int, Field(ge=1, le=6)] = 2
    quotes_per_round: Annotated[int, Field(ge=1, le=4)] = 1
    jury_size: Annotated[int, Field(ge=1, le=16)] = 3
    method: MethodName = "baseline"
    teacher: TeacherName = "student"

    @model_validator(mode="after")
    def _check(self) -> "AlignmentParams":
        _rung_below_strongest(self.ladder, self.judge_rung, "judge_rung")
        return self


class AnalysesParams(Params):
    preset: Preset = "smoke"
    task: NLPTaskName = "sentiment"
    ladder: LadderName = "smoke"
    weak_rung: str = ""  # the weak supervisor; empty: the second-smallest rung (smallest of two)
    seeds: Seeds = Field(default_factory=lambda: [0])
    concepts: Annotated[list[ConceptTaskName], Field(min_length=1)] = Field(
        default_factory=lambda: ["concept_sentiment", "concept_genre", "concept_intensity", "concept_controversy"])
    probe_train: Annotated[int, Field(ge=20)] = 100
    probe_test: Annotated[int, Field(ge=20)] = 100
    finetune_examples: Annotated[int, Field(ge=0)] = 0  # rows of B; 0: all of B
    finetune_epochs: Annotated[int, Field(ge=1, le=20)] = 2
    finetune_lr: Annotated[float, Field(gt=0, le=0.1)] = 0.001
    last_k: Annotated[int, Field(ge=1, le=48)] = 1
    eval_examples: Annotated[int, Field(ge=0)] = 0  # test items scoring the finetuned models; 0: all
    overfit_epochs: Annotated[int, Field(ge=0, le=500)] = 0  # 0: the ladder's probe setting

    @model_validator(mode="after")
    def _check(self) -> "AnalysesParams":
        _rung_below_strongest(self.ladder, self.weak_rung, "weak_rung")
        if len(set(self.concepts)) != len(self.concepts):
            raise ValueError(f"concepts: each at most once (got {self.concepts})")
        check_split_sizes([self.task], self.preset)
        return self


class PaperParams(Params):
    preset: Preset = "smoke"
    refresh_gallery: bool = False
