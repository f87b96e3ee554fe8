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
    assert "ignored columns: 'favourite_color'" in result.output
    assert "'last tuesday' x 1 (not a date), line 5" in result.output
    assert "'maybe' x 1, line 12" in result.output
    assert f"usable rows: {len(inquiries) - 2:,}" in result.output
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
    source.write_text("when,how it went\n2025-01-01,1\n")
    result = CliRunner().invoke(cli, ["train", "--csv", str(source)])
    assert result.exit_code != 0
    assert "missing required column(s): received_at, converted" in result.output
    assert "REFUSED: the file has no when the lead arrived and no outcome column" in result.output
    assert "ignored columns: 'when', 'how it went'" in result.output


def test_product_history_needs_enough_closed_leads(domain):
    runner = CliRunner()
    created = runner.invoke(
        cli, ["practice", "create", "tiny", "--name", "Tiny", "--time-zone", "America/Chicago"]
    )
    assert created.exit_code == 0, created.output
    result = runner.invoke(cli, ["train", "--practice", "tiny", "--source", "product"])
    assert result.exit_code != 0 and "tiny has 0 closed leads" in result.output


def _foreign_csv(path, rows: int = 2400):  # type: ignore[no-untyped-def]
    from simulator.foreign_export import foreign_export

    foreign_export(rows, seed=4).write_csv(path)
    return path


def _query(sql: str) -> list:
    """Rows of one query, on a connection of its own (the CLI runs its own event loop)."""
    import asyncio
    import os

    import asyncpg

    async def run() -> list:
        connection = await asyncpg.connect(os.environ["DATABASE_URL"].replace("+asyncpg", ""))
        try:
            return [dict(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(run())


def test_check_reports_a_foreign_export_and_stores_nothing(domain, tmp_path):
    source = _foreign_csv(tmp_path / "crm.csv")
    runner = CliRunner()
    checked = runner.invoke(cli, ["train", "--csv", str(source), "--check"])
    assert checked.exit_code == 1, checked.output
    for words in (
        "crm.csv: 2,400 rows",
        "'facebook' -> facebook_ads",
        "treatment ('service'): 2,400 understood, 0 missing, 0 refused",
        "'iphone' -> mobile",
        "refused: 'referral' x",
        "did you mean physician_referral",
        "have a date but no time: their time of day is left missing",
        "refused: every lead with source (channel) 'referral'",
    ):
        assert words in checked.output.lower(), words
    assert "Warning" not in checked.output and "sklearn" not in checked.output
    refused = runner.invoke(cli, ["train", "--csv", str(source), "--trees", "10", "--out", str(tmp_path)])
    assert refused.exit_code == 1 and "not imported, nothing stored" in refused.output
    assert _query("SELECT version FROM model_versions") == []
    ok = runner.invoke(
        cli, ["train", "--csv", str(source), "--check", "--map", "channel: referral = physician_referral"]
    )
    assert ok.exit_code == 0 and "OK: the import may go ahead" in ok.output


def test_a_mapped_import_trains_and_a_forced_one_is_audited(domain, tmp_path):
    import json

    from simulator.foreign_export import PRACTICE_MAP

    source = _foreign_csv(tmp_path / "crm.csv")
    (tmp_path / "map.toml").write_text(PRACTICE_MAP)
    runner = CliRunner()
    args = ["train", "--csv", str(source), "--trees", "10", "--out", str(tmp_path / "models")]
    mapped = runner.invoke(cli, [*args, "--map", str(tmp_path / "map.toml")])
    assert mapped.exit_code == 0, mapped.output
    assert "calibration slope" in mapped.output and "Warning" not in mapped.output
    forced = runner.invoke(cli, [*args, "--force", "--reason", "referrals checked by hand", "--by", "maya"])
    assert forced.exit_code == 0, forced.output
    assert len(_query("SELECT version FROM model_versions")) == 2
    (record,) = _query("SELECT actor_id, details FROM audit_log WHERE action = 'model.history_import_forced'")
    details = json.loads(record["details"]) if isinstance(record["details"], str) else record["details"]
    assert record["actor_id"] == "cli:maya" and details["reason"] == "referrals checked by hand"


def test_a_workbook_saved_as_csv_is_refused_with_the_reason(domain, tmp_path):
    import zipfile

    source = tmp_path / "history.xlsx"
    with zipfile.ZipFile(source, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    result = CliRunner().invoke(cli, ["train", "--csv", str(source), "--check"])
    assert (
        result.exit_code != 0 and "Excel workbook (.xlsx)" in result.output and "CSV UTF-8" in result.output
    )


def test_utf16_export_from_excel_is_read(domain, tmp_path):
    source = tmp_path / "unicode.txt"
    rows = "\r\n".join(
        f"03/{1 + i % 28:02d}/2025 10:{i % 60:02d} AM\t{'Booked' if i % 3 else 'Lost'}" for i in range(40)
    )
    source.write_bytes(("Created\tStatus\r\n" + rows + "\r\n").encode("utf-16"))
    result = CliRunner().invoke(cli, ["train", "--csv", str(source), "--check"])
    assert result.exit_code == 0, result.output
    assert "usable rows: 40 (100.0%)" in result.output
