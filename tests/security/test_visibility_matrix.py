"""Every role against every read path: each viewer sees exactly the leads their scope allows.

The matrix is checked on the API (list and detail), the board page and its snapshot, the lead page,
the board's "more" panel and contact side, the overflow console (page, queue, lead), live pushes of
every event kind and the replay a reconnecting board gets. The app's routes are enumerated too: a GET
or websocket route that is neither in the matrix nor declared free of lead data fails the suite, so a new read
path cannot be added without saying who may read it.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from litestar.routes import HTTPRoute, WebSocketRoute
from sqlalchemy import update

from realtime.connection import BoardConnection
from realtime.pushes import CommittedEvent
from router.core.events import EVENT_KINDS
from router.core.models import Lead, SmsMessage
from router.privacy.access import PRACTICE_STAFF_ROLES
from tests.board.helpers import CollectingSocket
from tests.factories import open_staff_session, viewer_of
from tests.security.conftest import World
from web.board_fragments import BoardFragments
from web.pages import LANDING_PAGES

pytestmark = pytest.mark.integration

TWO_OFFICES = {
    "downtown": {"zip": "78701", "latitude": 30.27, "longitude": -97.74},
    "lakeway": {"zip": "78734", "latitude": 30.36, "longitude": -97.98},
}

READ_PATHS = {
    "/",
    "/board/snapshot",
    "/board/leads/{lead_id:uuid}/more",
    "/board/leads/{lead_id:uuid}/contact",
    "/board/search",
    "/board/ws",
    "/api/leads",
    "/api/leads/{lead_id:uuid}",
    "/leads/{lead_id:uuid}",
    "/leads/{lead_id:uuid}/live",
    "/leads/{lead_id:uuid}/calls/{call_id:uuid}/recording",
    "/overflow",
    "/overflow/console/queue",
    "/overflow/console/leads/{lead_id:uuid}",
    "/overflow/leads/{lead_id:uuid}",
    "/inbox",
    "/inbox/list",
    "/dashboard",
    "/dashboard/panel",
    "/dashboard/export.csv",
    "/admin/audit",
    "/admin/audit/export.csv",
    "/admin/audit/patients",
    "/admin/audit/leads/{lead_id:uuid}",
    "/nurture",
    "/funnel/leads",
    "/funnel/checks",
    "/matching/review",
    "/referrals",
    "/referrals/list",
    "/referrals/files/{file_id:uuid}",
    "/leads/{lead_id:uuid}/chat",
    "/leads/{lead_id:uuid}/referral",
    "/leads/{lead_id:uuid}/referral-link",
    "/leads/{lead_id:uuid}/care",
    "/patient-referrals",
}
"""GET and websocket routes that show leads: each is exercised for every role below."""

NO_LEAD_DATA = {
    "/healthz": "liveness",
    "/readyz": "readiness",
    "/status": "the service's status: worker, queue, sweeps, backups, servers; counts only",
    "/api/status": "the status page as JSON for monitoring; counts only",
    "/login": "the sign-in form",
    "/login/second-factor": "the code form (before any session)",
    "/login/second-factor/qr.svg": "the QR code of the person's own new authenticator",
    "/account": "the person's own password and authenticator settings",
    "/account/mfa": "setting up the person's own authenticator",
    "/account/mfa/qr.svg": "the QR code of the person's own new authenticator",
    "/password/forgot": "the reset-link form",
    "/password/reset/{token:str}": "the new-password form",
    "/models": "model metrics, no lead",
    "/attribution": "channel credit, aggregated",
    "/attribution/body": "the attribution page's content (its poll while a run computes)",
    "/break-glass": "the grant form and its state",
    "/patients/export": "the access-request form (the export itself is a POST)",
    "/static/{file_path:path}": "static files",
    "/t.js": "the tracking script",
    "/admin": "the administration menu",
    "/admin/settings": "practice settings and managers' alert contacts",
    "/admin/locations": "offices and how many leads wait at each",
    "/admin/locations/{location_id:uuid}": "an office's hours and closures; a count of waiting leads",
    "/admin/staff": "staff accounts of the viewer's offices",
    "/admin/staff/{user_id:uuid}": "one staff account",
    "/account/set-password/{token:str}": "the password form of a one-time link",
    "/admin/forms": "web forms and their state",
    "/admin/forms/{source_id:uuid}": "deliveries: outcome, reason, lead id (no lead data)",
    "/admin/chat": "chat sources and their conversation counts",
    "/admin/chat/{chat_source_id:uuid}": "one chat source's set-up and counts (no conversation)",
    "/admin/phones": "tracking numbers and call settings",
    "/admin/spend": "ad spend per channel",
    "/admin/pms": "the PMS connection, sync health and run counts (no patient or lead data)",
    "/admin/practices": "practices and their counts (platform operator)",
    "/admin/call-centers": "call centers, agents, practices served (platform operator)",
    "/models/versions/{version:str}": "a model's card: aggregate metrics",
    "/n/u/{token:str}": "a patient's unsubscribe page: the practice's name only",
    "/n/c/{token:str}": "a patient's click-through: a redirect to the practice's scheduling page",
    "/n/o/{token:str}": "the open pixel: a 1x1 image",
    "/nurture/templates/{template_id:uuid}": "a message's wording and a preview with a made-up patient",
    "/nurture/sequences/{sequence_id:uuid}": "a sequence's steps and counts, aggregated",
    "/funnel": "stage counts, ad totals and provider acceptance: aggregates, no lead",
    "/referrals/new": "the referral form: the referrer's practices, offices and physicians",
    "/referrers": "referrer scorecards (aggregates), referring offices and the invitation form",
    "/inbox/unread": "a count of unread conversations in the viewer's scope (a number, no lead)",
    "/reminders": "the practice's reminder settings and the state of their wording (no patient)",
    "/reminders/no-shows": "no-show counts per office and month: aggregates, no lead (managers)",
}
"""GET routes that show no lead (a route added here needs a reason)."""


REFERRERS = ("physician", "physician_office", "other_physician")


def _shown(html: str, world: World) -> set[str]:
    """Which of the world's leads a page shows (by their ids in the markup)."""
    return {name for name, lead_id in world.leads.items() if str(lead_id) in html}


