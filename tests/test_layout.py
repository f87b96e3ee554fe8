"""The layout stays true: the design's import direction and no import circles (import-linter contracts)."""

from __future__ import annotations

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
