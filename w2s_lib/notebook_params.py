"""The parameters of every notebook, as typed pydantic models.

Defaults here equal the notebook's ``parameters`` cell and the ``smoke`` preset
(tests check all three agree). Names of tasks and models are checked against their
registries, so a typo fails with the list of accepted names before any compute.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .config import Params

Preset = Literal["smoke", "micro", "paper"]


def _known_task(name: str) -> str:
    from .data.registry import get_task

    get_task(name)  # raises UnknownTaskError (a KeyError) with the registered names
    return name


def _task_or_error(name: str) -> str:
    try:
        return _known_task(name)
    except KeyError as err:
        raise ValueError(str(err)) from None


def _nlp_task(name: str) -> str:
    from .data.registry import get_task, task_names

    spec = get_task(name)
    if spec.domain != "nlp":
        raise ValueError(f"task {name!r} is not an NLP task; NLP tasks: {', '.join(task_names(domain='nlp'))}")
    if spec.kind != "binary":
        raise ValueError(f"task {name!r} is {spec.kind}; weak-to-strong classification takes binary tasks "
                         "(pairwise ones go to the reward-modeling notebook)")
    return name


MIN_SPLIT = 20  # fewer examples than this in A, B or test measure nothing


def check_split_sizes(tasks, preset: str) -> None:
    """Reject, before any compute, a task whose pool is too small for the preset's splits."""
    from .data.registry import get_task
    from .data.splits import sizes_for_preset

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
    from .models.ladder import get_ladder

    try:
        get_ladder(name)
    except KeyError as err:
        raise ValueError(str(err)) from None
    return name


def _method_or_error(name: str) -> str:
    from .pipeline import METHODS

    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; accepted: {', '.join(METHODS)}")
    return name


def _debate_task(name: str) -> str:
    from .data.registry import get_task, task_names

    if get_task(name).kind != "debate":
        debate = [n for n in task_names() if get_task(n).kind == "debate"]
        raise ValueError(f"task {name!r} is not a debate task; debate tasks: {', '.join(debate)}")
    return name


def _debater_or_error(name: str) -> str:
    from .models.sources import ModelSourceError, check_source

    if name != "extractive":
        try:
            check_source(name, offline_cache=False)
        except ModelSourceError as err:
            raise ValueError(f"debater: 'extractive' or a causal LM (folder or hub name): {err}") from None
    return name


TaskName = Annotated[str, AfterValidator(_task_or_error)]
DebateTaskName = Annotated[str, AfterValidator(_task_or_error), AfterValidator(_debate_task)]
DebaterName = Annotated[str, AfterValidator(_debater_or_error)]
NLPTaskName = Annotated[str, AfterValidator(_task_or_error), AfterValidator(_nlp_task)]
LadderName = Annotated[str, AfterValidator(_ladder_or_error)]
MethodName = Annotated[str, AfterValidator(_method_or_error)]
Pairs = Literal["all", "to_largest", "adjacent"]
Seeds = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]


class OverviewParams(Params):
    preset: Preset = "smoke"


class DataParams(Params):
    preset: Preset = "smoke"
    tasks: list[TaskName] = Field(default_factory=list)  # empty: every registered task of the preset
    n_examples: Annotated[int, Field(ge=1, le=20)] = 3     # examples shown per task card
    seed: Annotated[int, Field(ge=0)] = 0


class NLPW2SParams(Params):
    preset: Preset = "smoke"
    tasks: Annotated[list[NLPTaskName], Field(min_length=1)] = Field(default_factory=lambda: ["sentiment"])
    ladder: LadderName = "smoke"
    seeds: Seeds = Field(default_factory=lambda: [0])
    methods: Annotated[list[MethodName], Field(min_length=1)] = Field(default_factory=lambda: ["baseline"])
    pairs: Pairs = "all"
    lm_steps: Annotated[int, Field(ge=1, le=100_000)] = 20  # generative method: LM finetuning steps

    @model_validator(mode="after")
    def _sizes(self) -> "NLPW2SParams":
        check_split_sizes(self.tasks, self.preset)
        return self


def _chess_task(name: str) -> str:
    from .data.registry import get_task, task_names

    spec = get_task(name)
    accepted = [n for n in task_names(domain="chess") if get_task(n).kind == "binary"]
    if spec.domain != "chess" or spec.kind != "binary":
        raise ValueError(f"task {name!r} is not a binary chess task; accepted: {', '.join(accepted)}"
                         + (" (generative chess tasks are scored by the generative method's LM, not here)"
                            if spec.domain == "chess" else ""))
    return name


def _reward_task(name: str) -> str:
    from .data.registry import get_task, task_names

    spec = get_task(name)
    if spec.kind != "pairwise":
        pairwise = [n for n in task_names() if get_task(n).kind == "pairwise"]
        raise ValueError(f"task {name!r} is {spec.kind}; reward models learn pairwise preferences: "
                         f"{', '.join(pairwise)}")
    return name


