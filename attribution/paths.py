"""Touchpoint paths in the conventional aggregated form: distinct channel sequences with their outcomes.

A path is the ordered channels one prospective patient touched before booking (a conversion) or
going nowhere (a null). Aggregated, each distinct path carries how many journeys along it converted,
how many did not, and optionally the value they converted for.

Paths are kept exactly as recorded here, repeated consecutive touches included (A > A > B is three
touches). `AggregatedPaths.collapsed` merges such repeats (A > B), which is what the Markov models do
by default; the heuristic models credit every recorded touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

Path = tuple[str, ...]
"""One journey's channels, first touch first."""


@dataclass(frozen=True, eq=False)
class EncodedPaths:
    """Paths flattened into parallel integer arrays, one entry per touch, so models run in numpy."""

    channels: tuple[str, ...]
    codes: np.ndarray
    """Index into `channels` of each touch."""
    rows: np.ndarray
    """Index of the path each touch belongs to."""
    positions: np.ndarray
    """Zero-based position of each touch within its path."""
    lengths: np.ndarray
    """Number of touches of each path (one entry per path, not per touch)."""

    @property
    def is_last(self) -> np.ndarray:
        """Mask of the touches that end their path."""
        return self.positions == self.lengths[self.rows] - 1


def _as_amounts(values: Iterable[float] | np.ndarray, *, name: str) -> np.ndarray:
    """A float64 array of non-negative finite amounts, or a ValueError naming the column."""
    amounts = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(amounts)) or np.any(amounts < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    return amounts


@dataclass(frozen=True, eq=False)
class AggregatedPaths:
    """Distinct touchpoint paths with how many journeys along each converted and how many did not."""

    paths: tuple[Path, ...]
    conversions: np.ndarray
    nulls: np.ndarray
    values: np.ndarray | None = None
    """Total conversion value per path, when the source records it."""

    def __post_init__(self) -> None:
        paths = tuple(tuple(path) for path in self.paths)
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "conversions", _as_amounts(self.conversions, name="conversions"))
        object.__setattr__(self, "nulls", _as_amounts(self.nulls, name="nulls"))
        if self.values is not None:
            object.__setattr__(self, "values", _as_amounts(self.values, name="values"))
        columns = [self.conversions, self.nulls] + ([self.values] if self.values is not None else [])
        if any(len(column) != len(paths) for column in columns):
            raise ValueError("paths, conversions, nulls and values must have one entry per path")
        if any(len(path) == 0 for path in paths):
            raise ValueError("a path needs at least one touch")

    @classmethod
    def merged(
        cls,
        paths: Iterable[Sequence[str]],
        conversions: Iterable[float],
        nulls: Iterable[float],
        values: Iterable[float] | None = None,
    ) -> AggregatedPaths:
        """Rows summed per distinct path, in order of first appearance (files may repeat a path)."""
        index: dict[Path, int] = {}
        codes = np.fromiter((index.setdefault(tuple(path), len(index)) for path in paths), dtype=np.int64)
        size = len(index)

        def summed(column: Iterable[float], name: str) -> np.ndarray:
            amounts = _as_amounts(list(column), name=name)
            if len(amounts) != len(codes):
                raise ValueError("paths, conversions, nulls and values must have one entry per path")
            return np.bincount(codes, weights=amounts, minlength=size)

        return cls(
            paths=tuple(index),
            conversions=summed(conversions, "conversions"),
            nulls=summed(nulls, "nulls"),
            values=None if values is None else summed(values, "values"),
        )

    @classmethod
    def one_row_per_journey(
        cls,
        journeys: Sequence[Sequence[str]],
        converted: Sequence[bool] | np.ndarray,
        values: Sequence[float] | np.ndarray | None = None,
    ) -> AggregatedPaths:
        """Individual journeys kept as separate rows, so per-touch timestamps stay aligned with them."""
        outcome = np.asarray(converted, dtype=bool)
        return cls(
            paths=tuple(tuple(journey) for journey in journeys),
            conversions=outcome.astype(np.float64),
            nulls=(~outcome).astype(np.float64),
            values=None if values is None else np.where(outcome, np.asarray(values, dtype=np.float64), 0.0),
        )

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def total_conversions(self) -> float:
        """Conversions over all paths."""
        return float(self.conversions.sum())

    @property
    def total_nulls(self) -> float:
        """Journeys that ended without converting, over all paths."""
        return float(self.nulls.sum())

    @property
    def total_value(self) -> float | None:
        """Conversion value over all paths, or None when the source has no value column."""
        return None if self.values is None else float(self.values.sum())

    @property
    def observed_conversion_rate(self) -> float:
        """Conversions over journeys; 0 when there are no journeys at all."""
        journeys = self.total_conversions + self.total_nulls
        return self.total_conversions / journeys if journeys > 0 else 0.0

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel on any path, sorted by name."""
        return self.encoded.channels

    @cached_property
    def encoded(self) -> EncodedPaths:
        """The paths as numpy arrays (computed once per instance)."""
        channels = tuple(sorted({channel for path in self.paths for channel in path}))
        code_of = {channel: code for code, channel in enumerate(channels)}
        lengths = np.fromiter((len(path) for path in self.paths), dtype=np.int64, count=len(self.paths))
        total = int(lengths.sum())
        codes = np.fromiter(
            (code_of[channel] for path in self.paths for channel in path), dtype=np.int64, count=total
        )
        rows = np.repeat(np.arange(len(self.paths), dtype=np.int64), lengths)
        starts = np.cumsum(lengths) - lengths
        positions = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
        return EncodedPaths(channels=channels, codes=codes, rows=rows, positions=positions, lengths=lengths)

    def amounts(self, basis: str) -> np.ndarray:
        """Per-path conversions or conversion value, whichever the credit is counted in."""
        if basis == "conversions":
            return self.conversions
        if basis == "value":
            if self.values is None:
                raise ValueError("these paths carry no conversion value")
            return self.values
        raise ValueError(f"basis must be 'conversions' or 'value', not {basis!r}")

    def collapsed(self) -> AggregatedPaths:
        """Repeated consecutive touches of one channel merged (A > A > B becomes A > B), rows re-summed."""
        collapsed_paths = [
            tuple(channel for i, channel in enumerate(path) if i == 0 or path[i - 1] != channel)
            for path in self.paths
        ]
        return AggregatedPaths.merged(collapsed_paths, self.conversions, self.nulls, self.values)

    def with_journeys(self) -> AggregatedPaths:
        """Only the rows that carry at least one journey (a row of zeros says nothing)."""
        keep = (self.conversions + self.nulls) > 0
        if keep.all():
            return self
        return AggregatedPaths(
            paths=tuple(path for path, kept in zip(self.paths, keep, strict=True) if kept),
            conversions=self.conversions[keep],
            nulls=self.nulls[keep],
            values=None if self.values is None else self.values[keep],
        )