async def test_the_app_has_no_read_path_outside_the_matrix(runtime):
    from leadrouter.runtime import build_web_app

    app = build_web_app(runtime)
    unknown = []
    for route in app.routes:
        if route.path.startswith(("/schema", "/webhooks/", "/collect/")):
            continue  # the API description, and machine senders that authenticate by signature
        reads = isinstance(route, WebSocketRoute) or (isinstance(route, HTTPRoute) and "GET" in route.methods)
        if reads and route.path not in READ_PATHS and route.path not in NO_LEAD_DATA:
            unknown.append(route.path)
    assert unknown == [], f"classify these routes in the visibility matrix: {unknown}"


async def test_every_role_sees_exactly_its_leads_on_every_page_and_api(client, domain, world):
    for role, person in world.people.items():
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, person))
        want = world.expected[role]

        listed = await client.get("/api/leads", params={"status": ""})
        assert listed.status_code == 200
        assert {name for name, i in world.leads.items() if str(i) in listed.text} == want, role
        for page in ("/", "/board/snapshot"):
            answer = await client.get(page)
            landing = LANDING_PAGES.get(person.role) if page == "/" else None
            if landing is not None:  # their own start page, checked below (the referrals page elsewhere)
                assert answer.status_code in (302, 303) and answer.headers["location"] == landing, role
                continue
            assert answer.status_code == 200, (role, page)
            assert _shown(answer.text, world) == want, (role, page)
        for name, lead_id in world.leads.items():
            for path in (
                f"/api/leads/{lead_id}",
                f"/leads/{lead_id}",
                f"/leads/{lead_id}/live",
                f"/board/leads/{lead_id}/more",
                f"/leads/{lead_id}/chat",
                f"/leads/{lead_id}/referral",
                f"/leads/{lead_id}/referral-link",
                f"/leads/{lead_id}/care",
                f"/board/leads/{lead_id}/contact",
            ):
                status = (await client.get(path)).status_code
                assert status == (200 if name in want else 404), (role, path, name)

        found = await client.get(
            "/board/search", params={"since": "2000-01-01"}, headers={"accept": "text/html"}
        )
        if role in PRACTICE_STAFF_ROLES or role == "other_practice_admin":
            assert found.status_code == 200 and _shown(found.text, world) == want, role
        else:
            assert found.status_code == 403 and _shown(found.text, world) == set(), role

        is_agent = role == "overflow_agent"
        console = await client.get("/overflow", headers={"accept": "text/html"})
        assert console.status_code == (200 if is_agent else 403), role
        if is_agent:
            assert _shown(console.text, world) == want
            queue = await client.get("/overflow/console/queue")
            assert _shown(queue.text, world) == want
        else:
            assert "text/html" in console.headers["content-type"]  # an error page, not a traceback
        for name, lead_id in world.leads.items():
            allowed = 200 if name in want else 404
            for path in (f"/overflow/console/leads/{lead_id}", f"/overflow/leads/{lead_id}"):
                status = (await client.get(path)).status_code
                assert status == (allowed if is_agent else 403), (role, name, path)

        dashboard = await client.get("/dashboard")
        panel = await client.get("/dashboard/panel")
        export = await client.get("/dashboard/export.csv", params={"kind": "leads"})
        if role in ("manager", "practice_admin", "other_practice_admin"):
            assert dashboard.status_code == panel.status_code == export.status_code == 200, role
            assert _shown(dashboard.text, world) <= want and _shown(panel.text, world) <= want
            assert _shown(export.text, world) <= want, role
        else:
            assert dashboard.status_code == panel.status_code == export.status_code == 403, role


