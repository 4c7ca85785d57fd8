"""Notebooks reach git with outputs stripped, however they were edited.

Saving in JupyterLab writes outputs into the file on disk; the nbstripout git filter (set up
by `make`, named in .gitattributes) strips them as the file is staged. So what must be clean is
what git holds — the staged version — and, outside a git checkout, the file itself.
"""
from __future__ import annotations

import subprocess

import nbformat
import pytest

from w2s_lib.paths import NOTEBOOKS_DIR, REPO_ROOT

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def _in_git() -> bool:
    try:
        return subprocess.run(["git", "rev-parse", "--git-dir"], cwd=REPO_ROOT, capture_output=True).returncode == 0
    except OSError:
        return False


def _as_git_holds_it(path):
    """The staged notebook (what a commit takes), or the file when git does not track it."""
    if _in_git():
        rel = path.relative_to(REPO_ROOT).as_posix()
        shown = subprocess.run(["git", "show", f":{rel}"], cwd=REPO_ROOT, capture_output=True, text=True)
        if shown.returncode == 0:
            return nbformat.reads(shown.stdout, as_version=4)
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_reaches_git_without_outputs_or_execution_counts(path):
    nb = _as_git_holds_it(path)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs in git; run `make git-filter` and stage it again"


def test_gitattributes_strips_notebooks_as_they_are_staged():
    attributes = (REPO_ROOT / ".gitattributes").read_text().splitlines()
    assert "*.ipynb filter=nbstripout" in attributes


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_its_question_and_outputs(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert "**Question.**" in first.source and "**Produces.**" in first.source and "**Time.**" in first.source
