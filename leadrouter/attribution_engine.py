"""The domain's attribution port backed by the `attribution` package: journeys to paths, paths to credit.

Lives in the composition root because `router/` may not import `attribution`: the domain builds plain
journeys and stores what `PackageAttributionEngine.attribute` returns (build_runtime injects it).
"""

from __future__ import annotations

from typing import Any, TextIO

from attribution import AggregatedPaths, AttributionReport, aggregate_journeys, attribute, write_path_file
from router.core.ports import AttributedRun
from router.marketing.journeys import PracticeJourneys


def aggregated(journeys: PracticeJourneys) -> AggregatedPaths:
    """The journeys summed per distinct path, with conversion value when any is known."""
    if not journeys.journeys:
        raise ValueError("no journeys in this window")
    return aggregate_journeys(
        [journey.channels for journey in journeys.journeys],
        [journey.converted for journey in journeys.journeys],
        [journey.value for journey in journeys.journeys] if journeys.has_values else None,
    )


def export_paths(journeys: PracticeJourneys, destination: TextIO) -> int:
    """Write the journeys as a conventional aggregated path file; returns the number of distinct paths."""
    paths = aggregated(journeys)
    write_path_file(paths, destination)
    return len(paths)


def run_results(
    report: AttributionReport, journeys: PracticeJourneys, spend: dict[str, dict[str, float]]
) -> dict[str, Any]:
    """What the page shows, computed once per run and stored, so an earlier run reads as it did."""
    credits = report.credits
    spend_amounts = {channel: figures["spend"] for channel, figures in spend.items()}
    cpa = report.cost_per_acquisition(spend_amounts)
    roles = {role.channel: role for role in report.roles}
    channels = sorted(set(report.channels) | set(spend), key=lambda c: -credits["markov"].get(c, 0.0))
    rows = []
    for channel in channels:
        role = roles.get(channel)
        rows.append(
            {
                "channel": channel,
                **{model: credits[model].get(channel, 0.0) for model in credits},
                "removal_effect": report.markov.removal_effects.get(channel, 0.0),
                "primary": role.primary if role else 0.0,
                "contributing": role.contributing if role else 0.0,
                "spend": spend.get(channel, {}).get("spend"),
                "impressions": spend.get(channel, {}).get("impressions"),
                "clicks": spend.get(channel, {}).get("clicks"),
                "cpa_last_touch": cpa["last_touch"].get(channel),
                "cpa_markov": cpa["markov"].get(channel),
                "value_markov": (report.value_credits or {}).get("markov", {}).get(channel),
            }
        )
    referred, referred_value = journeys.value_by_first_channel("physician_referral")
    return {
        "report": report.to_json_dict(),
        "channels": rows,
        "budget": [
            {
                "channel": move.channel,
                "spend": move.spend,
                "spend_share": move.spend_share,
                "credit_share": move.credit_share,
                "suggested_spend": move.suggested_spend,
                "implied_move": move.implied_move,
            }
            for move in report.budget_reallocation(spend_amounts)
        ],
        "spend_total": sum(spend_amounts.values()),
        "multi_touch_share": report.multi_touch_share,
        "journeys": len(journeys.journeys),
        "lead_journeys": sum(journey.lead_id is not None for journey in journeys.journeys),
        "stitched_visits": journeys.stitched_visits,
        "physician_referrals": {
            "patients": referred,
            "value": referred_value,
            "credit": credits["markov"].get("physician_referral", 0.0),
            "value_credit": (report.value_credits or {}).get("markov", {}).get("physician_referral"),
        },
        "warnings": list(report.warnings),
    }


class PackageAttributionEngine:
    """The `AttributionEngine` port: the `attribution` package's exact Markov model and heuristics."""

    def attribute(
        self, journeys: PracticeJourneys, spend: dict[str, dict[str, float]], *, order: int
    ) -> AttributedRun:
        report = attribute(aggregated(journeys), order=order)
        return AttributedRun(
            results=run_results(report, journeys, spend), conversions=float(report.total_conversions)
        )
