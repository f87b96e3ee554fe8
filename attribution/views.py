"""The simplified view practice managers asked for: was a channel the primary reason, or did it help?

Primary channel of a converting path (the rule): among the path's distinct channels, the one with
the highest data-driven (Markov) removal effect; on a tie, the one touched closest to the booking
(its last occurrence is latest). Every other channel on the path merely contributed. Counts are in
conversions, so a path converting 12 times counts 12 times. One-channel paths make it primary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from attribution.paths import AggregatedPaths, Path

MULTI_TOUCH_THRESHOLD = 3
"""Managers asked how many bookings needed three or more touchpoints: beyond two the
'which ad worked' question stops having a one-channel answer."""


@dataclass(frozen=True)
class ChannelRole:
    """How often a channel was the primary channel of a conversion, and how often it only contributed."""

    channel: str
    primary: float
    contributing: float

    @property
    def conversions_touched(self) -> float:
        """Conversions whose path included the channel at all."""
        return self.primary + self.contributing

    @property
    def primary_share(self) -> float:
        """Of the conversions the channel was on, the share where it was primary (0 when on none)."""
        touched = self.conversions_touched
        return self.primary / touched if touched > 0 else 0.0


def primary_channel(path: Path, removal_effects: Mapping[str, float]) -> str:
    """The path's primary channel: highest removal effect, ties to the channel touched latest."""
    last_seen = {channel: position for position, channel in enumerate(path)}
    return max(last_seen, key=lambda channel: (removal_effects.get(channel, 0.0), last_seen[channel]))


def channel_roles(paths: AggregatedPaths, removal_effects: Mapping[str, float]) -> list[ChannelRole]:
    """Primary and contributing conversions of every channel, in channel-name order."""
    primary = dict.fromkeys(paths.channels, 0.0)
    contributing = dict.fromkeys(paths.channels, 0.0)
    for path, conversions in zip(paths.paths, paths.conversions, strict=True):
        if conversions <= 0:
            continue
        lead_channel = primary_channel(path, removal_effects)
        primary[lead_channel] += float(conversions)
        for channel in set(path) - {lead_channel}:
            contributing[channel] += float(conversions)
    return [
        ChannelRole(channel=channel, primary=primary[channel], contributing=contributing[channel])
        for channel in paths.channels
    ]


def multi_touch_share(paths: AggregatedPaths, *, min_touches: int = MULTI_TOUCH_THRESHOLD) -> float:
    """Share of conversions whose path had at least `min_touches` recorded touches (0 with no conversions)."""
    total = paths.total_conversions
    if total <= 0:
        return 0.0
    long_enough = paths.encoded.lengths >= min_touches
    return float(paths.conversions[long_enough].sum() / total)