async def test_the_dashboard_breach_list_shows_only_the_viewers_leads(client, domain, world):
    async with domain.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lead).values(sla_due_at=domain.clock.now() - timedelta(seconds=1), first_contact_at=None)
        )
    for role in ("manager", "practice_admin", "other_practice_admin"):
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, world.people[role]))
        panel = await client.get("/dashboard/panel")
        breached = set(re.findall(r'href="/leads/([0-9a-f-]{36})"', panel.text))
        assert breached == {str(world.leads[name]) for name in world.expected[role]}, role


async def test_pushes_of_every_event_kind_and_replays_reach_exactly_the_viewers_leads(domain, world):
    renderer = BoardFragments(domain)
    viewers = {role: await viewer_of(domain, person) for role, person in world.people.items()}
    lead_kinds = [kind for kind in EVENT_KINDS if kind.startswith("lead.")]
    events = [
        CommittedEvent(n, kind, None, None, lead_id, domain.clock.now())
        for n, (kind, lead_id) in enumerate(
            ((kind, lead_id) for kind in lead_kinds for lead_id in world.leads.values()), start=1
        )
    ]
    pushes = await renderer.render(events)
    assert len(pushes) == len(events)
    names = {lead_id: name for name, lead_id in world.leads.items()}
    for role, viewer in viewers.items():
        for kind in lead_kinds:
            reached = {names[p.lead_id] for p in pushes if p.kind == kind and p.reaches(viewer)}
            assert reached == world.expected[role], (role, kind)


async def test_a_replay_from_the_start_lists_only_the_viewers_leads(domain, runtime, world):
    from web.board_fragments import make_board_hub

    hub = make_board_hub(domain, runtime.redis, poll_seconds=60, heartbeat_seconds=3600)
    for role, person in world.people.items():
        viewer = await viewer_of(domain, person)
        socket = CollectingSocket()
        board = BoardConnection(
            viewer=viewer, after=0, send_text=socket.send_text, close=socket.close, session_key="s"
        )
        pushes = await hub.replay(0, board)
        assert pushes is not None
        names = {lead_id: name for name, lead_id in world.leads.items()}
        assert {names[p.lead_id] for p in pushes} == world.expected[role], role


