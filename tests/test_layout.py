"""The layout stays true: the design's import direction and no import circles (import-linter contracts)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 400
"""Past ~400 lines a module usually holds two ideas (STYLE.md); the schema is the one exception."""
LONG_MODULE_EXCEPTIONS = {"router/core/models.py"}


@pytest.mark.unit
def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.unit
def test_no_product_module_is_longer_than_its_idea():
    long = []
    for folder in ("router", "realtime", "web", "scoring", "connectors", "attribution", "leadrouter"):
        for path in sorted((REPO / folder).rglob("*.py")):
            name = str(path.relative_to(REPO))
            if name not in LONG_MODULE_EXCEPTIONS and len(path.read_text().splitlines()) > MAX_MODULE_LINES:
                long.append(name)
    assert long == []


MAX_FUNCTION_LINES = 60
"""A function past 60 lines does several things; split it into named steps (STYLE.md)."""
FUNCTION_PACKAGES = (
    "router",
    "realtime",
    "web",
    "scoring",
    "connectors",
    "attribution",
    "leadrouter",
    "simulator",
)


def _is_data_literal(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function that only names and returns values built from literals (a practice's description,
    a table): its length is the data's, and splitting it would only scatter the data."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        return False
    if not all(
        isinstance(s, ast.Assign) and all(isinstance(t, ast.Name) for t in s.targets) for s in body[:-1]
    ):
        return False
    literal = (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Call, ast.keyword, ast.Name)
    literal += (ast.Attribute, ast.Load, ast.Store, ast.UnaryOp, ast.USub, ast.BinOp, ast.Add, ast.Mult)
    return all(isinstance(node, literal) for s in body for node in ast.walk(s.value))  # type: ignore[attr-defined]


def long_functions(root: Path = REPO) -> list[str]:
    """`path:line name (lines)` of every product function longer than MAX_FUNCTION_LINES."""
    found = []
    for folder in FUNCTION_PACKAGES:
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if lines > MAX_FUNCTION_LINES and not _is_data_literal(node):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)")
    return found


@pytest.mark.unit
def test_no_product_function_is_longer_than_sixty_lines_except_data_literals():
    assert long_functions() == []


@pytest.mark.unit
def test_no_test_module_imports_from_another_test_module():
    """Tests share helpers through helper modules and fixture plugins (tests/fixtures/), not each other."""
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                names = [parts[-1], *(alias.name for alias in node.names)]
                if parts[0] == "tests" and any(name.startswith("test_") for name in names):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} from {node.module}")
    assert offenders == []
