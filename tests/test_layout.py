"""The package layout: stage order, no import cycles, imports at the top; ``import corridor`` imports
nothing heavy.

The stage order is read from DESIGN.md (the table between the ``stage-order``
markers), so the document and this test cannot drift apart.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "corridor"


def _stages() -> dict[str, int]:
    text = (ROOT / "DESIGN.md").read_text(encoding="utf-8")
    block = text.split("<!-- stage-order -->")[1].split("<!-- /stage-order -->")[0]
    ranks: dict[str, int] = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].isdigit():
            continue
        for name in re.findall(r"`([\w.]+)`", cells[2]):
            ranks[name] = int(cells[0])
    return ranks


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _resolve(name: str) -> str:
    """The module an imported dotted name refers to (drops attribute names)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path) -> Iterator[tuple[str, int, bool, bool]]:
    """(imported module, line, at top level, under TYPE_CHECKING) for corridor imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    top_ids = {id(n) for n in tree.body}
    tc_ids: set[int] = set()
    for n in tree.body:
        if _is_type_checking(n):
            tc_ids |= {id(m) for m in ast.walk(n)}
        if isinstance(n, ast.Try | ast.If):
            top_ids |= {id(m) for m in ast.walk(n)}
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" for a in node.names]
        for t in targets:
            if t == "corridor" or t.startswith("corridor."):
                yield _resolve(t), node.lineno, id(node) in top_ids, id(node) in tc_ids


def _stage_of(module: str, ranks: dict[str, int]) -> int | None:
    name = module
    while True:
        if name in ranks:
            return ranks[name]
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]


def _graph(*, include_type_checking: bool) -> nx.DiGraph:
    g = nx.DiGraph()
    for mod, path in MODULES.items():
        g.add_node(mod)
        for target, _line, _top, tc in _imports(path):
            if target != mod and (include_type_checking or not tc):
                g.add_edge(mod, target)
    return g


def test_every_module_has_a_stage() -> None:
    ranks = _stages()
    missing = [m for m in MODULES if m != "corridor" and _stage_of(m, ranks) is None]
    assert not missing, f"modules with no stage in DESIGN.md: {missing}"


def test_no_import_cycles() -> None:
    g = _graph(include_type_checking=False)
    # a package's __init__ re-exporting its own modules is not a cycle of the design
    g.remove_edges_from([(a, b) for a, b in list(g.edges) if b.startswith(a + ".")])
    cycles = list(nx.simple_cycles(g))
    assert cycles == [], f"import cycles: {cycles}"


def test_imports_follow_the_stage_order() -> None:
    ranks = _stages()
    bad = []
    for mod, path in MODULES.items():
        if mod == "corridor":
            continue  # the lazy top-level namespace re-exports every stage
        own = _stage_of(mod, ranks)
        for target, line, _top, _tc in _imports(path):
            if target == "corridor":
                continue
            theirs = _stage_of(target, ranks)
            if own is not None and theirs is not None and theirs > own:
                bad.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({theirs})")
    assert not bad, "imports against the stage order:\n" + "\n".join(bad)


def test_own_imports_stand_at_the_top() -> None:
    bad = []
    for mod, path in MODULES.items():
        if mod == "corridor":
            continue
        for target, line, top, _tc in _imports(path):
            if not top:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target} inside a function")
    assert not bad, "\n".join(bad)


def test_private_modules_stay_in_their_subpackage() -> None:
    bad = []
    for mod, path in MODULES.items():
        for target, line, _top, _tc in _imports(path):
            parts = target.split(".")
            for i, part in enumerate(parts[2:], start=2):
                if part.startswith("_") and not part.startswith("__"):
                    owner = ".".join(parts[:i])
                    if not (mod == owner or mod.startswith(owner + ".")):
                        bad.append(f"{path.relative_to(ROOT)}:{line} imports private {target}")
                    break
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("order", ["function-first", "module-first"])
def test_evaluate_is_a_function_in_both_access_orders(order: str) -> None:
    import subprocess
    import sys

    first = (
        "import corridor; f = corridor.evaluate; import corridor.evaluation.metrics"
        if order == "function-first"
        else "import corridor.evaluation.metrics, corridor; corridor.RouteMetrics; corridor.compare"
    )
    code = f"{first}; import corridor as c; assert callable(c.evaluate), type(c.evaluate)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ------------------------------------------------------------------ the top-level namespace
def test_import_does_no_io():
    code = ("import sys, corridor; heavy = [m for m in ('geopandas','rasterio','osmnx','requests') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
