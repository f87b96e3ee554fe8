"""Import of a practice's real lead history from a CSV export, for training its own model.

Columns (header row required, names case-insensitive; order free):

- `received_at` (required): ISO 8601 date-time; without an offset it is read in the practice's zone.
- `converted` (required): 1/0, true/false, yes/no: did the lead become a patient.
- Optional, as in the form webhook: `message`, `treatment_interest`, `utm_source`, `utm_medium`,
  `utm_campaign`, `gclid`, `fbclid`, `referrer`, `ad_creative`, `keyword_match_type`,
  `pages_visited`, `time_on_site_seconds`, `form_completion_seconds`, `device_type`, `age_range`,
  `date_of_birth`, `zip`, `last_dental_visit`.
- Optional: `channel` (one of `scoring.channels.CHANNELS`; overrides the channel read from the tags,
  for calls, walk-ins and referrals), `distance_miles` (overrides the distance from `zip`).

Unknown columns are ignored with a warning. A bad row (unparseable date or outcome, unknown channel)
is skipped and reported with its line number; the import goes on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from scoring.channels import CHANNELS, classify_channel
from scoring.features import ScoringInput, scoring_input_from_inquiry
from scoring.geo import distance_miles

REQUIRED_COLUMNS = ("received_at", "converted")
OPTIONAL_COLUMNS = (
    "message",
    "treatment_interest",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "gclid",
    "fbclid",
    "referrer",
    "ad_creative",
    "keyword_match_type",
    "pages_visited",
    "time_on_site_seconds",
    "form_completion_seconds",
    "device_type",
    "age_range",
    "date_of_birth",
    "zip",
    "last_dental_visit",
    "channel",
    "distance_miles",
)
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


@dataclass(slots=True)
class HistoryImport:
    """What an import produced: training rows, plus warnings and per-line errors to show the user."""

    inputs: list[ScoringInput] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    received_at: list[datetime] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number in the file, message)


def import_history_csv(
    source: str | Path | TextIO,
    *,
    time_zone: str,
    locations: Sequence[tuple[float, float]] = (),
    provider_names: Sequence[str] = (),
) -> HistoryImport:
    """Read a history CSV (a path, an open text file, or the CSV text itself) into training rows."""
    if isinstance(source, Path):
        with source.open(newline="", encoding="utf-8-sig") as handle:
            return _read(handle, ZoneInfo(time_zone), locations, provider_names)
    handle = io.StringIO(source) if isinstance(source, str) else source
    return _read(handle, ZoneInfo(time_zone), locations, provider_names)


def _read(
    handle: TextIO, zone: ZoneInfo, locations: Sequence[tuple[float, float]], provider_names: Sequence[str]
) -> HistoryImport:
    result = HistoryImport()
    reader = csv.DictReader(handle)
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        result.errors.append((1, f"missing required column(s): {', '.join(missing)}"))
        return result
    unknown = [c for c in header if c not in REQUIRED_COLUMNS and c not in OPTIONAL_COLUMNS]
    if unknown:
        result.warnings.append(f"ignored unknown column(s): {', '.join(unknown)}")
    line = reader.line_num
    for row in reader:
        line_start, line = line + 1, reader.line_num  # a quoted field may span lines: report where it began
        try:
            received_at, converted, inp = _row(row, zone, locations, provider_names)
        except ValueError as error:
            result.errors.append((line_start, str(error)))
            continue
        result.inputs.append(inp)
        result.labels.append(converted)
        result.received_at.append(received_at)
    return result


def _row(
    row: dict, zone: ZoneInfo, locations: Sequence[tuple[float, float]], provider_names: Sequence[str]
) -> tuple[datetime, bool, ScoringInput]:
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
    raw_time = fields.get("received_at") or ""
    try:
        received_at = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"received_at {raw_time!r} is not an ISO 8601 date-time") from None
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=zone)
    outcome = (fields.get("converted") or "").lower()
    if outcome not in _TRUE | _FALSE:
        raise ValueError(f"converted {fields.get('converted')!r} is not 1/0, true/false or yes/no")
    channel = (fields.get("channel") or "").lower() or None
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"channel {fields.get('channel')!r} is not one of {', '.join(CHANNELS)}")
    if channel is None:
        channel = classify_channel(
            utm_source=fields.get("utm_source"),
            utm_medium=fields.get("utm_medium"),
            gclid=fields.get("gclid"),
            fbclid=fields.get("fbclid"),
            referrer=fields.get("referrer"),
        )
    distance: float | None
    try:
        distance = float(fields["distance_miles"]) if fields.get("distance_miles") else None
    except ValueError:
        raise ValueError(f"distance_miles {fields['distance_miles']!r} is not a number") from None
    if distance is None:
        distance = distance_miles(fields.get("zip"), locations)
    inp = scoring_input_from_inquiry(
        fields,
        received_at_local=received_at.astimezone(zone),
        distance_miles=distance,
        channel=channel,
        provider_names=provider_names,
    )
    return received_at.astimezone(ZoneInfo("UTC")), outcome in _TRUE, inp
