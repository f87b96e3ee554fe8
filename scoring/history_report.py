"""What a history import would do, in a few lines a practice manager can act on.

The same report is printed by `leadrouter train --csv --check`, printed before a real import, and
shown on the upload screen: rows and usable rows, per column how many values were understood,
missing or refused (grouped by value, with counts and "did you mean"), the date range, the
outcome rate, and the reasons the import is refused (`refusals`), if any.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from scoring.history_vocabulary import CHOICE_HINTS

MAX_SKIPPED_SHARE = 0.05
"""An import that would skip more of its closed rows than this is refused: the file is probably misread."""

VANISH_SHARE = 0.01
"""A channel or treatment value not understood on at least this share of rows is a whole group vanishing."""

GUARDED_FIELDS = ("channel", "treatment_interest")
"""Fields whose unread values would silently remove a whole kind of lead from what the model learns."""

SHOWN_GROUPS = 5
"""Value groups listed per column; the rest are summed in one line."""

SHOWN_LINES = 3
"""File lines named per refused value, to find it in the file."""

FIELD_WORDS = {
    "received_at": "when the lead arrived",
    "converted": "outcome",
    "channel": "source (channel)",
    "treatment_interest": "treatment",
    "message": "message",
    "device_type": "device",
    "age": "age",
    "age_range": "age range",
    "date_of_birth": "date of birth",
    "zip": "ZIP code",
    "pages_visited": "pages visited",
    "time_on_site_seconds": "time on site (seconds)",
    "form_completion_seconds": "form completion time (seconds)",
    "distance_miles": "distance (miles)",
    "last_dental_visit": "last dental visit",
    "keyword_match_type": "keyword match type",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "campaign",
    "gclid": "Google click id",
    "fbclid": "Facebook click id",
    "referrer": "referrer",
    "ad_creative": "ad creative",
}
"""Each field in a manager's words, for the report's headings."""


_FEATURE_SOURCES = (
    ("source (channel)", ("channel", "utm_source", "utm_medium", "gclid", "fbclid", "referrer")),
    ("treatment", ("treatment_interest",)),
    ("message", ("message",)),
    ("device", ("device_type",)),
    ("age", ("age", "age_range", "date_of_birth")),
    ("distance from the office", ("zip", "distance_miles")),
    ("pages visited", ("pages_visited",)),
    ("time on site", ("time_on_site_seconds",)),
    ("form completion time", ("form_completion_seconds",)),
    ("campaign", ("utm_campaign",)),
    ("ad creative", ("ad_creative",)),
    ("keyword match type", ("keyword_match_type",)),
    ("last dental visit", ("last_dental_visit",)),
)
"""What the model can learn, and the columns each can come from."""


@dataclass(slots=True)
class ValueGroup:
    """One value as the file spells it (case and spacing folded), how often, and how it was read."""

    spellings: Counter = field(default_factory=Counter)
    code: str | None = None
    choices: tuple[str, ...] = ()
    note: str = ""
    lines: list[int] = field(default_factory=list)  # the first few file lines it was on

    @property
    def count(self) -> int:
        return sum(self.spellings.values())

    @property
    def shown(self) -> str:
        """The most common spelling."""
        return self.spellings.most_common(1)[0][0]

    @property
    def suggestion(self) -> str:
        """'did you mean ...' for a refused value, or ''."""
        if not self.choices:
            return ""
        words = [f"{c} ({CHOICE_HINTS[c]})" if c in CHOICE_HINTS else c for c in self.choices]
        return "did you mean " + " or ".join(words) + "?"


@dataclass(slots=True)
class ColumnReport:
    """How one column of the file was read."""

    field: str
    header: str
    understood: int = 0
    missing: int = 0
    read_as: dict[str, ValueGroup] = field(default_factory=dict)  # understood values, by key
    refused_values: dict[str, ValueGroup] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        return sum(group.count for group in self.refused_values.values())

    @property
    def words(self) -> str:
        return FIELD_WORDS.get(self.field, self.field)

    def top_refused(self) -> list[ValueGroup]:
        return sorted(self.refused_values.values(), key=lambda g: -g.count)[:SHOWN_GROUPS]

    def top_read_as(self) -> list[ValueGroup]:
        """Understood values whose spelling differs from the code: how the file's words were read."""
        groups = [g for g in self.read_as.values() if g.code is not None and g.shown != g.code]
        return sorted(groups, key=lambda g: -g.count)[:SHOWN_GROUPS]

    def note_value(
        self, value_key: str, spelling: str, *, code: str | None, choices: tuple[str, ...] = (), line: int = 0
    ) -> None:
        """Count one non-empty cell: understood when `code` is set, refused otherwise."""
        table = self.read_as if code is not None else self.refused_values
        group = table.get(value_key)
        if group is None:
            group = table[value_key] = ValueGroup(code=code, choices=choices)
        group.spellings[spelling] += 1
        if code is not None:
            self.understood += 1
        elif len(group.lines) < SHOWN_LINES:
            group.lines.append(line)


