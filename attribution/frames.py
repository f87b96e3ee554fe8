"""DataFrame entry points, so attribution runs in a notebook on a pandas frame of paths.

pandas is imported inside these functions only: `import attribution` stays light for the worker and
the command line, which never build a frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from attribution.pathfile import (
    CONVERSIONS_COLUMN,
    DEFAULT_SEPARATOR,
    NULL_COLUMN,
    PATH_COLUMN,
    VALUE_COLUMN,
    parse_path,
)
from attribution.paths import AggregatedPaths
from attribution.report import MODELS, AttributionReport, attribute

if TYPE_CHECKING:
    import pandas as pd


def paths_from_frame(frame: pd.DataFrame, *, sep: str = DEFAULT_SEPARATOR) -> AggregatedPaths:
    """Aggregated paths from a frame with the path-file columns; `path` may hold strings or lists."""
    missing = [name for name in (PATH_COLUMN, CONVERSIONS_COLUMN, NULL_COLUMN) if name not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks column(s) {', '.join(missing)}")
    paths = [
        parse_path(cell, sep=sep) if isinstance(cell, str) else tuple(str(channel) for channel in cell)
        for cell in frame[PATH_COLUMN]
    ]
    values = frame[VALUE_COLUMN].fillna(0.0).to_numpy() if VALUE_COLUMN in frame.columns else None
    return AggregatedPaths.merged(
        paths, frame[CONVERSIONS_COLUMN].to_numpy(), frame[NULL_COLUMN].to_numpy(), values
    )


def credit_frame(report: AttributionReport) -> pd.DataFrame:
    """One row per channel: removal effect, then credited conversions under every model."""
    import pandas as pd

    table = pd.DataFrame({model: report.credits[model] for model in MODELS}, index=list(report.channels))
    table.insert(0, "removal_effect", pd.Series(report.markov.removal_effects))
    table.index.name = "channel"
    return table


def roles_frame(report: AttributionReport) -> pd.DataFrame:
    """One row per channel: conversions where it was primary, where it only contributed, primary share."""
    import pandas as pd

    rows: list[dict[str, Any]] = [
        {
            "channel": role.channel,
            "primary": role.primary,
            "contributing": role.contributing,
            "primary_share": role.primary_share,
        }
        for role in report.roles
    ]
    return pd.DataFrame(rows, columns=["channel", "primary", "contributing", "primary_share"]).set_index(
        "channel"
    )


def budget_frame(report: AttributionReport, spend: Mapping[str, float]) -> pd.DataFrame:
    """One row per paid channel: spend and credit shares, implied move, and cost per booking per model."""
    import pandas as pd

    moves = report.budget_reallocation(spend)
    table = pd.DataFrame(
        {
            "spend": [move.spend for move in moves],
            "spend_share": [move.spend_share for move in moves],
            "credit_share": [move.credit_share for move in moves],
            "suggested_spend": [move.suggested_spend for move in moves],
            "implied_move": [move.implied_move for move in moves],
        },
        index=pd.Index([move.channel for move in moves], name="channel"),
    )
    for model, costs in report.cost_per_acquisition(spend).items():
        table[f"cpa_{model}"] = pd.Series(costs, dtype="float64")
    return table


def attribute_frame(
    frame: pd.DataFrame,
    *,
    sep: str = DEFAULT_SEPARATOR,
    order: int = 1,
    collapse_repeats: bool = True,
) -> pd.DataFrame:
    """The credit table of every model for a frame of aggregated paths."""
    paths = paths_from_frame(frame, sep=sep)
    return credit_frame(attribute(paths, order=order, collapse_repeats=collapse_repeats))