ChessTaskName = Annotated[str, AfterValidator(_task_or_error), AfterValidator(_chess_task)]
RewardTaskName = Annotated[str, AfterValidator(_task_or_error), AfterValidator(_reward_task)]


class ChessW2SParams(NLPW2SParams):
    tasks: Annotated[list[ChessTaskName], Field(min_length=1)] = Field(default_factory=lambda: ["chess_puzzles"])


class RewardW2SParams(NLPW2SParams):
    tasks: Annotated[list[RewardTaskName], Field(min_length=1)] = Field(
        default_factory=lambda: ["rm_sentiment_pairs"])
    human_raters: bool = True  # VADER single raters as weak supervisors (rm_sentiment_pairs)


ProtocolName = Literal["debate", "consultancy", "blind", "oracle"]


class DebateParams(Params):
    preset: Preset = "smoke"
    task: DebateTaskName = "debate_wordnet"
    ladder: LadderName = "smoke"
    judge_rung: str = ""  # a rung of the ladder; empty: the one below the strongest
    judge: Literal["pair", "text", "lm"] = "pair"
    debater: DebaterName = "extractive"
    seeds: Seeds = Field(default_factory=lambda: [0])
    protocols: Annotated[list[ProtocolName], Field(min_length=1)] = Field(
        default_factory=lambda: ["debate", "consultancy", "blind", "oracle"])
    rounds: Annotated[int, Field(ge=1, le=6)] = 2
    quotes_per_round: Annotated[int, Field(ge=1, le=4)] = 1

    @model_validator(mode="after")
    def _judge_is_a_weaker_rung(self) -> "DebateParams":
        _judge_rung_of(self.ladder, self.judge_rung)
        if len(set(self.protocols)) != len(self.protocols):
            raise ValueError(f"protocols: each at most once (got {self.protocols})")
        return self


TeacherName = Literal["student", "zero_shot", "ceiling"]


def _judge_rung_of(ladder: str, judge_rung: str) -> None:
    from .models.ladder import get_ladder

    names = [r.name for r in get_ladder(ladder)]
    if judge_rung and judge_rung not in names[:-1]:
        raise ValueError(f"judge_rung {judge_rung!r} must be a rung of ladder {ladder!r} below the strongest; "
                         f"accepted: {', '.join(names[:-1])}")


class FacilitationParams(Params):
    preset: Preset = "smoke"
    task: DebateTaskName = "debate_wordnet"
    ladder: LadderName = "smoke"
    judge_rung: str = ""  # the weak rung M_W (on the debate task); empty: the one below the strongest
    seeds: Seeds = Field(default_factory=lambda: [0])
    teacher: TeacherName = "student"
    other_teachers: list[TeacherName] = Field(default_factory=lambda: ["zero_shot", "ceiling"])
    nlp_tasks: list[NLPTaskName] = Field(default_factory=lambda: ["sentiment"])
    nlp_ladder: LadderName = "smoke"  # the ladder of nlp_tasks (notebook 02's: its models are reused)

    @model_validator(mode="after")
    def _check(self) -> "FacilitationParams":
        _judge_rung_of(self.ladder, self.judge_rung)
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
        _judge_rung_of(self.ladder, self.judge_rung)
        return self


def _concept_task(name: str) -> str:
    from .data.registry import get_task, task_names

    if get_task(name).domain != "concepts":
        raise ValueError(f"task {name!r} is not a concept (probing) task; concept tasks: "
                         f"{', '.join(task_names(domain='concepts'))}")
    return name


ConceptTaskName = Annotated[str, AfterValidator(_task_or_error), AfterValidator(_concept_task)]


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
        from .models.ladder import get_ladder

        names = [r.name for r in get_ladder(self.ladder)]
        if self.weak_rung and self.weak_rung not in names[:-1]:
            raise ValueError(f"weak_rung {self.weak_rung!r} must be a rung of ladder {self.ladder!r} below the "
                             f"strongest; accepted: {', '.join(names[:-1])}")
        if len(set(self.concepts)) != len(self.concepts):
            raise ValueError(f"concepts: each at most once (got {self.concepts})")
        check_split_sizes([self.task], self.preset)
        return self


class PaperParams(Params):
    preset: Preset = "smoke"
    refresh_gallery: bool = False


NOTEBOOK_PARAMS: dict[str, type[Params]] = {
    "00_overview": OverviewParams,
    "01_data": DataParams,
    "02_nlp_w2s": NLPW2SParams,
    "03_chess_w2s": ChessW2SParams,
    "04_reward_modeling_w2s": RewardW2SParams,
    "05_facilitation": FacilitationParams,
    "06_debate": DebateParams,
    "07_alignment": AlignmentParams,
    "08_analyses": AnalysesParams,
    "09_paper": PaperParams,
}


def schema_for(notebook: str) -> type[Params]:
    try:
        return NOTEBOOK_PARAMS[notebook]
    except KeyError:
        raise KeyError(f"no parameter schema for notebook {notebook!r}; "
                       f"known: {', '.join(NOTEBOOK_PARAMS)}") from None
