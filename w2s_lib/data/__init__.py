"""Tasks by name: the registry, the splits, and the loaders that register tasks."""
from .registry import (DOMAINS, KINDS, TaskSpec, UnknownTaskError, all_tasks, get_task,
                       load_pool, register_task, task_names)
from .splits import SPLIT_NAMES, SplitSizes, Splits, make_splits, test_pool_mask, working_universe

__all__ = ["DOMAINS", "KINDS", "TaskSpec", "UnknownTaskError", "all_tasks", "get_task",
           "load_pool", "register_task", "task_names", "SPLIT_NAMES", "SplitSizes", "Splits",
           "make_splits", "test_pool_mask", "working_universe"]
