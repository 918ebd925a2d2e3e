"""The structure, read from the code: which part may import which, and no import cycles.

Data moves one way (HOUSE_STYLE.md): the CLI and the demo compose; the composition root
(bootstrap) builds the session; use cases decide, through the ``Workspace`` port; adapters
observe and act on the outside world; projections read; the domain imports nothing of
ours. Every ``import`` counts, at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("domain", "projections", "commands", "reports")

# part -> the parts it may import (besides itself)
BASE = {"commands.config", "commands.errors", "commands.progress", "commands.ports"}
READ = {"domain", "projections"}
ADAPTERS = BASE | READ
USECASES = ADAPTERS | {"commands.adapters", "commands.library", "reports", "videotheque"}
COMPOSITION = BASE | READ | {"commands.library", "commands.adapters", "videotheque"}
DEMO = USECASES | COMPOSITION | {"commands.bootstrap", "commands.usecases"}
CLI = DEMO | {"commands.demo"}
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "projections": {"domain"},
    "reports": READ,
    "commands.errors": set(),
    "commands.config": {"commands.errors", "domain"},
    "commands.progress": set(),
    "commands.ports": {"commands.config"} | READ,
    "commands.library": {"commands.errors", "commands.adapters", "domain"},
    "commands.adapters": ADAPTERS,
    "commands.usecases": USECASES,
    "commands.bootstrap": COMPOSITION,
    "commands.demo": DEMO,
    "commands.cli": CLI,
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[:2] == ("commands", "toplevel"):
                continue
            name = ".".join(("videotheque", *parts))
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _part(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts:
        return "videotheque"
    if parts[0] != "commands":
        return parts[0]
    return "commands." + parts[1] if len(parts) > 1 else "commands"


def _imports(path: Path) -> set[str]:
    """The videotheque modules ``path`` imports (a ``from package import module`` names
    the module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("videotheque."))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("videotheque"):
            assert node.module is not None
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


GRAPH = {name: {t for t in _imports(path) if t in MODULES and t != name}
         for name, path in MODULES.items()}  # fmt: skip


def test_the_parts_are_the_ones_the_layout_names() -> None:
    assert {_part(m) for m in MODULES} - {"commands"} <= set(ALLOWED), "a new part: name its rule"


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_what_it_may(part: str) -> None:
    wrong = sorted(
        f"{source} imports {target}"
        for source, targets in GRAPH.items()
        if _part(source) == part
        for target in targets
        if _part(target) != part and _part(target) not in ALLOWED[part]
        and _part(target) != "commands"  # the package's own __init__
    )  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over every import (module level or not)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    # a package's __init__ importing its own modules is no cycle worth naming
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_the_graph_is_read_from_the_real_tree() -> None:
    """The rules above would pass on an empty graph: it is not empty."""
    assert "videotheque.commands.usecases.importer" in MODULES
    assert (
        "videotheque.commands.adapters.scanner" in GRAPH["videotheque.commands.usecases.importer"]
    )
    assert "videotheque.domain.media_file" in GRAPH["videotheque.commands.usecases.importer"]
