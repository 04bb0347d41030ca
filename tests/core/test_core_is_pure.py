"""The rules in participate/core are plain Python: no web framework, no database layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "participate" / "core"
FORBIDDEN = ("flask", "sqlalchemy", "werkzeug")


def forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN or top.startswith("flask_")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("module", ["flask", "flask_login.utils", "sqlalchemy.orm", "werkzeug"])
def test_the_check_catches_framework_imports(module):
    assert forbidden(module)
    assert not forbidden("networkx")


def test_core_modules_import_no_framework():
    modules = sorted(CORE.glob("*.py"))
    assert modules, f"no modules found under {CORE}"
    offenders = [
        f"{path.name}:{line} imports {name}"
        for path in modules
        for line, name in imported_modules(path)
        if forbidden(name)
    ]
    assert not offenders, "participate/core must stay framework-free:\n" + "\n".join(offenders)
