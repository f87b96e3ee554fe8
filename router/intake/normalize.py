"""Validation and normalization of an inquiry's fields, naming every bad field.

Phone numbers become E.164 with `phonenumbers` (region from the practice), emails are checked
and lower-cased with `email-validator`, ZIP codes are checked against the offline `zipcodes` data.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from router.intake.language import message_language
from router.intake.urls import TRACKING_FIELDS, strip_personal_data
from scoring.features import DEVICES, MATCH_TYPES, TREATMENTS

TREATMENT_INTERESTS = TREATMENTS
"""The inquiry format's vocabulary is the scorer's: a value the form accepts is one the model knows."""
AGE_RANGES = ("under_18", "18_34", "35_54", "55_plus")
LAST_VISITS = ("under_6_months", "6_12_months", "1_2_years", "over_2_years", "never", "unknown")
DEVICE_TYPES = DEVICES

TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "message": 5000,
    "location": 64,
    "sms_consent_text_version": 64,
    "consent_page": 2000,
    "client_ip": 64,
    "visitor_id": 64,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_term": 200,
    "utm_content": 200,
    "gclid": 200,
    "fbclid": 200,
    "referrer": 2000,
    "landing_page": 2000,
    "ad_creative": 200,
    "referred_by": 200,
    "referral_code": 32,
}
INT_FIELDS = ("pages_visited", "time_on_site_seconds", "form_completion_seconds")
INT_LIMIT = 10_000_000
CHOICES = {
    "treatment_interest": TREATMENT_INTERESTS,
    "age_range": AGE_RANGES,
    "last_dental_visit": LAST_VISITS,
    "device_type": DEVICE_TYPES,
    "keyword_match_type": MATCH_TYPES,
}
KNOWN_FIELDS = frozenset(
    (
        *TEXT_LIMITS,
        *INT_FIELDS,
        *CHOICES,
        "email",
        "phone",
        "zip",
        "date_of_birth",
        "sms_consent",
        "submitted_at",
        "language",
    )
)

_TRUE = {"true", "1", "yes", "on", "checked"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass(frozen=True)
class FieldError:
    """One bad field and what is wrong with it, for the problem+json answer."""

    field: str
    message: str


class InvalidInquiry(ValueError):
    """The inquiry has bad fields; nothing was stored."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ContactDetails:
    """Who the person is (PHI: encrypted before it is stored)."""

    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None
    date_of_birth: date | None
    zip: str | None
    age_range: str | None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class ConsentCapture:
    """SMS consent as the form captured it."""

    granted: bool
    disclosure_version: str | None
    page: str | None
    ip: str | None
    captured_at: datetime


@dataclass(frozen=True)
class NormalizedInquiry:
    """A validated inquiry: contact, intent and the touchpoint's tracking data."""

    contact: ContactDetails
    treatment_interest: str | None
    message: str | None
    last_dental_visit: str | None
    requested_location: str | None
    submitted_at: datetime | None
    consent: ConsentCapture | None
    tracking: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    """The cleaned flat fields (what the scorer's feature function reads)."""
    unknown_fields: tuple[str, ...] = ()
    withheld_fields: tuple[str, ...] = ()
    """Tracking fields not stored because they carried an email address or a phone number (the
    inquiry itself is still taken: losing a patient's request over a URL would be worse)."""
    referred_by: str | None = None
    """The patient who sent them, as the person wrote it (PHI: encrypted on the touchpoint)."""
    referral_code: str | None = None
    """An existing patient's referral-link code the website passed along."""
    language: str | None = None
    """The language the person wants messages in (`en` or `es`), when the form says."""


