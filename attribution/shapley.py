"""Shapley-value attribution in the simplified formulation over channel sets.

Take as the worth of a set of channels S the conversions of every path whose distinct channels all
lie in S. That game is a sum of one unanimity game per path, and the Shapley value of a unanimity
game splits its worth equally among its members; so the exact Shapley value shares each conversion
equally among the distinct channels of its path (Zhao et al., 2018, "Shapley value methods for
attribution modeling in online advertising"). Order and repeats within a path do not matter, and the
cost is linear in the number of paths instead of exponential in the number of channels.
"""

from __future__ import annotations

import numpy as np

from attribution.heuristics import Basis, Credit
from attribution.paths import AggregatedPaths


def shapley(paths: AggregatedPaths, *, basis: Basis = "conversions") -> Credit:
    """Each conversion shared equally among the distinct channels of its path."""
    encoded = paths.encoded
    channel_count = len(encoded.channels)
    memberships = np.unique(encoded.rows * channel_count + encoded.codes)
    rows, codes = np.divmod(memberships, max(channel_count, 1))
    distinct_per_path = np.bincount(rows, minlength=len(paths))
    shares = paths.amounts(basis)[rows] / distinct_per_path[rows]
    totals = np.bincount(codes, weights=shares, minlength=channel_count)
    return {channel: float(total) for channel, total in zip(encoded.channels, totals, strict=True)}
