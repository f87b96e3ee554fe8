"""Each benchmark run as one JSON file in bench/results/: when, which code, which machine, its floors
and its figures with their ratios to those floors. `bench/trend.py` reads them back.

A file holds one run set (one command: all its rates or paths):

    {"schema": 1, "benchmark": "board", "started": "2026-12-04T18:30:00+00:00", "seconds": 95.2,
     "commit": "2d0e83d...", "dirty": false, "machine": {"cores": 2, "cpu_model": "...", ...},
     "options": {...}, "busy_neighbour": 0.0,
     "floors": {"commit_probe": {...}, "cpu_calibration": {...}, ...},
     "phases": [{"phase": "100 boards, 100/s", "figures": {"p99_ms": 18.0, ...},
                 "ratios": {"p99_per_commit_p99": 9.1, ...}}, ...]}
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SCHEMA = 1
"""Bumped when a field changes meaning; readers skip files of another schema."""


def ratio(value: float | None, floor: float | None) -> float | None:
    """`value` in units of `floor`; None where either is missing, zero or not a number."""
    if value is None or floor is None or not math.isfinite(value) or not math.isfinite(floor) or floor <= 0:
        return None
    return value / floor


def format_ratio(value: float | None) -> str:
    """Three significant digits (0.146x, 6.36x, 23.6x, 0.00428x): ratios span several decades."""
    return "-" if value is None else f"{value:.3g}x"


def machine_facts() -> dict[str, object]:
    """What the figures depend on besides the code: cores, CPU model, Python, and how busy it was."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def git_state(repository: Path) -> tuple[str, bool]:
    """The checked-out commit and whether the work tree differs from it ("" where git cannot say)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repository,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "", False
    return commit, bool(changes)


@dataclass
class RunRecord:
    """One run set, filled in as the benchmark goes and written at its end."""

    benchmark: str
    options: dict[str, object]
    busy_neighbour: float = 0.0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    floors: dict[str, object] = field(default_factory=dict)
    phases: list[dict[str, object]] = field(default_factory=list)

    def add_phase(
        self, phase: str, figures: dict[str, float | None], ratios: dict[str, float | None]
    ) -> None:
        """One row of results: its figures (ms, counts, leads/s) and their ratios to the floors."""
        self.phases.append({"phase": phase, "figures": _finite(figures), "ratios": _finite(ratios)})

    def summary(self, lines: list[str]) -> str:
        """The run's closing lines for the console: a heading, one line a phase, the neighbour if any."""
        if self.busy_neighbour:
            lines = [*lines, f"with another process busy {self.busy_neighbour:.0%} of a core"]
        return "\n".join(["[bold]Summary[/]", *(f"  {line}" for line in lines)])

    def as_json(self, repository: Path) -> dict[str, object]:
        commit, dirty = git_state(repository)
        return {
            "schema": SCHEMA,
            "benchmark": self.benchmark,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(UTC) - self.started).total_seconds(), 1),
            "commit": commit,
            "dirty": dirty,
            "machine": machine_facts(),
            "options": self.options,
            "busy_neighbour": self.busy_neighbour,
            "floors": self.floors,
            "phases": self.phases,
        }

    def write(self, repository: Path, folder: Path = RESULTS) -> Path:
        """Write `<started>-<benchmark>.json` into `folder`; returns its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.started:%Y%m%dT%H%M%S}-{self.benchmark}.json"
        path.write_text(json.dumps(_no_nan(self.as_json(repository)), indent=1, allow_nan=False) + "\n")
        return path


def _no_nan(value: Any) -> Any:
    """A figure nothing was measured for (no arrival, say) is NaN in Python and null in the file."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(item) for item in value]
    return value


def _finite(values: dict[str, float | None]) -> dict[str, float | None]:
    """JSON has no NaN: a figure that could not be measured (no samples) is stored as null."""
    return {
        name: None if value is None or not math.isfinite(value) else round(value, 4)
        for name, value in values.items()
    }


def read_runs(folder: Path = RESULTS, benchmark: str | None = None) -> list[dict[str, object]]:
    """Every run file of the current schema in `folder` (one benchmark's, if named), oldest first."""
    runs = []
    for path in sorted(folder.glob("*.json")):
        run = json.loads(path.read_text())
        if run.get("schema") != SCHEMA or (benchmark and run.get("benchmark") != benchmark):
            continue
        run["file"] = path.name
        runs.append(run)
    return sorted(runs, key=lambda run: str(run["started"]))


def series(runs: list[dict[str, object]], phase: str, ratio: str) -> list[tuple[str, float]]:
    """(started, value) of one phase's ratio over the runs that have it."""
    points = []
    for run in runs:
        for entry in run["phases"]:  # type: ignore[attr-defined]
            value = entry["ratios"].get(ratio)
            if entry["phase"] == phase and value is not None:
                points.append((str(run["started"]), float(value)))
    return points
