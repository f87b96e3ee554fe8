"""Ad-platform spend imports: one CSV row per day and campaign, upserted so a re-import replaces.

Columns (header names matched without regard to case or surrounding spaces; others are ignored):
`date` (YYYY-MM-DD), `channel` (one of scoring.channels.CHANNELS, or a platform name such as
"Google Ads" or "Meta"), optional `campaign`, `spend` (a number; a leading "$" and thousands commas
are accepted), optional `impressions` and `clicks` (whole numbers). A bad row is reported with its
line number and skipped; the good rows are still imported. A row for a day, channel and campaign
already stored replaces it (the table's unique key), so importing the same export twice changes
nothing; within one file the later row for a key wins and the earlier one is reported.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.core.models import AdSpend
from scoring.channels import CHANNELS

REQUIRED_COLUMNS = ("date", "channel", "spend")
OPTIONAL_COLUMNS = ("campaign", "impressions", "clicks")
PLATFORM_CHANNELS = {
    "google": "google_ads",
    "google_ads": "google_ads",
    "adwords": "google_ads",
    "facebook": "facebook_ads",
    "facebook_ads": "facebook_ads",
    "meta": "facebook_ads",
    "meta_ads": "facebook_ads",
    "instagram_ads": "facebook_ads",
    "mail": "direct_mail",
    "postcards": "direct_mail",
}
"""Names ad platforms and agencies use for a channel, lower-cased with spaces as underscores."""
UPSERT_BATCH = 1000
"""Rows per INSERT ... ON CONFLICT statement: a year of daily campaigns in a handful of round trips."""


@dataclass(frozen=True)
class SpendRow:
    """One day of one campaign's spend and delivery."""

    day: date
    channel: str
    campaign: str
    spend: float
    impressions: int | None
    clicks: int | None


@dataclass(frozen=True)
class SpendProblem:
    """A row that could not be imported, by its line in the file."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class SpendFile:
    """The readable rows of a spend export and the problems of the others."""

    rows: dict[tuple[date, str, str], SpendRow] = field(default_factory=dict)
    problems: list[SpendProblem] = field(default_factory=list)


class SpendFileError(ValueError):
    """The file as a whole is unusable (no header, a required column missing)."""


def channel_named(name: str) -> str:
    """Our channel for a name in an export; ValueError when it means nothing to us."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    channel = PLATFORM_CHANNELS.get(key, key)
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {name!r}; use one of {', '.join(CHANNELS)}")
    return channel


def _count(text: str, column: str) -> int | None:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise ValueError(f"{column} must be a whole number, not {text!r}")
    return int(cleaned)


def _spend(text: str) -> float:
    cleaned = text.strip().lstrip("$").replace(",", "")
    try:
        amount = float(cleaned)
    except ValueError:
        raise ValueError(f"spend must be a number, not {text!r}") from None
    if not 0 <= amount < float("inf"):
        raise ValueError(f"spend must be finite and not negative, not {text!r}")
    return amount


def _row(cells: dict[str, str]) -> SpendRow:
    try:
        day = date.fromisoformat(cells["date"].strip())
    except ValueError:
        raise ValueError(f"date must be YYYY-MM-DD, not {cells['date']!r}") from None
    return SpendRow(
        day=day,
        channel=channel_named(cells["channel"]),
        campaign=cells.get("campaign", "").strip()[:200],
        spend=_spend(cells["spend"]),
        impressions=_count(cells.get("impressions", ""), "impressions"),
        clicks=_count(cells.get("clicks", ""), "clicks"),
    )


def read_spend_csv(text: str) -> SpendFile:
    """Parse a spend export; fatal header problems raise SpendFileError, bad rows are listed."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise SpendFileError("line 1: the file is empty; expected a header row")
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise SpendFileError(f"line 1: missing column(s) {', '.join(missing)}; found {', '.join(names)}")
    wanted = [name for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in names]
    parsed = SpendFile()
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            parsed.problems.append(SpendProblem(line, f"expected {len(names)} fields, found {len(cells)}"))
            continue
        try:
            row = _row({name: cells[names.index(name)] for name in wanted})
        except ValueError as problem:
            parsed.problems.append(SpendProblem(line, str(problem)))
            continue
        key = (row.day, row.channel, row.campaign)
        if key in parsed.rows:
            parsed.problems.append(
                SpendProblem(line, f"repeats {row.day} {row.channel} {row.campaign!r}; this later row wins")
            )
        parsed.rows[key] = row
    return parsed


async def store_spend(
    session: AsyncSession, practice_id: uuid.UUID, rows: Iterable[SpendRow], *, now: datetime
) -> int:
    """Upsert the rows on (practice, day, channel, campaign); returns how many were written."""
    values = [
        {
            "practice_id": practice_id,
            "day": datetime.combine(row.day, datetime.min.time()),
            "channel": row.channel,
            "campaign": row.campaign,
            "spend": row.spend,
            "impressions": row.impressions,
            "clicks": row.clicks,
            "imported_at": now,
        }
        for row in rows
    ]
    for offset in range(0, len(values), UPSERT_BATCH):
        statement = insert(AdSpend).values(values[offset : offset + UPSERT_BATCH])
        await session.execute(
            statement.on_conflict_do_update(
                constraint="uq_ad_spend_practice_day_campaign",
                set_={
                    name: statement.excluded[name]
                    for name in ("spend", "impressions", "clicks", "imported_at")
                },
            )
        )
    return len(values)


async def import_spend(
    session: AsyncSession, practice_id: uuid.UUID, text: str, *, now: datetime
) -> tuple[int, list[SpendProblem]]:
    """Read and store a spend export: (rows written, problems by line)."""
    parsed = read_spend_csv(text)
    written = await store_spend(session, practice_id, parsed.rows.values(), now=now)
    return written, parsed.problems


SPEND_UPLOAD_MAX_BYTES = 5_000_000
"""An upload's limit: years of daily spend of every campaign fit in a few hundred kilobytes."""


@dataclass(frozen=True)
class SpendSummary:
    """What is stored: per channel, the days covered and the total, and when it was last imported."""

    channel: str
    first_day: date
    last_day: date
    total: float
    imported_at: datetime


async def spend_summary(session: AsyncSession, practice_id: uuid.UUID) -> list[SpendSummary]:
    from sqlalchemy import func, select

    rows = await session.execute(
        select(
            AdSpend.channel,
            func.min(AdSpend.day),
            func.max(AdSpend.day),
            func.sum(AdSpend.spend),
            func.max(AdSpend.imported_at),
        )
        .where(AdSpend.practice_id == practice_id)
        .group_by(AdSpend.channel)
        .order_by(AdSpend.channel)
    )
    return [
        SpendSummary(c, first.date(), last.date(), float(total), at) for c, first, last, total, at in rows
    ]
