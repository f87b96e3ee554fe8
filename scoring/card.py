"""The model card of a version, as Markdown for people and JSON for machines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from scoring.features import FEATURE_NAMES

FEATURE_DESCRIPTIONS = {
    "channel": "marketing channel (code into scoring.channels.CHANNELS)",
    "treatment_interest": "treatment asked about (code into TREATMENTS)",
    "campaign_is_promo": "1 if the campaign name says offer/special/free/discount",
    "ad_creative_kind": "ad creative kind read from its name (testimonial, before/after, offer, video)",
    "keyword_match_type": "search keyword match type (exact, phrase, broad)",
    "pages_visited": "pages viewed before the inquiry",
    "time_on_site_seconds": "seconds on the website",
    "form_completion_seconds": "seconds spent filling in the form",
    "device_type": "mobile, desktop or tablet",
    "age_years": "age from date of birth, else the middle of the age range",
    "distance_miles": "miles from the ZIP centre to the nearest office",
    "hour_local": "hour of day in the office's time zone",
    "weekday_local": "weekday in the office's time zone (0 = Monday)",
    "month": "calendar month (seasonality)",
    "last_dental_visit": "recency of the last dental visit (0 = under 6 months .. 4 = never)",
    "message_length": "characters in the free-text message",
    "message_urgent": "message sounds urgent (pain, today, ASAP; negations excluded)",
    "message_insurance": "message mentions insurance or a carrier",
    "message_no_insurance": "message says they have no insurance / self-pay",
    "message_provider_request": "message names one of the practice's providers",
    "message_price_shopping": "message asks about price",
}
"""What each column means; the booster itself holds no names (the ONNX converter refuses them)."""

_METRIC_ROWS = (
    ("ROC AUC", "roc_auc"),
    ("accuracy at 0.5", "accuracy"),
    ("Brier score", "brier"),
    ("calibration slope (1 is ideal)", "calibration_slope"),
    ("mean prediction", "mean_prediction"),
    ("conversion rate", "conversion_rate"),
    ("top / bottom quartile conversion", "top_bottom_quartile_ratio"),
)


def model_card(
    *,
    version: str,
    metrics: dict,
    windows: dict,
    params: dict,
    calibration: tuple[float, float],
    parity: float,
    base_rate: float,
    plots: tuple[str, ...],
    refit: dict | None = None,
    source: str | None = None,
    trained_at: datetime,
) -> tuple[str, dict]:
    """Markdown and JSON cards holding the same facts."""
    card = {
        "version": version,
        "trained_at": trained_at.astimezone(UTC).isoformat(timespec="seconds"),
        "model": "XGBoost binary:logistic, Platt-calibrated margin, served as ONNX",
        "feature_names": list(FEATURE_NAMES),
        "feature_descriptions": FEATURE_DESCRIPTIONS,
        "windows": windows,
        "hyperparameters": {k: v for k, v in params.items() if isinstance(v, int | float | str)},
        "calibration": {"slope": calibration[0], "intercept": calibration[1]},
        "onnx_parity_max_difference": parity,
        "base_rate": base_rate,
        "metrics": metrics,
        "plots": list(plots),
        "refit": refit,
        "history_source": source,
    }
    lines = [
        f"# Lead score model {version}",
        "",
        "Predicts the probability that a new inquiry becomes a patient; the score is that probability x 100.",
        "",
        *_data_section(windows, base_rate, refit, source),
        *_results_section(metrics),
        f"Platt calibration on the margin: slope {calibration[0]:.3f}, intercept {calibration[1]:.3f}. "
        f"ONNX vs XGBoost largest probability difference on the holdout: {parity:.1e}.",
        "",
        "## Features",
        "",
        *(f"{i}. `{name}`: {FEATURE_DESCRIPTIONS[name]}" for i, name in enumerate(FEATURE_NAMES)),
        "",
        "## Plots",
        "",
        *(f"- ![{p}]({p})" for p in plots),
        "",
        "## Limits",
        "",
        "- Trained on outcomes known so far: recent leads may still convert, so recent rates read low.",
        "- Text signals come from keyword rules; unusual phrasings are missed.",
        "- Reasons are TreeSHAP contributions in score points: they describe the model, not causes.",
        "",
    ]
    json.dumps(card)  # fail here, not in the registry, if something is not serialisable
    return "\n".join(lines), card


def _data_section(windows: dict, base_rate: float, refit: dict | None, source: str | None) -> list[str]:
    """What the model was trained on: the history, its windows, and the refit that is served."""
    served = (
        [
            f"- served model: refit on the fit and calibration windows ({refit['rows']} leads) after "
            f"evaluation, keeping the calibration; the trees fitted on the fit window alone scored "
            f"holdout AUC {refit['fit_window_auc']:.3f}"
        ]
        if refit
        else []
    )
    return [
        "## Data",
        "",
        *([f"- history: {source}"] if source else []),
        *(f"- {name}: {w['rows']} leads, {w['from'][:10]} to {w['to'][:10]}" for name, w in windows.items()),
        f"- conversion rate in training: {base_rate:.1%}",
        *served,
        "",
    ]


def _results_section(metrics: dict) -> list[str]:
    """The holdout metrics of every model, and the served model's reliability table."""
    columns = list(metrics)
    return [
        "## Holdout results (most recent months, never used for fitting)",
        "",
        "| metric | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
        *(
            f"| {label} | " + " | ".join(f"{metrics[c][key]:.3f}" for c in columns) + " |"
            for label, key in _METRIC_ROWS
        ),
        "",
        "`true_probability` (when present) is the simulator's own probability: the best any model could do.",
        "",
        "## Calibration (holdout, xgboost)",
        "",
        "| predicted | observed | leads |",
        "|---|---|---|",
        *(
            f"| {b['predicted']:.3f} | {b['observed']:.3f} | {b['count']} |"
            for b in metrics["xgboost"]["reliability"]
        ),
        "",
    ]
