"""The one feature function: a single lead in, a float32 vector out, for training and serving alike.

No pandas: serving builds one vector in a few microseconds. Missing values are normal input and
become NaN (XGBoost routes them down a learned default branch). Categories are small integer codes
in fixed vocabularies (below), so a vector means the same thing in every process and model version.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from scoring.channels import CHANNELS
from scoring.text import read_message

TREATMENTS = (
    "general",
    "cleaning",
    "implants",
    "orthodontics",
    "invisalign",
    "cosmetic",
    "emergency",
    "pediatric",
    "other",
)
DEVICES = ("mobile", "desktop", "tablet")
MATCH_TYPES = ("exact", "phrase", "broad")
LAST_VISITS = ("under_6_months", "6_12_months", "1_2_years", "over_2_years", "never")
"""Ordered from most to least recent; "unknown" is a missing value."""
AGE_RANGE_YEARS = {"under_18": 12.0, "18_34": 26.0, "35_54": 45.0, "55_plus": 65.0}
"""Age used when only the range is known: a typical age inside it."""
CREATIVE_KINDS = ("testimonial", "before_after", "offer", "video", "other")
_CREATIVE_WORDS = (
    ("testimonial", ("testimonial", "review", "stars")),
    ("before_after", ("before", "transformation")),
    ("offer", ("offer", "price", "discount", "special", "deal", "coupon")),
    ("video", ("video",)),
)
"""Words in an ad creative's name that reveal its kind, in `CREATIVE_KINDS` order (first match wins)."""
_PROMO_WORDS = ("special", "offer", "promo", "discount", "deal", "free", "coupon")

FEATURE_NAMES: tuple[str, ...] = (
    "channel",
    "treatment_interest",
    "campaign_is_promo",
    "ad_creative_kind",
    "keyword_match_type",
    "pages_visited",
    "time_on_site_seconds",
    "form_completion_seconds",
    "device_type",
    "age_years",
    "distance_miles",
    "hour_local",
    "weekday_local",
    "month",
    "last_dental_visit",
    "message_length",
    "message_urgent",
    "message_insurance",
    "message_no_insurance",
    "message_provider_request",
    "message_price_shopping",
)
"""Column order of every feature vector; stored in each model card, never inside the booster."""

CATEGORICAL_FEATURES = {
    "channel": CHANNELS,
    "treatment_interest": TREATMENTS,
    "ad_creative_kind": CREATIVE_KINDS,
    "keyword_match_type": MATCH_TYPES,
    "device_type": DEVICES,
}
"""Features holding a code into a vocabulary (the logistic baseline one-hot encodes them)."""

_CODES = {
    name: {value: float(i) for i, value in enumerate(vocab)} for name, vocab in CATEGORICAL_FEATURES.items()
}
_TREATMENT_CODES = _CODES["treatment_interest"]
_VISIT_CODES = {v: float(i) for i, v in enumerate(LAST_VISITS)}
NAN = math.nan


@dataclass(frozen=True, slots=True)
class ScoringInput:
    """What the scorer may know about one lead when it arrives (any field may be missing)."""

    message: str | None = None
    treatment_interest: str | None = None
    channel: str | None = None
    utm_campaign: str | None = None
    ad_creative: str | None = None
    keyword_match_type: str | None = None
    pages_visited: int | None = None
    time_on_site_seconds: int | None = None
    form_completion_seconds: int | None = None
    device_type: str | None = None
    age_range: str | None = None
    age_years: int | None = None
    distance_miles: float | None = None
    received_at_local: datetime | None = None  # aware, in the location's time zone
    time_of_day_known: bool = True
    """False for a history row that gave a date without a time: the hour is missing, not midnight."""
    last_dental_visit: str | None = None
    provider_names: tuple[str, ...] = ()


def _text(value: Any) -> str | None:
    """A stripped string, or None for missing, blank or non-text values."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return text or None


def _count(value: Any) -> int | None:
    """A non-negative whole number from an int, float or numeric string; None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None


def _age_from_birth_date(value: Any, on: date) -> int | None:
    """Whole years between a YYYY-MM-DD birth date and `on`; None when unparseable or implausible."""
    text = _text(value)
    if text is None:
        return None
    try:
        born = date.fromisoformat(text[:10])
    except ValueError:
        return None
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years if 0 <= years <= 120 else None


