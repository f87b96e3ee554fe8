"""Individual multi-touch journeys for the attribution benchmark, vectorised with numpy.

Generative model: a journey has 1 + Geometric touches (capped at `MAX_TOUCHES`). The first touch is
drawn from awareness channels (social, paid social, direct mail, review sites), middle touches from
a mixed nurture distribution, and the last touch from closers (branded search ads, organic search,
direct visits, calls). The person's treatment interest is drawn as in the practice model. The
conversion log-odds reuse the practice model's drivers (`simulator.model`): the closing channel's
full effect, half the effect of each earlier touch, the interest effect, and +0.2 per extra touch
(up to 4) because repeated engagement signals intent. Values follow the practice model's
treatment values.
"""

from __future__ import annotations

import numpy as np

from scoring.channels import CHANNELS
from simulator.model import CHANNEL_EFFECT, INTEREST_EFFECT, TREATMENT_VALUE, VALUE_SIGMA

MAX_TOUCHES = 8
"""Longest journey: practices rarely see more than a handful of tracked touches per patient."""

CONTINUE_PROBABILITY = 0.55
"""Chance a journey has another touch; gives a mean length of about 2.2 touches."""

JOURNEY_INTERCEPT = -2.6
"""Most people who touch a practice's marketing never book: about a 10% journey conversion rate."""

EXTRA_TOUCH_EFFECT = 0.2
"""Log-odds per touch beyond the first (capped at four extra touches)."""

_FIRST_TOUCH = {
    "social": 0.24,
    "facebook_ads": 0.22,
    "direct_mail": 0.14,
    "referral_site": 0.12,
    "organic_search": 0.12,
    "google_ads": 0.08,
    "email": 0.03,
    "physician_referral": 0.05,
}
_MIDDLE_TOUCH = {
    "social": 0.12,
    "facebook_ads": 0.14,
    "email": 0.2,
    "organic_search": 0.16,
    "referral_site": 0.12,
    "google_ads": 0.12,
    "direct": 0.1,
    "direct_mail": 0.04,
}
_LAST_TOUCH = {
    "google_ads": 0.34,
    "organic_search": 0.22,
    "direct": 0.18,
    "phone": 0.12,
    "email": 0.06,
    "chat": 0.04,
    "walk_in": 0.02,
    "physician_referral": 0.02,
}
_INTEREST_SHARE = {
    "general": 0.26,
    "cleaning": 0.16,
    "implants": 0.1,
    "orthodontics": 0.12,
    "invisalign": 0.1,
    "cosmetic": 0.08,
    "emergency": 0.08,
    "pediatric": 0.06,
    "other": 0.04,
}

_CHANNEL_NAMES = np.array(CHANNELS, dtype=object)
_EFFECTS = np.array([CHANNEL_EFFECT[c] for c in CHANNELS])
_INTERESTS = tuple(_INTEREST_SHARE)


def _distribution(shares: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Channel indices and normalised probabilities of a share table."""
    index = np.array([CHANNELS.index(c) for c in shares])
    weights = np.array(list(shares.values()))
    return index, weights / weights.sum()


def simulate_journeys(n: int, seed: int) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """`n` journeys (channel names in touch order), whether each converted, and its value in dollars."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(1.0 - CONTINUE_PROBABILITY, size=n), MAX_TOUCHES)
    touches = np.empty((n, MAX_TOUCHES), dtype=np.int64)
    for column, shares in ((0, _FIRST_TOUCH), (slice(1, None), _MIDDLE_TOUCH)):
        index, p = _distribution(shares)
        shape = (n,) if column == 0 else (n, MAX_TOUCHES - 1)
        touches[:, column] = index[rng.choice(len(index), size=shape, p=p)]
    last_index, last_p = _distribution(_LAST_TOUCH)
    closers = last_index[rng.choice(len(last_index), size=n, p=last_p)]
    multi = lengths > 1
    touches[np.flatnonzero(multi), lengths[multi] - 1] = closers[multi]

    position = np.arange(MAX_TOUCHES)
    earlier = position[None, :] < (lengths - 1)[:, None]
    last_effect = _EFFECTS[touches[np.arange(n), lengths - 1]]
    earlier_effect = 0.5 * np.where(earlier, _EFFECTS[touches], 0.0).sum(axis=1)

    interest_p = np.array(list(_INTEREST_SHARE.values()))
    interests = rng.choice(len(_INTERESTS), size=n, p=interest_p / interest_p.sum())
    interest_effect = np.array([INTEREST_EFFECT[i] for i in _INTERESTS])[interests]
    logit = (
        JOURNEY_INTERCEPT
        + last_effect
        + earlier_effect
        + interest_effect
        + EXTRA_TOUCH_EFFECT * np.minimum(lengths - 1, 4)
    )
    converted = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    medians = np.array([TREATMENT_VALUE[i] for i in _INTERESTS])[interests]
    values = np.where(converted, medians * rng.lognormal(0.0, VALUE_SIGMA, size=n), 0.0)
    return _as_lists(touches, lengths), converted, values


def _as_lists(touches: np.ndarray, lengths: np.ndarray) -> list[list[str]]:
    """Channel-name lists per journey, built one length group at a time (fast for millions)."""
    journeys: list[list[str]] = [[] for _ in range(len(lengths))]
    for length in range(1, MAX_TOUCHES + 1):
        rows = np.flatnonzero(lengths == length)
        if rows.size == 0:
            continue
        names = _CHANNEL_NAMES[touches[rows, :length]].tolist()
        for row, journey in zip(rows.tolist(), names, strict=True):
            journeys[row] = journey
    return journeys
