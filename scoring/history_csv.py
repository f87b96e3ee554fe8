"""Import of a practice's real lead history from another system's CSV export, for training its own model.

The file needs a header row, a column saying when each lead arrived and one saying whether it
became a patient; everything else is optional. Columns and values are read through
`scoring.history_vocabulary` (other systems' names, platform spellings, treatment words, device
names, and the practice's own map), dates through `scoring.history_dates` (ISO, US, date-only).
The delimiter (comma, semicolon, tab) is detected from the header.

Nothing here decides whether to store a model: the import reads every row, and its
`ImportReport` says what was understood, what became missing, what was refused, and whether the
result is trustworthy enough to train on (`ImportReport.refusals`). Rows skipped (no readable date
or outcome) are also listed by line number in `errors`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from scoring.channels import classify_channel
from scoring.features import ScoringInput, scoring_input_from_inquiry
from scoring.geo import distance_miles, zip_coordinates
from scoring.history_dates import DayFirstDate, parse_receive_time
from scoring.history_report import ColumnReport, ImportReport
from scoring.history_vocabulary import (
    CODES,
    MISSING_WORDS,
    OPEN_OUTCOME,
    REQUIRED_FIELDS,
    ImportMap,
    Vocabulary,
    key,
)

_NUMBER_FIELDS = ("pages_visited", "time_on_site_seconds", "form_completion_seconds", "age", "distance_miles")
_DURATION_FIELDS = ("time_on_site_seconds", "form_completion_seconds")
_TAG_FIELDS = ("utm_source", "utm_medium", "gclid", "fbclid", "referrer")
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(slots=True)
class HistoryImport:
    """Training rows from a file, the report on how it was read, and the skipped lines."""

    inputs: list[ScoringInput] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    received_at: list[datetime] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number in the file, why skipped)
    lines: list[int] = field(default_factory=list)  # the file line each training row began on
    report: ImportReport = field(default_factory=lambda: ImportReport(file_name="history"))


def import_history_csv(
    source: str | Path | TextIO,
    *,
    time_zone: str,
    locations: Sequence[tuple[float, float]] = (),
    provider_names: Sequence[str] = (),
    mapping: ImportMap | None = None,
    file_name: str | None = None,
) -> HistoryImport:
    """Read a history CSV (a path, an open text file, or the CSV text itself) into training rows."""
    if isinstance(source, Path):
        with source.open(newline="", encoding="utf-8-sig") as handle:
            text = handle.read()
        file_name = file_name or source.name
    else:
        text = source if isinstance(source, str) else source.read()
    reader = _Reader(
        ZoneInfo(time_zone), locations, provider_names, Vocabulary(mapping), file_name or "history.csv"
    )
    return reader.read(text.removeprefix("\ufeff"))


def _delimiter(header_line: str) -> str:
    """The delimiter the header uses most (a header has no quoted commas in practice)."""
    return max(_DELIMITERS, key=header_line.count) if any(d in header_line for d in _DELIMITERS) else ","


def _number(text: str, *, duration: bool) -> float:
    """A non-negative number; durations may be `m:ss` or `h:mm:ss`; ValueError otherwise."""
    cleaned = text.replace(",", "").strip()
    if duration and ":" in cleaned:
        seconds = 0.0
        for part in cleaned.split(":"):
            seconds = seconds * 60 + float(part)
        value = seconds
    else:
        value = float(cleaned.removesuffix("s").removesuffix("sec").strip())
    if not math.isfinite(value) or value < 0:
        raise ValueError(text)
    return value


class _Reader:
    """One pass over a file: rows into training inputs, every cell into the report."""

    def __init__(
        self,
        zone: ZoneInfo,
        locations: Sequence[tuple[float, float]],
        provider_names: Sequence[str],
        vocabulary: Vocabulary,
        file_name: str,
    ) -> None:
        self.zone = zone
        self.locations = locations
        self.provider_names = provider_names
        self.vocabulary = vocabulary
        self.result = HistoryImport(report=ImportReport(file_name=file_name, no_locations=not locations))
        self.headers: dict[str, str] = {}  # the file's header -> our field
        self.line = 0  # the file line the row being read began on

    def read(self, text: str) -> HistoryImport:
        report = self.result.report
        first_line = text.split("\n", 1)[0]
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
        try:
            header = next(reader)
        except StopIteration:
            report.problem = "the file is empty"
            return self.result
        self._columns(header)
        if report.missing_required:
            names = ", ".join(report.missing_required)
            self.result.errors.append((1, f"missing required column(s): {names}"))
            return self.result
        line = reader.line_num
        for cells in reader:
            line_start, line = (
                line + 1,
                reader.line_num,
            )  # a quoted field may span lines: report where it began
            if not any(cell.strip() for cell in cells):
                continue
            report.rows += 1
            self.line = line_start
            row = {
                self.headers[name]: cells[i].strip()
                for i, name in enumerate(header)
                if name in self.headers and i < len(cells)
            }
            self._row(row, line_start)
        return self.result

    def _columns(self, header: list[str]) -> None:
        report = self.result.report
        taken: dict[str, str] = {}
        ignored = []
        for name in header:
            target = self.vocabulary.column(name)
            if target is None:
                report.ignored_headers.append((name, self.vocabulary.suggest_column(name)))
                ignored.append(key(name).replace(" ", "_") or "(blank)")
            elif target in taken:
                report.duplicate_headers.append((name, f"{target} ('{taken[target]}')"))
            else:
                taken[target] = name
                self.headers[name] = target
                report.columns[target] = ColumnReport(field=target, header=name)
        report.missing_required = [f for f in REQUIRED_FIELDS if f not in taken]
        if ignored:
            self.result.warnings.append(f"ignored unknown column(s): {', '.join(ignored)}")

    def _skip(self, line: int, reason: str, detail: str) -> None:
        self.result.report.skipped[reason] += 1
        self.result.errors.append((line, detail))

    def _row(self, row: dict[str, str], line: int) -> None:
        """Read every cell (so the report covers every row), then keep the row or say why not."""
        report = self.result.report
        received = self._received_at(row.get("received_at", ""))
        outcome = self._coded("converted", row.get("converted", ""))
        fields: dict[str, object] = {}
        for name, raw in row.items():
            if name in ("received_at", "converted"):
                continue
            if name in CODES:
                fields[name] = self._coded(name, raw)
            elif name in _NUMBER_FIELDS:
                fields[name] = self._numeric(name, raw)
            elif name == "zip":
                fields[name] = self._zip(raw)
            elif name == "date_of_birth":
                fields[name] = self._birth_date(raw)
            else:
                fields[name] = self._free(name, raw)
        if outcome == OPEN_OUTCOME:
            report.still_open += 1
            return
        if received is None:
            self._skip(line, "no readable date", f"received_at {row.get('received_at', '')!r} is not a date")
            return
        if outcome is None:
            self._skip(
                line, "no readable outcome", f"converted {row.get('converted', '')!r} is not understood"
            )
            return
        local = received.at.astimezone(self.zone)
        inp = scoring_input_from_inquiry(
            fields,
            received_at_local=local,
            distance_miles=self._distance(fields),
            channel=self._channel(fields),
            provider_names=self.provider_names,
            time_of_day_known=received.has_time,
        )
        report.usable += 1
        report.positives += outcome == "yes"
        report.date_only += not received.has_time
        report.first_received = min(report.first_received or local, local)
        report.last_received = max(report.last_received or local, local)
        self.result.inputs.append(inp)
        self.result.labels.append(outcome == "yes")
        self.result.lines.append(line)
        self.result.received_at.append(received.at.astimezone(ZoneInfo("UTC")))

    def _missing(self, name: str, raw: str) -> bool:
        if key(raw) in MISSING_WORDS:
            self.result.report.columns[name].missing += 1
            return True
        return False

    def _received_at(self, raw: str):  # type: ignore[no-untyped-def]
        column = self.result.report.columns["received_at"]
        if self._missing("received_at", raw):
            return None
        try:
            received = parse_receive_time(raw, self.zone, day_first=self.vocabulary.mapping.day_first)
        except DayFirstDate:
            self.result.report.day_first_values += 1
            column.note_value(raw, raw, code=None, line=self.line)
            column.refused_values[raw].note = "day/month/year?"
            return None
        except (ValueError, OverflowError):
            column.note_value(raw, raw, code=None, line=self.line)
            column.refused_values[raw].note = "not a date"
            return None
        column.note_value("date", "date", code="date")
        return received

    def _coded(self, name: str, raw: str) -> str | None:
        if self._missing(name, raw):
            return None
        reading = self.vocabulary.read(name, raw)
        self.result.report.columns[name].note_value(
            key(raw), raw, code=reading.code, choices=reading.choices, line=self.line
        )
        return reading.code

    def _numeric(self, name: str, raw: str) -> float | None:
        if self._missing(name, raw):
            return None
        column = self.result.report.columns[name]
        try:
            value = _number(raw, duration=name in _DURATION_FIELDS)
        except ValueError:
            column.note_value(key(raw), raw, code=None, line=self.line)
            column.refused_values[key(raw)].note = "not a number"
            return None
        column.note_value("number", "number", code="number")
        return value

    def _zip(self, raw: str) -> str | None:
        if self._missing("zip", raw):
            return None
        column = self.result.report.columns["zip"]
        if zip_coordinates(raw) is None:
            column.note_value(raw, raw, code=None, line=self.line)
            column.refused_values[raw].note = "not a US ZIP code we know"
            return None
        column.note_value("zip", "zip", code="zip")
        return raw

    def _birth_date(self, raw: str) -> str | None:
        if self._missing("date_of_birth", raw):
            return None
        column = self.result.report.columns["date_of_birth"]
        try:
            born = parse_receive_time(raw, self.zone, day_first=self.vocabulary.mapping.day_first)
        except ValueError:
            column.note_value(key(raw), raw, code=None, line=self.line)
            column.refused_values[key(raw)].note = "not a date"
            return None
        column.note_value("date", "date", code="date")
        return born.at.date().isoformat()

    def _free(self, name: str, raw: str) -> str | None:
        if self._missing(name, raw):
            return None
        self.result.report.columns[name].understood += 1
        return raw

    def _channel(self, fields: dict[str, object]) -> str | None:
        """The channel column's code; else the one the tags say; None when the file says nothing."""
        channel = fields.get("channel")
        if isinstance(channel, str):
            return channel
        if not any(name in self.result.report.columns for name in _TAG_FIELDS):
            return None
        tags = {name: fields.get(name) for name in _TAG_FIELDS}
        return classify_channel(**tags)  # type: ignore[arg-type]

    def _distance(self, fields: dict[str, object]) -> float | None:
        given = fields.get("distance_miles")
        if isinstance(given, float):
            return given
        zip_code = fields.get("zip")
        return distance_miles(zip_code, self.locations) if isinstance(zip_code, str) else None