def _first_known(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


def _whole_age(value: Any) -> int | None:
    """An age in whole years given directly (a history export's "Patient Age"); None when implausible."""
    years = _count(value)
    return years if years is not None and years <= 120 else None


_CODED_FIELDS = ("treatment_interest", "keyword_match_type", "device_type", "age_range", "last_dental_visit")


def scoring_input_from_inquiry(
    fields: Mapping[str, Any],
    *,
    received_at_local: datetime | None,
    distance_miles: float | None,
    channel: str | None,
    provider_names: Sequence[str] = (),
    time_of_day_known: bool = True,
) -> ScoringInput:
    """The scoring view of a flat inquiry payload; odd values become missing rather than errors."""
    lowered = {k: (_text(fields.get(k)) or "").lower() or None for k in _CODED_FIELDS}
    on = received_at_local.date() if received_at_local is not None else date.today()
    return ScoringInput(
        message=_text(fields.get("message")),
        treatment_interest=lowered["treatment_interest"],
        channel=channel,
        utm_campaign=_text(fields.get("utm_campaign")),
        ad_creative=_text(fields.get("ad_creative")),
        keyword_match_type=lowered["keyword_match_type"],
        pages_visited=_count(fields.get("pages_visited")),
        time_on_site_seconds=_count(fields.get("time_on_site_seconds")),
        form_completion_seconds=_count(fields.get("form_completion_seconds")),
        device_type=lowered["device_type"],
        age_range=lowered["age_range"],
        age_years=_first_known(
            _age_from_birth_date(fields.get("date_of_birth"), on), _whole_age(fields.get("age"))
        ),
        distance_miles=_finite(distance_miles),
        received_at_local=received_at_local,
        time_of_day_known=time_of_day_known,
        last_dental_visit=lowered["last_dental_visit"],
        provider_names=tuple(provider_names),
    )


def _finite(value: Any) -> float | None:
    """A finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _creative_kind(creative: str | None) -> float:
    if not creative:
        return NAN
    name = creative.lower()
    for index, (_, words) in enumerate(_CREATIVE_WORDS):
        if any(word in name for word in words):
            return float(index)
    return float(len(_CREATIVE_WORDS))  # "other"


def _number(value: float | int | None) -> float:
    return NAN if value is None else float(value)


def feature_vector(inp: ScoringInput) -> np.ndarray:
    """The model's input for one lead, in `FEATURE_NAMES` order (float32, NaN = missing)."""
    signals = read_message(inp.message, inp.provider_names)
    campaign = (inp.utm_campaign or "").lower()
    age = inp.age_years if inp.age_years is not None else AGE_RANGE_YEARS.get(inp.age_range or "")
    when = inp.received_at_local
    has_message = inp.message is not None
    return np.array(
        (
            _CODES["channel"].get(inp.channel or "", NAN),
            _TREATMENT_CODES.get(inp.treatment_interest or "", NAN),
            float(any(word in campaign for word in _PROMO_WORDS)) if campaign else NAN,
            _creative_kind(inp.ad_creative),
            _CODES["keyword_match_type"].get(inp.keyword_match_type or "", NAN),
            _number(inp.pages_visited),
            _number(inp.time_on_site_seconds),
            _number(inp.form_completion_seconds),
            _CODES["device_type"].get(inp.device_type or "", NAN),
            _number(age),
            _number(inp.distance_miles),
            NAN if when is None or not inp.time_of_day_known else float(when.hour),
            NAN if when is None else float(when.weekday()),
            NAN if when is None else float(when.month),
            _VISIT_CODES.get(inp.last_dental_visit or "", NAN),
            float(len(inp.message)) if has_message else NAN,
            float(signals.urgent),
            float(signals.insurance),
            float(signals.no_insurance),
            float(signals.provider_request),
            float(signals.price_shopping),
        ),
        dtype=np.float32,
    )


def feature_matrix(inputs: Iterable[ScoringInput]) -> np.ndarray:
    """Feature vectors of many leads stacked as rows: `feature_vector` per row, nothing else."""
    rows = [feature_vector(inp) for inp in inputs]
    if not rows:
        return np.empty((0, len(FEATURE_NAMES)), dtype=np.float32)
    return np.vstack(rows)
