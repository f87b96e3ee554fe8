"""Attribution: which marketing channels earn the practice's bookings, from patients' touchpoint paths.

Pure functions over aggregated paths (no HTTP, HTML or SQL), usable in a notebook: read a path file
or aggregate journeys, then `attribute` runs the exact Markov removal-effect model and the heuristics.
pandas is only imported by the DataFrame entry points in `attribution.frames`.
"""

from attribution.budget import BudgetMove, budget_reallocation, cost_per_acquisition
from attribution.frames import attribute_frame, budget_frame, credit_frame, paths_from_frame, roles_frame
from attribution.heuristics import (
    DEFAULT_HALF_LIFE,
    first_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from attribution.journey_paths import aggregate_journeys
from attribution.markov import AbsorbingChain, MarkovResult, build_chain, markov_model
from attribution.pathfile import (
    PathFile,
    PathFileError,
    RowProblem,
    parse_path,
    read_path_file,
    write_path_file,
)
from attribution.paths import AggregatedPaths, Path
from attribution.report import MODELS, AttributionReport, attribute
from attribution.shapley import shapley
from attribution.views import ChannelRole, channel_roles, multi_touch_share, primary_channel

__all__ = [
    "DEFAULT_HALF_LIFE",
    "MODELS",
    "AbsorbingChain",
    "AggregatedPaths",
    "AttributionReport",
    "BudgetMove",
    "ChannelRole",
    "MarkovResult",
    "Path",
    "PathFile",
    "PathFileError",
    "RowProblem",
    "aggregate_journeys",
    "attribute",
    "attribute_frame",
    "budget_frame",
    "budget_reallocation",
    "build_chain",
    "channel_roles",
    "cost_per_acquisition",
    "credit_frame",
    "first_touch",
    "last_touch",
    "linear",
    "markov_model",
    "multi_touch_share",
    "parse_path",
    "paths_from_frame",
    "position_based",
    "primary_channel",
    "read_path_file",
    "roles_frame",
    "shapley",
    "time_decay",
    "write_path_file",
]
