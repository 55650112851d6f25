"""The package's shape: imports that run one way, no private names across modules, files a reader can hold."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cifar_demo"
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 60


def modules() -> dict[str, Path]:
    """{'cifar_demo.ui.widgets': path, ...} for every module of the package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> dict[str, set[str]]:
    """{module of the package it imports: the names it takes from it}, from every import statement in the
    file, at the top or inside a function (an import hidden in a function closes a cycle just the same)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module) if p)
            # "from . import data" imports the module cifar_demo.data; "from .data import load" takes a name
            targets = [(f"{module}.{a.name}", None) if f"{module}.{a.name}" in known else (module, a.name)
                       for a in node.names]
        else:
            continue
        for target, taken in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "cifar_demo":
                found.setdefault(target, set()).update({taken} if taken else set())
    return found


def graph() -> dict[str, dict[str, set[str]]]:
    known = modules()
    return {name: imported(name, path, set(known)) for name, path in known.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_package_imports_one_way():
    edges = {name: set(targets) for name, targets in graph().items()}
    found = cycle(edges)
    assert found is None, "import cycle: " + " -> ".join(found)


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_module_takes_a_private_name_from_another():
    offences = [f"{name} takes {taken} from {source}"
                for name, targets in graph().items() for source, names in targets.items()
                for taken in names if taken.startswith("_")]
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level
                   for a in n.names}
        offences += [f"{name} reads {n.value.id}.{n.attr}" for n in ast.walk(tree)
                     if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases
                     and n.attr.startswith("_") and not n.attr.startswith("__")]
    assert not offences, offences


@pytest.mark.parametrize("name, path", sorted(modules().items()))
def test_each_module_is_short_says_what_it_holds_and_its_functions_are_short(name, path):
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{name} has {len(source.splitlines())} lines"
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{name} does not say what lives there"
    long = [f"{node.name}() is {node.end_lineno - node.lineno + 1} lines" for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{name}: {long}"
