"""The package's shape, checked: features form a DAG and no product file grows unexplained.

Read with the static AST, so an import written inside a function counts like one at the top:
a cycle hidden in a function is still a cycle a reader has to hold in their head.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent / "participate"
MAX_LINES = 500


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def import_graph(root: Path = ROOT) -> nx.DiGraph:
    """Module → module it imports, for every import statement anywhere in the file."""
    modules = _modules(root)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # "from a import b" imports module a, and module a.b when b is one.
                targets = [source] + [f"{source}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                # Importing a.b.c runs a and a.b first; only the named module is the edge.
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def test_the_checker_sees_a_cycle_hidden_in_a_function(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from pkg.high import g\n    return g\n")
    (package / "high.py").write_text("from . import low\n\ndef g():\n    return low\n")
    (package / "other.py").write_text("import pkg.low\n")
    assert _cycles(import_graph(package)) == [["pkg.high", "pkg.low"]]


def test_no_import_cycle_between_modules():
    cycles = _cycles(import_graph())
    assert cycles == [], "modules that import each other (directly or round a loop):\n" + "\n".join(
        " ↔ ".join(c) for c in cycles
    )


def feature_of(module: str) -> str:
    """participate.rounds.lifecycle → participate.rounds; participate.cli → participate.cli."""
    return ".".join(module.split(".")[:2])


def test_features_form_a_dag():
    modules = import_graph()
    features = nx.DiGraph()
    for a, b in modules.edges:
        fa, fb = feature_of(a), feature_of(b)
        # The package __init__ (create_app) sits on top and wires every feature in.
        if fa != fb and a != "participate":
            features.add_edge(fa, fb)
    cycles = _cycles(features)
    assert cycles == [], "feature packages that depend on each other:\n" + "\n".join(
        " ↔ ".join(c) for c in cycles
    )


def _long_files() -> list[tuple[Path, int]]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_LINES:
            out.append((path, lines))
    return out


@pytest.mark.parametrize(
    "path,lines",
    _long_files(),
    ids=lambda v: str(v.relative_to(ROOT.parent)) if isinstance(v, Path) else str(v),
)
def test_a_long_file_says_why_in_its_docstring(path, lines):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert "Length:" in doc, (
        f"{path.relative_to(ROOT.parent)} has {lines} lines (over {MAX_LINES}): split it by what "
        "it does, or give its docstring a line 'Length: <why it is one file>'"
    )
