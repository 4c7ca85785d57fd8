"""The package's structure: every import inside w2s_lib (at module level or inside a function) runs
from a layer to the same layer or one below (w2s_lib.layers), and no modules import each other
around a circle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from w2s_lib.layers import LAYERS, layer_of

PACKAGE = Path(__file__).resolve().parents[1] / "w2s_lib"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str:
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def import_graph() -> dict[str, set[str]]:
    """module -> the package's modules it imports anywhere in its source."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source == "w2s_lib" or source.startswith("w2s_lib."):
                    targets = [_resolve(f"{source}.{alias.name}", modules) for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [_resolve(a.name, modules) for a in node.names if a.name.split(".")[0] == "w2s_lib"]
            graph[module].update(t for t in targets if t != module)
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    names = [name for name, _ in LAYERS]
    return [f"{a} ({names[layer_of(a)]}) imports {b} ({names[layer_of(b)]})"
            for a, targets in sorted(graph.items()) for b in sorted(targets) if layer_of(b) > layer_of(a)]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_of_the_package_belongs_to_a_layer():
    for module in _modules():
        layer_of(module)  # raises, naming the module, when it is in no layer


def test_no_module_imports_from_a_layer_above_its_own():
    assert upward_imports(import_graph()) == []


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_the_checks_catch_an_upward_import_and_a_circle():
    """The two checks themselves: a store importing the pipeline is upward; two modules importing
    each other are a circle."""
    graph = {"w2s_lib.store": {"w2s_lib.pipeline"}, "w2s_lib.pipeline": {"w2s_lib.store"}}
    assert upward_imports(graph) == ["w2s_lib.store (storage) imports w2s_lib.pipeline (pipeline)"]
    assert circles(graph) == [["w2s_lib.pipeline", "w2s_lib.store"]]


def test_a_module_in_no_layer_is_named():
    with pytest.raises(KeyError, match="w2s_lib_other"):
        layer_of("w2s_lib_other.x")