@dataclass(slots=True)
class ImportReport:
    """Everything the check says about one file."""

    file_name: str
    rows: int = 0
    usable: int = 0
    still_open: int = 0
    positives: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> rows
    columns: dict[str, ColumnReport] = field(default_factory=dict)
    ignored_headers: list[tuple[str, str | None]] = field(default_factory=list)  # (header, suggested field)
    duplicate_headers: list[tuple[str, str]] = field(default_factory=list)  # (header, field already taken)
    missing_required: list[str] = field(default_factory=list)
    first_received: datetime | None = None
    last_received: datetime | None = None
    date_only: int = 0
    day_first_values: int = 0
    no_locations: bool = False
    problem: str = ""  # a reason the file could not be read at all

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    @property
    def closed_rows(self) -> int:
        """Rows that should carry an outcome: all but those still being worked."""
        return self.rows - self.still_open

    @property
    def conversion_rate(self) -> float | None:
        return self.positives / self.usable if self.usable else None

    def absent_fields(self) -> list[str]:
        """What the file cannot tell the model, in words (each from any of several columns)."""
        return [words for words, names in _FEATURE_SOURCES if not any(n in self.columns for n in names)]

    def refusals(self, *, max_skipped_share: float = MAX_SKIPPED_SHARE) -> list[str]:
        """Why storing a model from this file would be wrong; empty when the import may go ahead."""
        if self.problem:
            return [self.problem]
        if self.missing_required:
            return [
                f"the file has no {' and no '.join(FIELD_WORDS[f] for f in self.missing_required)} column"
            ]
        if self.usable == 0:
            return ["no row has both a readable date and an outcome"]
        reasons = []
        skipped, closed = self.skipped_rows, self.closed_rows
        if closed and skipped / closed > max_skipped_share:
            reasons.append(
                f"{skipped:,} of {closed:,} rows ({skipped / closed:.1%}) would be skipped; "
                f"more than {max_skipped_share:.0%} means the file is being misread"
            )
        for name in GUARDED_FIELDS:
            column = self.columns.get(name)
            if column is None:
                continue
            vanishing = [g for g in column.top_refused() if g.count >= VANISH_SHARE * self.rows]
            for group in vanishing:
                reasons.append(
                    f"every lead with {column.words} '{group.shown}' ({group.count:,} rows, "
                    f"{group.count / self.rows:.1%}) would lose it: map it to one of ours"
                )
            if not vanishing and column.refused > MAX_SKIPPED_SHARE * self.rows:
                reasons.append(f"{column.refused:,} {column.words} values are not understood")
        return reasons

    def lines(self, *, max_skipped_share: float = MAX_SKIPPED_SHARE) -> list[str]:
        """The report as plain text lines (the CLI prints them; the upload screen renders the same data)."""
        out = [f"{self.file_name}: {self.rows:,} rows"]
        if self.problem:
            return [*out, f"REFUSED: {self.problem}"]
        if self.missing_required:
            out.append("missing required column(s): " + ", ".join(self.missing_required))
        share = f" ({self.usable / self.rows:.1%})" if self.rows else ""
        out.append(f"usable rows: {self.usable:,}{share}")
        if self.still_open:
            out.append(f"still open (no outcome yet), left out: {self.still_open:,}")
        for reason, count in self.skipped.most_common():
            out.append(f"skipped: {count:,} rows, {reason}")
        if self.first_received and self.last_received:
            out.append(f"dates: {self.first_received:%Y-%m-%d} to {self.last_received:%Y-%m-%d}")
        if self.date_only:
            out.append(
                f"  {self.date_only:,} rows have a date but no time: their time of day is left missing"
            )
        if self.day_first_values:
            out.append(
                f"  {self.day_first_values:,} dates only make sense as day/month/year: "
                "add `dates = day_first` to the map if the whole file is written that way"
            )
        if self.conversion_rate is not None:
            out.append(
                f"outcome: {self.positives:,} of {self.usable:,} became patients ({self.conversion_rate:.1%})"
            )
        for column in self.columns.values():
            out.extend(_column_lines(column))
        if self.ignored_headers:
            ignored = ", ".join(
                f"'{h}'" + (f" (did you mean {s}?)" if s else "") for h, s in self.ignored_headers
            )
            out.append(f"ignored columns: {ignored}")
        for header, taken in self.duplicate_headers:
            out.append(f"ignored column '{header}': {taken} is already read from another column")
        absent = self.absent_fields()
        if absent:
            out.append(
                "not in the file (learned without): " + ", ".join(FIELD_WORDS.get(f, f) for f in absent)
            )
        if self.no_locations:
            out.append("no office locations known: distance from the office is left missing")
        refusals = self.refusals(max_skipped_share=max_skipped_share)
        out.extend(f"REFUSED: {reason}" for reason in refusals)
        if not refusals:
            out.append("OK: the import may go ahead")
        return out


def _column_lines(column: ColumnReport) -> list[str]:
    head = f"{column.words} ('{column.header}'): {column.understood:,} understood"
    head += f", {column.missing:,} missing, {column.refused:,} refused"
    lines = [head]
    read_as = column.top_read_as()
    if read_as:
        lines.append("  read as: " + ", ".join(f"'{g.shown}' -> {g.code} x {g.count:,}" for g in read_as))
    refused = column.top_refused()
    for group in refused:
        note = f" ({group.note})" if group.note else ""
        suggestion = (
            f" -> {group.suggestion} (map it: '{column.field}: {group.shown} = {group.choices[0]}')"
            if group.suggestion
            else ""
        )
        where = ", ".join(str(n) for n in group.lines) + (", ..." if group.count > len(group.lines) else "")
        lines.append(f"  refused: '{group.shown}' x {group.count:,}{note}, line {where}{suggestion}")
    rest = len(column.refused_values) - len(refused)
    if rest > 0:
        rest_rows = column.refused - sum(g.count for g in refused)
        lines.append(f"  ... and {rest:,} more refused values ({rest_rows:,} rows)")
    return lines
