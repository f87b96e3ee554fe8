"""A labelled set of lead-to-patient pairs for judging the matcher, never for fitting it.

Patients stand for a practice-management system's records; leads for later inquiries. A true pair
is a lead written from a patient's record the way people and front desks write it again: a
nickname or a typo (`NAME_VARIATION_SHARE`), a new phone (`CHANGED_PHONE_SHARE`), a new surname
after a marriage (`NEW_SURNAME_SHARE`), fields left out (calls bring no email, most forms no birth
date). A false pair is a lead and a patient who are different people; some are family (a spouse or
child on the same phone and surname, `FAMILY_SHARE`), the rest strangers, some with the same name.
Names come with US frequencies from Faker's tables, so common names collide as they do in life.

The set has its own seed (`EVALUATION_SEED`): the matcher's weights are estimated by EM on
other, unlabelled records (`unlabelled_records`) and this set is only read by the evaluation.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from faker.providers.person.en_US import Provider as _FakerNames
from nicknames import NickNamer

EVALUATION_SEED = 170_017
"""Only the evaluation uses this seed; EM fits on `TRAINING_SEED` records."""

TRAINING_SEED = 4_242
"""Unlabelled records for estimating the m/u weights (no labels are read)."""

NAME_VARIATION_SHARE = 0.22
"""True matches whose first or last name is a nickname or has a typo (issue: at least 20%)."""

CHANGED_PHONE_SHARE = 0.10
"""True matches inquiring from another phone number (issue: 10%)."""

NEW_SURNAME_SHARE = 0.05
"""True matches who changed surname since their last visit (issue: 5%)."""

FAMILY_SHARE = 0.12
"""False pairs who share a family phone or surname (issue: at least 10%)."""

SAME_NAME_SHARE = 0.05
"""False pairs of strangers with the same first and last name: common names do collide."""

MOVED_SHARE = 0.06
"""True matches who moved house since their last visit: another ZIP."""

MIDDLE_NAME_SHARE = 0.01
"""True matches who now give their middle name as first name: names alone never prove two people."""

TYPED_SLIP_SHARE = 0.04
"""True matches with a birth date or an email mistyped (a day's digits swapped, a letter slipped)."""

LEAD_MISSING = {"email": 0.25, "date_of_birth": 0.55, "zip": 0.15}
"""Share of leads without the field: calls bring no email, few forms ask for a birth date."""

_EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
_AREA_CODES = ("512", "737", "503", "971", "360")
_ZIPS = tuple(f"{n:05d}" for n in (*range(78701, 78760), *range(97201, 97240)))


@dataclass(slots=True)
class LinkageSet:
    """Leads, patients and the labelled pairs between them (`kind` says how the pair was made)."""

    leads: list[dict] = field(default_factory=list)
    patients: list[dict] = field(default_factory=list)
    pairs: list[tuple[str, str, bool, str]] = field(default_factory=list)

    def true_pairs(self) -> set[tuple[str, str]]:
        return {(lead, patient) for lead, patient, is_match, _ in self.pairs if is_match}


@cache
def _name_tables() -> tuple[tuple[str, ...], tuple[float, ...], tuple[str, ...], tuple[float, ...]]:
    first = {**_FakerNames.first_names_female, **_FakerNames.first_names_male}
    last = _FakerNames.last_names
    return tuple(first), tuple(first.values()), tuple(last), tuple(last.values())


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


class _People:
    """Draws people, their family members and their later, imperfect records."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._serial = 0

    def person(self, *, last_name: str | None = None, phone: str | None = None, zip_code: str | None = None):
        firsts, first_w, lasts, last_w = _name_tables()
        first = self.rng.choices(firsts, weights=first_w)[0]
        last = last_name or self.rng.choices(lasts, weights=last_w)[0]
        born = date(1940, 1, 1) + timedelta(days=self.rng.randint(0, 365 * 80))
        return {
            "first_name": first,
            "last_name": last,
            "phone": phone or self.phone(),
            "email": self.email(first, last),
            "date_of_birth": born.isoformat(),
            "zip": zip_code or self.rng.choice(_ZIPS),
        }

    def phone(self) -> str:
        exchange = self.rng.choice([e for e in range(201, 1000) if e % 100 != 11 and e != 555])
        return f"+1{self.rng.choice(_AREA_CODES)}{exchange:03d}{self.rng.randint(0, 9999):04d}"

    def email(self, first: str, last: str) -> str:
        local = f"{first[0] if self.rng.random() < 0.3 else first}.{last}".lower()
        return f"{local}{self.rng.randint(1, 99)}@{self.rng.choice(_EMAIL_DOMAINS)}"

    def family_member(self, person: dict) -> dict:
        """A spouse or child: same phone and surname (or one of them), same home, another first name."""
        shared = self.rng.random()
        relative = self.person(
            last_name=person["last_name"] if shared < 0.8 else None,
            phone=person["phone"] if shared > 0.2 else None,
            zip_code=person["zip"],
        )
        if relative["first_name"] == person["first_name"]:
            return self.family_member(person)
        if self.rng.random() < 0.3:
            relative["email"] = person["email"]
        return relative

    def namesake(self, person: dict) -> dict:
        """A stranger with the same first and last name."""
        stranger = self.person()
        return {**stranger, "first_name": person["first_name"], "last_name": person["last_name"]}

    def record_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:06d}"


def typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: a letter swapped with its neighbour, dropped, doubled or replaced."""
    if len(word) < 3:
        return word + rng.choice(string.ascii_lowercase)
    at = rng.randint(1, len(word) - 2)
    slip = rng.choice(("swap", "drop", "double", "replace"))
    if slip == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if slip == "drop":
        return word[:at] + word[at + 1 :]
    if slip == "double":
        return word[:at] + word[at] + word[at:]
    return word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]


