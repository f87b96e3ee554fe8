"""Refused actions: one hierarchy, answered in one place (web/problems.py) in the form the asker reads."""

from types import SimpleNamespace

import pytest
from litestar import Controller, Litestar, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.testing import TestClient

from router.core.clock import Clock
from router.core.errors import ActionRefused, LeadNotFound, NotPermitted, PhoneActionRefused
from router.privacy.passwords import PasswordRejected
from router.scores.promotion import PromotionRefused
from web.app import _template_globals
from web.paths import TEMPLATES_DIR
from web.problems import EXCEPTION_HANDLERS, REFUSALS_IN_PLACE, problem_details_plugin

REFUSALS = {
    "lead": LeadNotFound("No such lead."),
    "role": NotPermitted("Front desk staff cannot do this."),
    "phone": PhoneActionRefused("This number opted out of texts."),
    "password": PasswordRejected("Use at least 12 characters."),
    "promotion": PromotionRefused("v2 is worse than v1 on the holdout."),
}


@get("/refuse/{kind:str}", sync_to_thread=False)
def refuse(kind: str) -> None:
    raise REFUSALS[kind]


class Console(Controller):
    path = "/console"
    opt = {REFUSALS_IN_PLACE: True}

    @get("/refuse/{kind:str}", sync_to_thread=False)
    def refuse(self, kind: str) -> None:
        raise REFUSALS[kind]


@pytest.fixture
def client():
    app = Litestar(
        route_handlers=[refuse, Console],
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[problem_details_plugin()],
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: _template_globals(engine, SimpleNamespace(clock=Clock())),
        ),
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_every_refusal_is_problem_json_for_scripts_a_page_for_browsers_a_fragment_in_place(client, kind):
    refusal = REFUSALS[kind]
    assert isinstance(refusal, ActionRefused)

    script = client.get(f"/refuse/{kind}", headers={"accept": "application/json"})
    assert script.status_code == refusal.status_code
    assert script.headers["content-type"].startswith("application/problem+json")
    assert script.json()["title"] == refusal.title and script.json()["detail"] == str(refusal)

    page = client.get(f"/refuse/{kind}", headers={"accept": "text/html"})
    assert page.status_code == refusal.status_code
    assert page.headers["content-type"].startswith("text/html")
    assert f'<h1 id="error-title">{refusal.title}</h1>' in page.text

    in_place = client.get(f"/console/refuse/{kind}", headers={"hx-request": "true"})
    assert in_place.status_code == refusal.status_code
    assert in_place.text.startswith('<p class="refused" role="alert">')

    htmx_elsewhere = client.get(f"/refuse/{kind}", headers={"hx-request": "true", "accept": "text/html"})
    assert htmx_elsewhere.headers["content-type"].startswith("application/problem+json")


def test_the_statuses_of_the_kinds_of_refusal():
    assert [REFUSALS[k].status_code for k in ("lead", "role", "phone", "password", "promotion")] == [
        404,
        403,
        409,
        422,
        409,
    ]
