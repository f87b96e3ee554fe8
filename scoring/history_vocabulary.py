"""What other systems call our history columns and values: the import's alias tables and a practice's map.

Every lookup goes through `key()`: lower case, punctuation and spacing collapsed, so "Lead Source",
"lead_source" and "LEAD-SOURCE" are one name and "Walk-in" is "walk in". A value is understood
when its key is an alias (or our own code); failing that, when its words name exactly one code
("Invisalign consult" -> invisalign); a value whose words name several codes, or that is listed as
ambiguous ("referral", "google", "no show"), is refused with the choices, never guessed.

A practice extends the tables with a map (TOML, see `parse_map` and docs/scoring.md), given to
`leadrouter train --map` or pasted on the upload screen. The practice's map wins over the defaults.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scoring.channels import CHANNELS
from scoring.features import DEVICES, LAST_VISITS, MATCH_TYPES, TREATMENTS
from scoring.history_aliases import AMBIGUOUS_VALUES, COLUMN_ALIASES, OPEN_OUTCOME, VALUE_ALIASES

FIELDS = (
    "received_at",
    "converted",
    "channel",
    "treatment_interest",
    "message",
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
    "age",
    "age_range",
    "date_of_birth",
    "zip",
    "distance_miles",
    "last_dental_visit",
)
"""Every field a history file may fill; `received_at` and `converted` are required."""

REQUIRED_FIELDS = ("received_at", "converted")


MISSING_WORDS = frozenset(
    {"", "n a", "na", "none", "null", "nil", "unknown", "not set", "not provided", "blank"}
)
"""Cell values that mean "not recorded": counted as missing, never refused."""


CODES: dict[str, tuple[str, ...]] = {
    "channel": CHANNELS,
    "treatment_interest": TREATMENTS,
    "device_type": DEVICES,
    "converted": ("yes", "no", OPEN_OUTCOME),
    "keyword_match_type": MATCH_TYPES,
    "last_dental_visit": LAST_VISITS,
    "age_range": ("under_18", "18_34", "35_54", "55_plus"),
}
"""Fields whose values are codes, with every code they accept."""

CHOICE_HINTS = {
    "physician_referral": "a doctor or dentist sent them",
    "referral_site": "a review or listing site",
    "direct": "typed our address, or unknown",
    "patient_referral": "another patient, a friend or family sent them",
    "google_ads": "a Google or Bing ad",
    "organic_search": "an unpaid web search",
    "yes": "became a patient",
    "no": "did not become a patient",
}
"""A few words beside a suggested code, where the code alone does not say enough."""

_FILLER_WORDS = frozenset(
    {
        "consult",
        "consultation",
        "appointment",
        "appt",
        "visit",
        "request",
        "info",
        "inquiry",
        "lead",
        "leads",
        "ad",
        "ads",
        "form",
        "dental",
        "teeth",
        "tooth",
        "for",
        "my",
        "the",
        "a",
        "an",
        "of",
        "and",
        "free",
        "s",
    }
)
"""Words that say nothing about which code a value means ("Invisalign consult" is Invisalign)."""

_WORD_MATCHED = frozenset({"channel", "treatment_interest", "device_type", "keyword_match_type"})
"""Fields read word by word when no alias matches; outcomes never are ("not booked" holds "booked")."""

_NON_WORD = re.compile(r"[^a-z0-9]+")


def key(text: str) -> str:
    """The comparable form of a column name or value: lower case, words separated by one space."""
    return _NON_WORD.sub(" ", text.lower()).strip()


class MapError(ValueError):
    """A practice's map names a field or code that does not exist."""


@dataclass(frozen=True)
class ImportMap:
    """A practice's additions: its column names, its words for our codes, and its date order."""

    columns: Mapping[str, str] = field(default_factory=dict)  # key(their header) -> our field
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # field -> key(word) -> code
    day_first: bool = False

    def merged(self, other: ImportMap) -> ImportMap:
        """This map with `other`'s entries added (other wins on a clash)."""
        values = {f: dict(words) for f, words in self.values.items()}
        for name, words in other.values.items():
            values.setdefault(name, {}).update(words)
        return ImportMap({**self.columns, **other.columns}, values, self.day_first or other.day_first)


def _check_field(name: str) -> str:
    if name not in FIELDS:
        raise MapError(f"{name!r} is not a history field{_did_you_mean(name, FIELDS)}")
    return name


def _check_code(name: str, code: str) -> str:
    if name not in CODES:
        raise MapError(f"{name} takes free values, so it has no value map")
    code = {"true": "yes", "1": "yes", "false": "no", "0": "no"}.get(str(code).lower(), str(code))
    if code not in CODES[name]:
        raise MapError(f"{code!r} is not a {name} code{_did_you_mean(code, CODES[name])}")
    return code