def normalize_phone(raw: str, region: str = "US") -> str:
    """E.164 form of a phone number, or ValueError."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Lower-cased, syntax-checked email (no DNS look-up: intake must not wait on the network)."""
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def unsafe_text(value: str) -> str | None:
    """Why a text cannot be stored (PostgreSQL refuses NUL; a lone surrogate cannot be encoded), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None


def _unsafe_fields(raw: Mapping[str, Any]) -> list[FieldError]:
    """Every field whose name or text value could not be stored, named so the sender can fix it."""
    errors = []
    for name, value in raw.items():
        problem = unsafe_text(name) if isinstance(name, str) else "field names must be text"
        if problem:
            shown = name.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
            errors.append(FieldError(shown, f"the field name {problem}"))
            continue
        if isinstance(value, str) and (problem := unsafe_text(value)):
            errors.append(FieldError(name, problem))
    return errors


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be text")
    value = value.strip()
    return value or None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be true or false")


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise ValueError("must be a whole number")
    if not 0 <= number <= INT_LIMIT:
        raise ValueError(f"must be between 0 and {INT_LIMIT}")
    return number


def normalize_inquiry(
    raw: Mapping[str, Any], *, region: str = "US", now: datetime, name_required: bool = True
) -> NormalizedInquiry:
    """Validate and normalize a flat inquiry; raises InvalidInquiry naming every bad field.

    A phone call or a text brings a number, not a name (`name_required=False`); staff add it later.
    """
    errors = _unsafe_fields(raw)
    if errors:
        raise InvalidInquiry(errors)
    reader = _FieldReader(raw, errors)
    reader.read_plain_fields()
    phone = reader.read("phone", lambda v: normalize_phone(_text(v) or "", region) if _text(v) else None)
    email = reader.read("email", lambda v: normalize_email(_text(v) or "") if _text(v) else None)
    zip_code = reader.read("zip", _zip)
    dob = reader.read("date_of_birth", lambda v: _date_of_birth(v, now))
    submitted_at = reader.read("submitted_at", _timestamp)
    consent_flag = reader.read("sms_consent", _bool)
    reader.read("language", message_language)
    clean = reader.clean
    withheld = strip_personal_data(clean)
    if name_required and "first_name" not in clean and "last_name" not in clean:
        errors.append(FieldError("first_name", "a name is required"))
    if phone is None and email is None and not any(e.field in {"phone", "email"} for e in errors):
        errors.append(FieldError("phone", "a phone number or an email address is required"))
    if consent_flag and phone is None and not any(e.field == "phone" for e in errors):
        errors.append(FieldError("sms_consent", "SMS consent needs a phone number"))
    if errors:
        raise InvalidInquiry(errors)
    contact = ContactDetails(
        first_name=clean.get("first_name"),
        last_name=clean.get("last_name"),
        phone=phone,
        email=email,
        date_of_birth=dob,
        zip=zip_code,
        age_range=clean.get("age_range") or _age_range(dob, now),
    )
    return _inquiry(raw, clean, contact, _consent(clean, consent_flag, submitted_at or now), withheld)


class _FieldReader:
    """Converts an inquiry's fields one by one, keeping the clean values and an error per bad one."""

    def __init__(self, raw: Mapping[str, Any], errors: list[FieldError]) -> None:
        self.raw = raw
        self.errors = errors
        self.clean: dict[str, Any] = {}

    def read(self, name: str, convert: Any) -> Any:
        """`convert(raw[name])` kept as clean (None when absent or bad; a bad value is an error)."""
        if name not in self.raw or self.raw[name] is None:
            return None
        try:
            value = convert(self.raw[name])
        except ValueError as exc:
            self.errors.append(FieldError(name, str(exc)))
            return None
        if value is not None:
            self.clean[name] = value
        return value

    def read_plain_fields(self) -> None:
        """The text, whole-number and one-of-a-list fields."""
        for name, limit in TEXT_LIMITS.items():
            value = self.read(name, _text)
            if value is not None and len(value) > limit:
                self.errors.append(FieldError(name, f"must be at most {limit} characters"))
                self.clean.pop(name)
        for name in INT_FIELDS:
            self.read(name, _int)
        for name, choices in CHOICES.items():
            self.read(name, functools.partial(_choice, choices=choices))


def _choice(value: Any, *, choices: tuple[str, ...]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text.lower() not in choices:
        raise ValueError("must be one of " + ", ".join(choices))
    return text.lower()


def _consent(clean: dict[str, Any], granted: bool | None, captured_at: datetime) -> ConsentCapture | None:
    if granted is None:
        return None
    return ConsentCapture(
        granted=granted,
        disclosure_version=clean.get("sms_consent_text_version"),
        page=clean.get("consent_page"),
        ip=clean.get("client_ip"),
        captured_at=captured_at,
    )


def _inquiry(
    raw: Mapping[str, Any],
    clean: dict[str, Any],
    contact: ContactDetails,
    consent: ConsentCapture | None,
    withheld: tuple[str, ...],
) -> NormalizedInquiry:
    return NormalizedInquiry(
        contact=contact,
        treatment_interest=clean.get("treatment_interest"),
        message=clean.get("message"),
        last_dental_visit=clean.get("last_dental_visit"),
        requested_location=clean.get("location"),
        submitted_at=clean.get("submitted_at"),
        consent=consent,
        tracking={k: clean[k] for k in TRACKING_FIELDS if k in clean},
        fields=clean,
        unknown_fields=tuple(sorted(k for k in raw if k not in KNOWN_FIELDS)),
        withheld_fields=withheld,
        referred_by=clean.get("referred_by"),
        referral_code=clean.get("referral_code"),
        language=clean.get("language"),
    )


def _zip(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    five = text.split("-")[0]
    if len(five) != 5 or not five.isdigit():
        raise ValueError("must be a 5-digit US ZIP code")
    return five


def _date_of_birth(value: Any, now: datetime) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        born = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("must be a date like 1990-04-17") from exc
    if born > now.date() or born.year < now.year - 120:
        raise ValueError("must be a real date of birth")
    return born


def _age_range(born: date | None, now: datetime) -> str | None:
    if born is None:
        return None
    age = now.year - born.year - ((now.month, now.day) < (born.month, born.day))
    return "under_18" if age < 18 else "18_34" if age < 35 else "35_54" if age < 55 else "55_plus"


def _timestamp(value: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("must be an ISO 8601 timestamp") from exc
    if moment.tzinfo is None:
        raise ValueError("must include a UTC offset")
    return moment.astimezone(UTC)
