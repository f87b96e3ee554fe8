"""How much the product's processes log."""

from __future__ import annotations

import os


def log_level() -> str:
    """LEADROUTER_LOG_LEVEL (default INFO); `leadrouter run` sets WARNING for its children unless -v."""
    return os.environ.get("LEADROUTER_LOG_LEVEL", "INFO").upper()
