"""The full report, its DataFrame forms, and `leadrouter attribution` through click's CliRunner."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from attribution import (
    MODELS,
    AggregatedPaths,
    attribute,
    attribute_frame,
    budget_frame,
    credit_frame,
    paths_from_frame,
    roles_frame,
)
from attribution.cli import attribution_command

pytestmark = pytest.mark.unit

THREE_PATHS = (
    "path,total_conversions,total_conversion_value,total_null\nA > B,1,200,0\nA>C,1,100,1\nB,0,0,1\n"
)


@pytest.fixture
def paths_file(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text(THREE_PATHS)
    return file


def test_report_gathers_every_model_and_the_simplified_view() -> None:
    paths = AggregatedPaths(
        paths=(("A", "B"), ("A", "C"), ("B",)), conversions=[1, 1, 0], nulls=[0, 1, 1], values=[200, 100, 0]
    )
    report = attribute(paths)
    assert tuple(report.credits) == MODELS
    for credit in report.credits.values():
        assert sum(credit.values()) == pytest.approx(2.0)
    for credit in report.value_credits.values():
        assert sum(credit.values()) == pytest.approx(300.0)
    assert report.credits["markov"] == pytest.approx({"A": 6 / 7, "B": 4 / 7, "C": 4 / 7})
    assert report.value_credits["markov"] == pytest.approx({"A": 900 / 7, "B": 600 / 7, "C": 600 / 7})
    assert report.p_conversion == pytest.approx(0.5)
    assert [role.primary for role in report.roles] == [2.0, 0.0, 0.0]
    assert report.multi_touch_share == 0.0


def test_report_of_zero_conversions_is_clean() -> None:
    report = attribute(AggregatedPaths(paths=(("A", "B"),), conversions=[0], nulls=[5]))
    document = report.to_json_dict()
    assert document["p_conversion"] == 0.0
    assert all(credit == {"A": 0.0, "B": 0.0} for credit in document["models"].values())
    assert report.cost_per_acquisition({"A": 10.0}) == {model: {"A": None} for model in MODELS}
    json.dumps(document, allow_nan=False)


def test_frames_round_trip_a_dataframe_of_paths() -> None:
    frame = pd.DataFrame(
        {
            "path": ["A>B", ["A", "C"], "B"],
            "total_conversions": [1, 1, 0],
            "total_null": [0, 1, 1],
        }
    )
    paths = paths_from_frame(frame)
    assert paths.paths == (("A", "B"), ("A", "C"), ("B",))
    table = attribute_frame(frame)
    assert list(table.columns) == ["removal_effect", *MODELS]
    assert table.loc["A", "removal_effect"] == pytest.approx(0.75)
    assert table["shapley"].sum() == pytest.approx(2.0)
    report = attribute(paths)
    assert credit_frame(report).index.name == "channel"
    assert roles_frame(report).loc["A", "primary"] == 2.0
    budget = budget_frame(report, {"A": 100.0, "B": 50.0})
    assert budget.loc["A", "cpa_first_touch"] == 50.0
    assert budget["implied_move"].sum() == pytest.approx(0.0)
    with pytest.raises(ValueError, match="total_null"):
        paths_from_frame(frame.drop(columns="total_null"))


def test_cli_json_has_exactly_the_contract_shape(paths_file) -> None:
    result = CliRunner().invoke(attribution_command, [str(paths_file), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"p_conversion", "total_conversions", "models", "extras"}
    assert isinstance(document["p_conversion"], float) and isinstance(document["total_conversions"], float)
    assert list(document["models"]) == ["markov", "first_touch", "last_touch", "linear", "shapley"]
    assert document["p_conversion"] == pytest.approx(0.5)
    assert document["total_conversions"] == 2.0
    assert document["models"]["markov"] == pytest.approx({"A": 6 / 7, "B": 4 / 7, "C": 4 / 7})
    assert document["models"]["first_touch"] == {"A": 2.0, "B": 0.0, "C": 0.0}
    extras = document["extras"]
    assert extras["removal_effects"] == pytest.approx({"A": 0.75, "B": 0.5, "C": 0.5})
    assert sum(extras["markov_value"].values()) == pytest.approx(300.0)
    assert extras["skipped_rows"] == []


def test_cli_order_and_separator(tmp_path) -> None:
    file = tmp_path / "paths.csv"
    file.write_text("path,total_conversions,total_null\nA|C,1,0\nB|C,0,1\n")
    result = CliRunner().invoke(attribution_command, [str(file), "--sep", "|", "--order", "2", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["models"]["markov"] == pytest.approx({"A": 0.5, "B": 0.0, "C": 0.5})
    assert document["extras"]["order"] == 2


def test_cli_reports_skipped_rows_on_stderr_and_keeps_stdout_json(tmp_path) -> None:
    file = tmp_path / "paths.csv"
    file.write_text(THREE_PATHS + "D,lots,0,1\n")
    result = CliRunner().invoke(attribution_command, [str(file), "--json"])
    assert result.exit_code == 0
    assert "skipped line 5: total_conversions 'lots' is not a number" in result.stderr
    assert json.loads(result.stdout)["extras"]["skipped_rows"] == [
        {"line": 5, "reason": "total_conversions 'lots' is not a number"}
    ]


def test_cli_fails_clearly_on_an_unreadable_file(tmp_path) -> None:
    file = tmp_path / "paths.csv"
    file.write_text("path,total_conversions\nA,1\n")
    result = CliRunner().invoke(attribution_command, [str(file), "--json"])
    assert result.exit_code == 1
    assert "line 1: missing required column(s) total_null" in result.output


def test_cli_prints_readable_tables_without_json(paths_file) -> None:
    result = CliRunner().invoke(attribution_command, [str(paths_file)])
    assert result.exit_code == 0, result.output
    assert "Credited conversions by channel" in result.output
    assert "Primary or contributing" in result.output
    assert "P(conversion) = 0.5000" in result.output


def test_cli_help() -> None:
    result = CliRunner().invoke(attribution_command, ["--help"])
    assert result.exit_code == 0
    for option in ("PATHS_FILE", "--sep", "--order", "--json"):
        assert option in result.output
