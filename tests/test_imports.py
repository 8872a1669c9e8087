"""The import graph of src/nnviz: no cycles between modules, and the layers hold.

The graph is read statically with ``ast`` (nothing is imported), so it sees every
import: top-level ones, ones inside functions and methods, and relative ones.

* ``import a.b`` is an edge to ``a.b``.
* ``from a import b`` is an edge to ``a.b`` when that is one of our modules (a
  submodule import), otherwise to ``a`` (a name imported from ``a``).
* Imports under ``if TYPE_CHECKING:`` count like any other: a cycle that only the type
  checker sees is still a cycle in the design (it is how config once hid
  config -> render.engines -> render.animation -> config).

The layers: ``nnviz.config`` is a leaf (the schema, parsers and TOML: it imports nothing
of nnviz but its errors and the leaves ``parsers``, ``shipped`` and ``bounded``); ``nnviz.engine`` is NumPy
code that knows nothing of rendering, sweeps or the command line; and only ``nnviz.cli``
talks click.

Rules the tree breaks today are listed in KNOWN below. Each known violation has its own
``xfail(strict=True)`` test, so it turns into an XPASS failure the moment it is fixed:
then delete its entry from KNOWN. Any violation that is not in KNOWN fails at once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "nnviz"


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name, e.g. nnviz.sweep.core
    target: str  # dotted name imported, resolved to absolute
    path: str  # relative to src/
    line: int
    type_checking: bool

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_checking: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``node``, flagged when it sits in an ``if TYPE_CHECKING:`` body."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield stmt, True
                yield from _walk(stmt, True)
            for stmt in child.orelse:
                yield stmt, type_checking
                yield from _walk(stmt, type_checking)
        else:
            yield child, type_checking
            yield from _walk(child, type_checking)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    is_package = path.name == "__init__.py"
    shown = path.relative_to(SRC).as_posix() if path.is_relative_to(SRC) else path.name
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node, tc in _walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, shown, node.lineno, tc) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative: the package this module lives in, then up level-1 more.
                base = name.split(".") if is_package else name.split(".")[:-1]
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                prefix = ".".join(base)
                source = f"{prefix}.{node.module}" if node.module else prefix
            else:
                source = node.module or ""
            if source == "__future__":
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                target = sub if sub in modules else source
                found.append(Import(name, target, shown, node.lineno, tc))
    return found


def all_imports() -> list[Import]:
    modules = all_modules()
    out: list[Import] = []
    for name, path in modules.items():
        out += imports_of(name, path, modules)
    return out


def internal_graph(imports: list[Import]) -> dict[str, set[str]]:
    modules = all_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        if imp.target in modules and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One concrete cycle per strongly connected component (Tarjan), e.g. [a, b, a]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)

    found = []
    for comp in components:
        members = set(comp)
        start = comp[0]
        # Breadth-first from start back to start, inside the component: a shortest cycle.
        parents: dict[str, str] = {}
        queue = [start]
        while queue:
            v = queue.pop(0)
            if start in graph[v]:
                path = [start]
                while v != start:
                    path.append(v)
                    v = parents[v]
                path.append(start)
                found.append([path[0], *reversed(path[1:-1]), start])
                break
            for w in sorted(graph[v] & members):
                if w != start and w not in parents:
                    parents[w] = v
                    queue.append(w)
    return found


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


ENGINE_FORBIDDEN = ("nnviz.render", "nnviz.sweep", "nnviz.cli", "matplotlib", "click")
# Of nnviz's own modules: leaves. nnviz.bounded (capped reads: the config's TOML too) is one.
CONFIG_ALLOWED = ("nnviz.config", "nnviz.errors", "nnviz.parsers", "nnviz.shipped", "nnviz.bounded")
BOUNDED_ALLOWED = ("nnviz.bounded", "nnviz.errors")
RULES = {
    "config-is-a-leaf": "nnviz.config must import nothing of nnviz but " + ", ".join(CONFIG_ALLOWED[1:]),
    "bounded-is-a-leaf": "nnviz.bounded must import nothing of nnviz but " + ", ".join(BOUNDED_ALLOWED[1:]),
    "engine-is-bottom": "nnviz.engine must not import " + ", ".join(ENGINE_FORBIDDEN),
    "click-only-in-cli": "only nnviz.cli may import click",
}


def violations(imports: list[Import]) -> dict[str, list[Import]]:
    out: dict[str, list[Import]] = {rule: [] for rule in RULES}
    for imp in imports:
        if _in(imp.importer, "nnviz.config") and _in(imp.target, PACKAGE) and imp.target not in CONFIG_ALLOWED:
            out["config-is-a-leaf"].append(imp)
        if _in(imp.importer, "nnviz.bounded") and _in(imp.target, PACKAGE) and imp.target not in BOUNDED_ALLOWED:
            out["bounded-is-a-leaf"].append(imp)
        if _in(imp.importer, "nnviz.engine") and any(_in(imp.target, f) for f in ENGINE_FORBIDDEN):
            out["engine-is-bottom"].append(imp)
        if not _in(imp.importer, "nnviz.cli") and _in(imp.target, "click"):
            out["click-only-in-cli"].append(imp)
    return out


def violation_keys() -> set[str]:
    """Stable names for today's violations: 'rule: importer -> target' and 'cycle: a -> b -> a'."""
    imports = all_imports()
    keys = {f"{rule}: {imp.importer} -> {imp.target}" for rule, imps in violations(imports).items() for imp in imps}
    keys |= {"cycle: " + " -> ".join(c) for c in cycles(internal_graph(imports))}
    return keys