def _did_you_mean(text: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(text, list(choices), n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def parse_map(text: str) -> ImportMap:
    """A map from TOML text: `[columns]` their header = our field; `[values.FIELD]` their word = our code;
    `[dates] order = "day_first"`. Also one rule per line, as `--map` takes them:
    `Lead Source = channel` (a column) or `channel: referral = physician_referral` (a value)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return _parse_rules(text)
    columns = {key(k): _check_field(str(v)) for k, v in document.get("columns", {}).items()}
    values = {
        _check_field(name): {key(word): _check_code(name, code) for word, code in words.items()}
        for name, words in document.get("values", {}).items()
    }
    order = document.get("dates", {}).get("order", "month_first")
    if order not in ("month_first", "day_first"):
        raise MapError(f'[dates] order must be "month_first" or "day_first", not {order!r}')
    unknown = set(document) - {"columns", "values", "dates"}
    if unknown:
        raise MapError(
            f"unknown section(s) {', '.join(sorted(unknown))}: use [columns], [values.FIELD], [dates]"
        )
    return ImportMap(columns, values, order == "day_first")


def _parse_rules(text: str) -> ImportMap:
    """One rule per line: `Header = field`, `field: word = code`, or `dates = day_first`."""
    result = ImportMap()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise MapError(f"line {number}: {raw.strip()!r} is not `Header = field` or `field: word = code`")
        left, right = (part.strip().strip("\"'") for part in line.split("=", 1))
        if key(left) == "dates":
            result = result.merged(ImportMap(day_first=key(right) == "day first"))
        elif ":" in left and left.split(":", 1)[0].strip() in FIELDS:
            name, word = (part.strip().strip("\"'") for part in left.split(":", 1))
            result = result.merged(ImportMap(values={name: {key(word): _check_code(name, right)}}))
        else:
            result = result.merged(ImportMap(columns={key(left): _check_field(right)}))
    return result


@dataclass(frozen=True)
class Reading:
    """How one cell value was read: its code (None when not understood), or the choices to offer."""

    code: str | None
    choices: tuple[str, ...] = ()


class Vocabulary:
    """The default aliases plus a practice's map, compiled for fast lookups during an import."""

    def __init__(self, mapping: ImportMap | None = None) -> None:
        self.mapping = mapping or ImportMap()
        self.columns: dict[str, str] = {key(name): name for name in FIELDS}
        for name, aliases in COLUMN_ALIASES.items():
            self.columns.update({key(alias): name for alias in aliases})
        self.columns.update(self.mapping.columns)
        self.values: dict[str, dict[str, str]] = {}
        self.words: dict[str, dict[str, set[str]]] = {}  # field -> single word -> codes it points to
        for name, codes in CODES.items():
            table = {key(code): code for code in codes}
            for code, aliases in VALUE_ALIASES.get(name, {}).items():
                table.update({key(alias): code for alias in aliases})
            words: dict[str, set[str]] = {}
            for alias, code in table.items() if name in _WORD_MATCHED else ():
                for word in alias.split():
                    if word not in _FILLER_WORDS and not word.isdigit():
                        words.setdefault(word, set()).add(code)
            table.update(self.mapping.values.get(name, {}))
            self.values[name] = table
            self.words[name] = words
        self._cache: dict[tuple[str, str], Reading] = {}

    def column(self, header: str) -> str | None:
        """Our field for one of the file's headers, or None (the column is ignored)."""
        return self.columns.get(key(header))

    def suggest_column(self, header: str) -> str | None:
        """The field a header probably meant, for "did you mean"."""
        close = difflib.get_close_matches(key(header), list(self.columns), n=1, cutoff=0.85)
        return self.columns[close[0]] if close else None

    def read(self, name: str, raw: str) -> Reading:
        """The code a value of a coded field means (cached: a column repeats few distinct values)."""
        cached = self._cache.get((name, raw))
        if cached is None:
            cached = self._cache[(name, raw)] = self._read(name, key(raw))
        return cached

    def _read(self, name: str, value: str) -> Reading:
        table = self.values[name]
        if value in table:
            return Reading(table[value])
        ambiguous = AMBIGUOUS_VALUES.get(name, {}).get(value)
        if ambiguous:
            return Reading(None, ambiguous)
        words = [w for w in value.split() if w not in _FILLER_WORDS]
        if " ".join(words) in table:
            return Reading(table[" ".join(words)])
        named = set().union(*(self.words[name].get(w, set()) for w in words)) if words else set()
        if len(named) == 1:
            return Reading(next(iter(named)))
        if named:
            return Reading(None, tuple(sorted(named)))
        close = difflib.get_close_matches(value, list(table), n=3, cutoff=0.7)
        return Reading(None, tuple(dict.fromkeys(table[c] for c in close)))
