"""The benchmarks' run files and ratios: what they store, what reads them back, what the trend shows.

Timings themselves are never tested (they belong to the benchmarks); this checks the bookkeeping.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bare_broadcast import split_fragment
from harness import CpuCalibration, calibration_workload
from records import RunRecord, format_ratio, ratio, read_runs, series

pytestmark = pytest.mark.unit


def test_ratio_is_the_figure_in_units_of_its_floor() -> None:
    assert ratio(6.0, 2.0) == 3.0
    assert ratio(1.5, 18.0) == pytest.approx(0.0833, abs=1e-4)


@pytest.mark.parametrize(
    "figure, floor", [(None, 2.0), (3.0, None), (3.0, 0.0), (math.nan, 2.0), (3.0, math.inf)]
)
def test_ratio_is_missing_when_a_side_is(figure: float | None, floor: float | None) -> None:
    assert ratio(figure, floor) is None


def test_ratios_print_with_three_significant_digits() -> None:
    assert [format_ratio(v) for v in (0.14625, 6.3599, 23.56, 0.0042812, None)] == [
        "0.146x",
        "6.36x",
        "23.6x",
        "0.00428x",
        "-",
    ]


def _record(benchmark: str, p99: float, calibration: float) -> RunRecord:
    record = RunRecord(benchmark, options={"rates": "100"}, busy_neighbour=0.4)
    record.floors = {"commit_probe": {"p99": 2.0}, "cpu_calibration": {"ms": calibration}}
    record.add_phase(
        "open 100/s",
        {"p99_ms": p99, "p50_ms": math.nan, "sent": 300},
        {"p99_per_commit_p99": ratio(p99, 2.0), "web_cpu_per_calibration": None},
    )
    return record


def test_a_run_file_keeps_the_machine_the_floors_and_the_figures(tmp_path: Path) -> None:
    path = _record("webhook", 20.0, 18.0).write(Path(__file__).resolve().parent.parent, tmp_path)

    stored = json.loads(path.read_text())  # strict JSON: a NaN would not parse everywhere
    assert path.name.endswith("-webhook.json")
    assert stored["benchmark"] == "webhook"
    assert stored["busy_neighbour"] == 0.4
    assert len(stored["commit"]) == 40
    assert stored["machine"]["cores"] >= 1 and "cpu_model" in stored["machine"]
    assert stored["floors"]["cpu_calibration"]["ms"] == 18.0
    phase = stored["phases"][0]
    assert phase["figures"] == {"p99_ms": 20.0, "p50_ms": None, "sent": 300}
    assert phase["ratios"] == {"p99_per_commit_p99": 10.0, "web_cpu_per_calibration": None}


def test_runs_read_back_oldest_first_by_benchmark(tmp_path: Path) -> None:
    repository = Path(__file__).resolve().parent.parent
    first, second = _record("webhook", 20.0, 18.0), _record("webhook", 30.0, 18.0)
    second.started = second.started.replace(year=second.started.year + 1)
    second.write(repository, tmp_path)
    first.write(repository, tmp_path)
    _record("board", 10.0, 18.0).write(repository, tmp_path)
    (tmp_path / "old.json").write_text(json.dumps({"schema": 0, "benchmark": "webhook"}))

    runs = read_runs(tmp_path, "webhook")

    assert [run["phases"][0]["figures"]["p99_ms"] for run in runs] == [20.0, 30.0]
    assert [value for _, value in series(runs, "open 100/s", "p99_per_commit_p99")] == [10.0, 15.0]
    assert series(runs, "open 100/s", "web_cpu_per_calibration") == []
    assert len(read_runs(tmp_path)) == 3


def test_trend_prints_the_runs_and_draws_their_ratios(tmp_path: Path) -> None:
    import trend

    repository = Path(__file__).resolve().parent.parent
    _record("webhook", 20.0, 18.0).write(repository, tmp_path)
    chart = tmp_path / "trend.png"

    result = CliRunner().invoke(trend.main, ["--results-dir", str(tmp_path), "--chart", str(chart)])

    assert result.exit_code == 0, result.output
    assert "open 100/s" in result.output and "10x" in result.output
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_bare_broadcast_sends_the_fragment_with_each_inquirys_number() -> None:
    pieces = split_fragment(
        '<li><h3 class="lead-name" id="name-1">Ana Bench1234</h3><b>Call Ana Bench1234</b></li>'
    )
    assert (
        "77".join(pieces)
        == '<li><h3 class="lead-name" id="name-1">Ana Bench77</h3><b>Call Ana Bench77</b></li>'
    )
    with pytest.raises(ValueError):
        split_fragment("<li>no inquiry here</li>")


def test_the_calibration_does_the_same_work_every_time() -> None:
    assert calibration_workload(500) == calibration_workload(500)
    calibration = CpuCalibration().measure(repetitions=2).measure(repetitions=1)
    assert len(calibration.cpu_ms) == len(calibration.wall_ms) == 3
    assert calibration.as_floor()["ms"] == calibration.ms
