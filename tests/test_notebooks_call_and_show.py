"""Notebooks only call the library and show what it returns: sweeps, loops over seeds and prose live
in documented library functions (w2s_lib.experiments, w2s_lib.findings), and no notebook asserts on
a result — a finding that comes out differently is reported, not a crash."""
from __future__ import annotations

import ast

import nbformat
import pytest

from w2s_lib import manifest
from w2s_lib.paths import NOTEBOOKS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
FRAMEWORK = [NOTEBOOKS_DIR / f"{stem}.ipynb" for stem in manifest.STEMS
             if manifest.notebook(stem).schema.__name__ in ("FacilitationParams", "DebateParams", "AlignmentParams")]


def _code(path) -> list[ast.Module]:
    nb = nbformat.read(path, as_version=4)
    return [ast.parse(c.source) for c in nb.cells if c.cell_type == "code"]


def _found(path, kinds) -> list[str]:
    return [f"{type(n).__name__} at line {n.lineno}" for tree in _code(path) for n in ast.walk(tree)
            if isinstance(n, kinds)]


def test_the_framework_notebooks_are_05_to_07():
    assert [p.stem for p in FRAMEWORK] == ["05_facilitation", "06_debate", "07_alignment"]


@pytest.mark.parametrize("path", FRAMEWORK, ids=lambda p: p.name)
def test_framework_notebooks_define_no_functions_and_loop_over_nothing(path):
    assert _found(path, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.For, ast.While,
                         ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_asserts(path):
    assert _found(path, (ast.Assert,)) == []


def test_every_notebook_is_in_the_manifest_and_every_entry_has_a_notebook():
    assert [p.stem for p in NOTEBOOKS] == list(manifest.STEMS)


def test_the_weak_to_strong_notebooks_share_one_study():
    """02, 03 and 04 run the same library calls; only their names and parameters differ."""
    calls = {}
    for stem in manifest.w2s_notebooks():
        trees = _code(NOTEBOOKS_DIR / f"{stem}.ipynb")
        calls[stem] = {ast.unparse(n.func) for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Call)}
    shared = set.intersection(*calls.values())
    assert {"experiments.weak_to_strong", "experiments.save_weak_to_strong", "tables.ladder_check"} <= shared
