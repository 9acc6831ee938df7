"""The package's modules import one another one way: no cycle, not even for a type hint, and no private names."""

import ast
from pathlib import Path

import srdemo

PACKAGE = Path(srdemo.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def scan() -> tuple[dict[str, set[str]], list[str]]:
    """Each module of the package -> the package's modules it imports anywhere in its file (inside functions and
    ``if TYPE_CHECKING:`` too); and every use of another module's private name (``from .x import _y``, ``x._y``)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph, private = {}, []
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        tree = ast.parse(path.read_text())
        found, as_modules = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "srdemo"):
                base = package[: len(package) - node.level + 1] if node.level else []
                base = ".".join(base + (node.module.split(".") if node.module else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in modules else base)
                    if sub in modules:
                        as_modules.add(alias.asname or alias.name)
                    elif alias.name.startswith("_"):
                        private.append(f"{name}: from {base} import {alias.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in as_modules:
                if node.attr.startswith("_") and not node.attr.startswith("__"):
                    private.append(f"{name}: {node.value.id}.{node.attr}")
        graph[name] = found - {name}
    return graph, private


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its modules in import order, the first again at the end), or None."""
    done, path = set(), []

    def visit(module: str) -> list[str] | None:
        path.append(module)
        for other in sorted(graph.get(module, ())):
            if other in path:
                return path[path.index(other):] + [other]
            if other not in done:
                found = visit(other)
                if found:
                    return found
        done.add(path.pop())
        return None

    for module in sorted(graph):
        found = None if module in done else visit(module)
        if found:
            return found
    return None


def test_the_scan_sees_every_form_of_import():
    graph, _ = scan()
    assert {"srdemo.backends", "srdemo.hub", "srdemo.caller"} <= graph["srdemo.models"]  # from . import x; from .x import y
    assert {"srdemo.compare", "srdemo.training"} <= graph["srdemo.cli"]  # imported inside a function
    assert "srdemo.presets" in graph["srdemo.ui.batch"]  # from ..x import y
    assert "srdemo.ui.common" in graph["srdemo.ui.upscale"]  # from .x import (...) in a sub-package


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None  # two paths to one module are no cycle


def test_no_module_imports_one_that_imports_it_back():
    """Data flows one way (STYLE.md): a module below never imports one above it, even for a type hint."""
    graph, _ = scan()
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_a_module_uses_only_the_public_names_of_another():
    _, private = scan()
    assert private == []