# Violations known today (none now). Add one only with a reason; delete it when its xfail test XPASSes.
KNOWN: dict[str, str] = {}


def test_the_walker_sees_the_tree() -> None:
    modules = all_modules()
    assert {"nnviz", "nnviz.engine.nn", "nnviz.render.paint", "nnviz.cli"} <= set(modules)
    imports = all_imports()
    targets = {(i.importer, i.target) for i in imports}
    # A relative import of a sibling module, one of a name from a parent package, one of an absolute module.
    assert ("nnviz.engine.train", "nnviz.engine.nn") in targets
    assert ("nnviz.engine.nn", "nnviz.errors") in targets
    assert ("nnviz.cli", "click") in targets


def test_relative_imports_and_cycles_are_resolved(tmp_path: Path) -> None:
    # The resolver on a made-up package: from . / from .. / from .x import y / imports in functions.
    pkg = tmp_path / "p"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .sub import c\n")
    (pkg / "sub" / "__init__.py").write_text("from .c import thing\n")
    (pkg / "sub" / "c.py").write_text(
        "from ..a import x\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import b\n"
    )
    modules = {"p": pkg / "__init__.py", "p.a": pkg / "a.py", "p.b": pkg / "b.py"}
    modules |= {"p.sub": pkg / "sub" / "__init__.py", "p.sub.c": pkg / "sub" / "c.py"}
    edges = {(i.importer, i.target, i.type_checking) for n, p in modules.items() for i in imports_of(n, p, modules)}
    assert ("p.a", "p.b", False) in edges
    assert ("p.b", "p.sub.c", False) in edges
    assert ("p.sub", "p.sub.c", False) in edges
    assert ("p.sub.c", "p.a", False) in edges
    assert ("p.sub.c", "p.b", True) in edges
    graph = {m: set() for m in modules}
    for importer, target, tc in edges:
        if not tc and target in modules:
            graph[importer].add(target)
    assert cycles(graph) == [["p.a", "p.b", "p.sub.c", "p.a"]]


def test_no_new_import_cycles_or_layering_violations() -> None:
    new = sorted(violation_keys() - set(KNOWN))
    imports = all_imports()
    detail = [imp.where() for imps in violations(imports).values() for imp in imps]
    assert not new, (
        "new import cycles or layering violations (rules: "
        + "; ".join(RULES.values())
        + "):\n  "
        + "\n  ".join(new)
        + "\nall layering violations found:\n  "
        + "\n  ".join(detail)
    )


@pytest.mark.parametrize(
    "key",
    [pytest.param(key, marks=pytest.mark.xfail(strict=True, reason=reason), id=key) for key, reason in KNOWN.items()],
)
def test_known_violation_is_fixed(key: str) -> None:
    """XPASS (a failure, strict) once fixed: then delete the entry from KNOWN."""
    assert key not in violation_keys()


MAX_MODULE_LINES = 600  # past this a module holds several jobs: split it along its sections (CONTRIBUTING)


def test_no_module_is_over_600_lines() -> None:
    """Four modules had grown past 600 lines (scene 1,147, paint 909, datasets 852, gallery 680), each
    already in sections; every module now stays under the line, so a reader meets one job per file."""
    src = Path(__file__).resolve().parents[1] / "src" / "nnviz"
    long = {
        str(p.relative_to(src)): n
        for p in sorted(src.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
