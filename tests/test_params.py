"""Params files, notebook parameters cells and the typed schemas stay in step."""
from __future__ import annotations

import ast

import nbformat
import papermill
import pytest

from w2s_lib import parameters
from w2s_lib.manifest import schema_for
from w2s_lib.paths import NOTEBOOKS_DIR, PARAMS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
PARAMS_FILES = sorted(PARAMS_DIR.glob("*.yaml"))


def _parameters_cell_defaults(path) -> dict:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    values = {}
    for node in ast.parse(cells[0].source).body:
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        values[target.id] = ast.literal_eval(node.value)
    return values


@pytest.mark.parametrize("path", PARAMS_FILES, ids=lambda p: p.name)
def test_params_file_is_valid(path):
    assert parameters.check_params_file(path) == []


@pytest.mark.parametrize("path", PARAMS_FILES, ids=lambda p: p.name)
def test_every_key_of_every_params_file_is_a_parameter_of_its_notebook(path):
    data = parameters.read_params_file(path)
    for stem, values in (data.get("notebooks") or {}).items():
        notebook = NOTEBOOKS_DIR / f"{stem}.ipynb"
        assert notebook.exists(), f"{path.name} names a notebook that does not exist: {stem}"
        declared = set(papermill.inspect_notebook(str(notebook)))
        assert set(values or {}) <= declared, f"{path.name}: {stem}: {set(values) - declared}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_parameters_match_their_schema_and_the_smoke_preset(path):
    defaults = _parameters_cell_defaults(path)
    schema = schema_for(path.stem)
    assert set(defaults) == set(schema.model_fields), "parameters cell and schema declare different keys"
    assert set(papermill.inspect_notebook(str(path))) == set(defaults), "papermill cannot parse a line"
    assert schema(**defaults).model_dump() == schema().model_dump(), "defaults differ from the schema's"
    smoke = parameters.notebook_parameters(PARAMS_DIR / "smoke.yaml", path.stem)
    assert smoke == defaults, "smoke.yaml must equal the notebook's defaults"


PRESET_FILES = [PARAMS_DIR / f"{name}.yaml" for name in ("smoke", "micro", "paper")]


def test_every_notebook_is_in_every_preset_file():
    """The three presets run every notebook; other params files (e.g. micro_extended.yaml) may
    name only some, as `w2s reproduce --params` allows."""
    for path in PRESET_FILES:
        listed = set((parameters.read_params_file(path).get("notebooks") or {}))
        assert listed == {p.stem for p in NOTEBOOKS}, path.name
