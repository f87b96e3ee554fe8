"""The fitted model's m and u probabilities as a Markdown table, for the docs and the command."""

from __future__ import annotations

import math


def weights_table(model: dict) -> str:
    """One row per field and level: m, u and the match weight log2(m/u) a pair gains there."""
    rows = [
        "| field | level | m (share of matches) | u (share of non-matches) | weight log2(m/u) |",
        "|---|---|---:|---:|---:|",
    ]
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = f"{math.log2(m / u):+.2f}" if m and u else "n/a"
            rows.append(
                f"| {comparison['output_column_name']} | {level['label_for_charts']} "
                f"| {_share(m)} | {_share(u)} | {weight} |"
            )
    prior = model["probability_two_random_records_match"]
    rows.append(f"\nPrior: two random records are the same person with probability {prior:.3g}.")
    return "\n".join(rows)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