def nickname(rng: random.Random, first_name: str) -> str | None:
    names = sorted(n for n in _nicknamer().nicknames_of(first_name.lower()) if len(n) > 1)
    return rng.choice(names).title() if names else None


def later_record(people: _People, patient: dict, kind: str) -> dict:
    """How the same person writes themselves down on a later inquiry."""
    rng = people.rng
    lead = dict(patient)
    if kind == "name_variation":
        short = nickname(rng, lead["first_name"]) if rng.random() < 0.5 else None
        if short:
            lead["first_name"] = short
        elif rng.random() < 0.6:
            lead["first_name"] = typo(rng, lead["first_name"])
        else:
            lead["last_name"] = typo(rng, lead["last_name"])
    elif kind == "changed_phone":
        lead["phone"] = people.phone()
    elif kind == "new_surname":
        lead["last_name"] = people.person()["last_name"]
        if rng.random() < 0.5:
            lead["email"] = people.email(lead["first_name"], lead["last_name"])
    return _leave_out(rng, _slips(rng, _life_changes(people, lead)))


def _slips(rng: random.Random, lead: dict) -> dict:
    """A birth date or email mistyped now and then, whatever else changed (`TYPED_SLIP_SHARE`)."""
    if rng.random() < TYPED_SLIP_SHARE:
        year, month, day = lead["date_of_birth"].split("-")
        swapped = day[::-1] if day[0] != day[1] and int(day[::-1]) <= 28 else f"{(int(day) % 28) + 1:02d}"
        lead["date_of_birth"] = f"{year}-{month}-{swapped}"
    if rng.random() < TYPED_SLIP_SHARE:
        local, domain = lead["email"].split("@")
        lead["email"] = f"{typo(rng, local)}@{domain}"
    return lead


def _leave_out(rng: random.Random, lead: dict) -> dict:
    for column, share in LEAD_MISSING.items():
        if rng.random() < share:
            lead[column] = None
    return lead


def _life_changes(people: _People, lead: dict) -> dict:
    """A move (`MOVED_SHARE`) or a middle name given as first name (`MIDDLE_NAME_SHARE`)."""
    if people.rng.random() < MOVED_SHARE:
        lead["zip"] = people.rng.choice([z for z in _ZIPS if z != lead["zip"]])
    if people.rng.random() < MIDDLE_NAME_SHARE:
        lead["first_name"] = people.person()["first_name"]
    return lead


def _true_match_kinds(rng: random.Random, count: int) -> list[str]:
    kinds = (
        ["name_variation"] * round(count * NAME_VARIATION_SHARE)
        + ["changed_phone"] * round(count * CHANGED_PHONE_SHARE)
        + ["new_surname"] * round(count * NEW_SURNAME_SHARE)
    )
    kinds += ["same_details"] * (count - len(kinds))
    rng.shuffle(kinds)
    return kinds


def _false_pair_kinds(rng: random.Random, count: int) -> list[str]:
    kinds = ["family"] * round(count * FAMILY_SHARE) + ["same_name"] * round(count * SAME_NAME_SHARE)
    kinds += ["stranger"] * (count - len(kinds))
    rng.shuffle(kinds)
    return kinds


def labelled_pairs(*, seed: int = EVALUATION_SEED, true_matches: int = 2_600, false_pairs: int = 2_600):
    """Leads and patients with `true_matches` + `false_pairs` labelled pairs between them."""
    rng = random.Random(seed)
    people = _People(rng)
    found = LinkageSet()
    patients = [people.person() for _ in range(true_matches + false_pairs)]
    for patient in patients:
        found.patients.append({"record_id": people.record_id("p"), **patient})
    true_kinds = _true_match_kinds(rng, true_matches)
    for patient, kind in zip(found.patients[:true_matches], true_kinds, strict=True):
        lead = {**later_record(people, patient, kind), "record_id": people.record_id("l")}
        found.leads.append(lead)
        found.pairs.append((lead["record_id"], patient["record_id"], True, kind))
    for patient, kind in zip(found.patients[true_matches:], _false_pair_kinds(rng, false_pairs), strict=True):
        other = _other_person(people, patient, kind)
        lead = {**_leave_out(rng, other), "record_id": people.record_id("l")}
        found.leads.append(lead)
        found.pairs.append((lead["record_id"], patient["record_id"], False, kind))
    return found


def _other_person(people: _People, patient: dict, kind: str) -> dict:
    if kind == "family":
        return people.family_member(patient)
    if kind == "same_name":
        return people.namesake(patient)
    return people.person()


def unlabelled_records(*, seed: int = TRAINING_SEED, patients: int = 3_000, leads: int = 3_000):
    """Leads and patients with no labels, for EM: about half the leads are patients seen before."""
    found = labelled_pairs(seed=seed, true_matches=leads // 2, false_pairs=leads - leads // 2)
    extra = _People(random.Random(seed + 1))
    while len(found.patients) < patients:
        found.patients.append({"record_id": extra.record_id("q"), **extra.person()})
    return found.leads, found.patients