async def test_referral_pages_and_files_show_exactly_the_viewers_referrals(client, domain, world):
    from router.core.models import Referral, ReferralAttachment
    from router.core.phi_columns import REFERRAL_FILE, REFERRAL_FILE_NAME

    files = {}
    async with domain.sessionmaker() as session, session.begin():
        for name in ("referral", "other_referral"):
            lead = await session.get(Lead, world.leads[name])
            referral = Referral(
                id=uuid.uuid4(),
                practice_id=lead.practice_id,
                referring_office_id=lead.referring_office_id,
                referring_physician_id=lead.referring_physician_id,
                lead_id=lead.id,
                urgency="routine",
                submission_key=uuid.uuid4().hex,
                submitted_at=domain.clock.now(),
            )
            session.add(referral)
            await session.flush()
            file_id = uuid.uuid4()
            session.add(
                ReferralAttachment(
                    id=file_id,
                    referral_id=referral.id,
                    file_name_enc=domain.cipher.seal("x.pdf", column=REFERRAL_FILE_NAME, row_id=file_id),
                    content_enc=domain.cipher.seal_bytes(b"%PDF-1.4", column=REFERRAL_FILE, row_id=file_id),
                    media_type="application/pdf",
                    size_bytes=8,
                    scanned_by="none",
                    created_at=domain.clock.now(),
                )
            )
            files[name] = file_id
    patients = {"referral": "Remy", "other_referral": "Orla"}
    for role, person in world.people.items():
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, person))
        want = world.expected[role] & set(patients)
        listed = await client.get("/referrals/list")
        if role in REFERRERS:
            assert listed.status_code == 200, role
            assert {name for name, first in patients.items() if first in listed.text} == want, role
        else:
            assert listed.status_code == 403, role
        for name, file_id in files.items():
            status = (await client.get(f"/referrals/files/{file_id}")).status_code
            assert status == (200 if name in want else 404), (role, name)
            status = (await client.get(f"/leads/{world.leads[name]}/referral")).status_code
            assert status == (200 if name in want else 404), (role, name)


async def test_the_text_inbox_lists_exactly_the_viewers_conversations(client, domain, world):
    async with domain.sessionmaker() as session, session.begin():
        for lead_id in world.leads.values():
            lead = await session.get(Lead, lead_id)
            assert lead is not None
            session.add(
                SmsMessage(
                    practice_id=lead.practice_id,
                    lead_id=lead_id,
                    direction="inbound",
                    status="received",
                    created_at=domain.clock.now(),
                    updated_at=domain.clock.now(),
                )
            )
    for role, person in world.people.items():
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, person))
        inbox, listing = await client.get("/inbox"), await client.get("/inbox/list")
        count = await client.get("/inbox/unread")
        if role in ("front_desk", "manager", "practice_admin", "other_practice_admin"):
            assert inbox.status_code == listing.status_code == 200, role
            assert _shown(inbox.text, world) == _shown(listing.text, world) == world.expected[role], role
            assert f">{len(world.expected[role])}<" in count.text, role
        else:
            assert inbox.status_code == listing.status_code == 403, role
            assert count.text == "", role


async def test_the_follow_up_page_lists_calls_due_only_for_the_viewers_leads(client, domain, world):
    import uuid as uuid_module

    from router.core.models import Lead as LeadRow
    from router.core.models import NurtureCallTask

    async with domain.sessionmaker() as session, session.begin():
        for lead_id in world.leads.values():
            lead = await session.get(LeadRow, lead_id)
            session.add(
                NurtureCallTask(
                    id=uuid_module.uuid4(),
                    practice_id=lead.practice_id,
                    location_id=lead.location_id,
                    lead_id=lead.id,
                    due_at=domain.clock.now() - timedelta(minutes=5),
                    status="open",
                    created_at=domain.clock.now(),
                )
            )
    for role, person in world.people.items():
        client.cookies.clear()
        client.cookies.set("lr_session", await open_staff_session(domain, person))
        page = await client.get("/nurture", headers={"accept": "text/html"})
        if role in ("manager", "practice_admin", "other_practice_admin"):
            assert page.status_code == 200, role
            assert _shown(page.text, world) == world.expected[role], role
        else:
            assert page.status_code == 403, role
