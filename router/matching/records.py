"""Plain records (dicts) made comparable: the same cleaning for leads and patients.

A record has `record_id`, `first_name`, `last_name`, `phone` (E.164), `email`, `date_of_birth`
(ISO date) and `zip`; any may be missing. Cleaning lower-cases names, keeps letters only, adds the
first name's other forms (`first_name_forms`: "bob" -> bob, robert, ...; "robert" -> robert, bob,
rob, ...) from the `nicknames` package so a nickname agrees with its formal name, and cuts ZIP+4
to five digits. Two first names are nicknames of each other when either is among the other's forms
(not when their forms merely overlap: the package's lists are broad, "bill" is listed under both
William and Robert).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from nicknames import NickNamer

FIELDS = ("first_name", "last_name", "phone", "email", "date_of_birth", "zip")
"""What the matcher compares, in the order the review screen shows them."""

_NOT_LETTERS = re.compile(r"[^a-z]")


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def name_forms(first_name: str) -> tuple[str, ...]:
    """The name, its nicknames and the formal names it may be short for, sorted."""
    namer = _nicknamer()
    forms = namer.canonicals_of(first_name) | namer.nicknames_of(first_name)
    return tuple(sorted({first_name} | {f.replace(" ", "") for f in forms}))


def _name(value: object) -> str | None:
    cleaned = _NOT_LETTERS.sub("", str(value or "").lower())
    return cleaned or None


def _text(value: object) -> str | None:
    cleaned = str(value or "").strip().lower()
    return cleaned or None


def _birth(value: object) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return _text(value)


def comparable(record: dict) -> dict:
    """The record as the linkage model reads it."""
    first = _name(record.get("first_name"))
    zip_code = _text(record.get("zip"))
    return {
        "record_id": str(record["record_id"]),
        "first_name": first,
        "first_name_forms": list(name_forms(first)) if first else None,
        "last_name": _name(record.get("last_name")),
        "phone": _text(record.get("phone")),
        "email": _text(record.get("email")),
        "date_of_birth": _birth(record.get("date_of_birth")),
        "zip": zip_code[:5] if zip_code else None,
    }
