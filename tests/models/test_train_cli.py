import csv

import pytest
from click.testing import CliRunner

from leadrouter.cli import cli

pytestmark = pytest.mark.integration

COLUMNS = (
    "received_at",
    "converted",
    "message",
    "treatment_interest",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "pages_visited",
    "time_on_site_seconds",
    "device_type",
    "zip",
    "age_range",
)


def _history_csv(path, inquiries) -> None:
    """A practice export of simulated leads, with an unknown column and three broken rows."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, "favourite_color"])
        for number, item in enumerate(inquiries):
            row = {
                **item.payload,
                "received_at": item.received_at.isoformat(),
                "converted": int(item.converted),
            }
            values = [row.get(column, "") for column in COLUMNS]
            if number == 3:
                values[0] = "last tuesday"  # file line 5
            if number == 10:
                values[1] = "maybe"  # file line 12
            writer.writerow([*values, "teal"])


def test_train_from_csv_reports_bad_lines_and_still_trains(domain, tmp_path):
    from datetime import UTC, datetime

    from simulator.inquiries import PracticeSimulator

    inquiries = list(
        PracticeSimulator(seed=8).history(
            datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 11, 1, tzinfo=UTC), leads_per_day=1.0
        )
    )
    source = tmp_path / "history.csv"
    _history_csv(source, inquiries)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["train", "--csv", str(source), "--trees", "20", "--out", str(tmp_path / "models")]
    )
    assert result.exit_code == 0, result.output
    assert "ignored unknown column(s): favourite_color" in result.output
    assert "line 5:" in result.output and "last tuesday" in result.output
    assert "line 12:" in result.output and "maybe" in result.output
    assert f"imported {len(inquiries) - 2} leads" in result.output
    for label in ("ROC AUC", "Brier", "quartile", "xgboost", "logistic"):
        assert label in result.output
    (folder,) = (tmp_path / "models").iterdir()
    assert {p.name for p in folder.iterdir()} >= {
        "model_card.md",
        "model_card.json",
        "calibration.png",
        "lift_by_decile.png",
    }
    listed = runner.invoke(cli, ["models", "list"])
    assert folder.name in listed.output and "candidate" in listed.output
    refused = runner.invoke(cli, ["models", "promote", folder.name, "--force"])
    assert refused.exit_code != 0 and "--reason" in refused.output
    promoted = runner.invoke(cli, ["models", "promote", folder.name])
    assert promoted.exit_code == 0 and "is now the active model" in promoted.output


def test_a_csv_without_the_required_columns_is_refused(domain, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("when,outcome\n2025-01-01,1\n")
    result = CliRunner().invoke(cli, ["train", "--csv", str(source)])
    assert result.exit_code != 0
    assert (
        "line 1:" in result.output and "missing required column(s): received_at, converted" in result.output
    )


def test_product_history_needs_enough_closed_leads(domain):
    runner = CliRunner()
    created = runner.invoke(
        cli, ["practice", "create", "tiny", "--name", "Tiny", "--time-zone", "America/Chicago"]
    )
    assert created.exit_code == 0, created.output
    result = runner.invoke(cli, ["train", "--practice", "tiny", "--source", "product"])
    assert result.exit_code != 0 and "tiny has 0 closed leads" in result.output
