"""The models page's decisions: a version's card as a page, promotion and rollback with a reason."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from router.core.domain import Domain
from router.core.errors import InvalidFields
from router.scores.model_admin import METRIC_WORDS, load_card, promote_from_page, roll_back_from_page
from scoring.card import FEATURE_DESCRIPTIONS
from web.admin.common import submitted
from web.models_page import render_models_page
from web.sessions import actor_of, current_session

COLUMN_WORDS = {
    "xgboost": "This model",
    "logistic": "A simple baseline",
    "true_probability": "Best possible (simulated data)",
}


@get("/models/versions/{version:str}", include_in_schema=False)
async def model_card_page(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain], version: FromPath[str]
) -> Template | Redirect:
    """The model card of one version: data, holdout results, calibration plot, features, limits."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    row = await load_card(domain, signed_in.viewer, version)
    return Template(
        "model_card.html",
        context={
            "viewer": signed_in.viewer,
            "current_page": "models",
            "v": row,
            "card": row.card or {},
            "metric_words": METRIC_WORDS,
            "column_words": COLUMN_WORDS,
            "feature_words": FEATURE_DESCRIPTIONS,
        },
    )


@post("/models/promote", include_in_schema=False)
async def model_promote(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Promote a candidate with a reason (the rule must agree, unless overridden)."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    form = await submitted(request)
    try:
        done = await promote_from_page(
            domain,
            signed_in.viewer,
            str(form.get("version", "")),
            reason=str(form.get("reason", "")),
            override=form.get("override") == "1",
            actor=actor_of(request, signed_in),
        )
    except InvalidFields as exc:
        return await render_models_page(
            domain, signed_in.viewer, errors=exc.errors, values=form, status_code=422
        )
    notice = f"{done['version']} now scores your new leads" + (
        f"; {done['replaced']} is retired and can be restored with a rollback." if done["replaced"] else "."
    )
    return await render_models_page(domain, signed_in.viewer, notice=notice)


@post("/models/rollback", include_in_schema=False)
async def model_roll_back(
    request: Request[Any, Any, Any], domain: NamedDependency[Domain]
) -> Template | Redirect:
    """Put the previous model back, with a reason."""
    signed_in = await current_session(request, domain)
    if signed_in is None:
        return Redirect("/login")
    form = await submitted(request)
    try:
        done = await roll_back_from_page(
            domain,
            signed_in.viewer,
            reason=str(form.get("rollback_reason", "")),
            actor=actor_of(request, signed_in),
        )
    except InvalidFields as exc:
        return await render_models_page(
            domain, signed_in.viewer, errors=exc.errors, values=form, status_code=422
        )
    return await render_models_page(
        domain, signed_in.viewer, notice=f"Rolled back: {done['version']} scores your new leads again."
    )
