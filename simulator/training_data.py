"""Simulated inquiries -> scoring inputs, through the same path as the live intake.

payload -> `scoring.channels.classify_channel` -> `scoring.geo.distance_miles` (ZIP to nearest
office) -> `scoring.features.scoring_input_from_inquiry`, so the text-to-feature path is exercised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from scoring.channels import classify_channel
from scoring.features import ScoringInput, scoring_input_from_inquiry
from scoring.geo import distance_miles
from simulator.inquiries import SimulatedInquiry
from simulator.practices import PracticeSpec, demo_practices


@dataclass(slots=True)
class TrainingSet:
    """Scoring inputs with their outcomes, receive times and the simulator's true probabilities."""

    inputs: list[ScoringInput]
    labels: np.ndarray
    received_at: list
    true_probabilities: np.ndarray


def scoring_input_for(inquiry: SimulatedInquiry, practice: PracticeSpec) -> ScoringInput:
    """The scoring input the intake would build for this inquiry's payload."""
    payload = inquiry.payload
    channel = classify_channel(
        utm_source=payload.get("utm_source"),
        utm_medium=payload.get("utm_medium"),
        gclid=payload.get("gclid"),
        fbclid=payload.get("fbclid"),
        referrer=payload.get("referrer"),
    )
    location = practice.location(inquiry.location_slug)
    coordinates = [(loc.latitude, loc.longitude) for loc in practice.locations]
    return scoring_input_from_inquiry(
        payload,
        received_at_local=inquiry.received_at.astimezone(ZoneInfo(location.time_zone)),
        distance_miles=distance_miles(payload.get("zip"), coordinates),
        channel=channel,
        provider_names=[p.name for p in practice.providers],
    )


def training_set(
    inquiries: Iterable[SimulatedInquiry], practices: list[PracticeSpec] | None = None
) -> TrainingSet:
    """Build the training set of simulated history (all practices pooled)."""
    by_slug = {p.slug: p for p in (practices if practices is not None else demo_practices())}
    inputs, labels, times, truth = [], [], [], []
    for inquiry in inquiries:
        inputs.append(scoring_input_for(inquiry, by_slug[inquiry.practice_slug]))
        labels.append(inquiry.converted)
        times.append(inquiry.received_at)
        truth.append(inquiry.true_probability)
    return TrainingSet(inputs, np.array(labels, dtype=bool), times, np.array(truth))
