"""The staff screen: invitations by email with a one-time 48-hour link, roles and offices, deactivation
(signed out at once; the last practice admin or manager refused), password reset, last sign-in."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from router.core.models import AuditRecord, StaffLocation, StaffUser, UserSession
from router.privacy.auth import authenticate
from tests.admin.conftest import form_values, sign_in
from tests.escalation.support import freeze, start_smtp_server

pytestmark = pytest.mark.integration


@pytest.fixture
def mailbox(domain):
    from connectors.email.smtp import SmtpConfig, SmtpEmailSender

    controller, box = start_smtp_server()
    previous = domain.email
    domain.email = SmtpEmailSender(
        SmtpConfig(
            host="127.0.0.1",
            port=controller.port,
            from_address="Lead Router <alerts@example.test>",
            starttls=False,
        )
    )
    yield box
    domain.email = previous
    controller.stop()


def link_in(box) -> str:
    body = box.messages[-1][2].get_content()
    return re.search(r"https?://\S+(/account/set-password/\S+)", body).group(1)


async def test_an_invited_person_sets_a_password_once_through_the_emailed_link(
    client, domain, practices, mailbox
):
    freeze(domain, domain.clock.now())
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    downtown = practices.bright.locations["downtown"]
    answer = await client.post(
        "/admin/staff",
        data={
            "email": "Nina@Bright.example",
            "display_name": "Nina Park",
            "role": "front_desk",
            "locations": [str(downtown.id)],
        },
        headers=csrf,
    )
    assert answer.status_code == 201, answer.text
    assert "Invitation sent to nina@bright.example" in answer.text
    (_sender, recipients, message) = mailbox.messages[-1]
    assert recipients == ["nina@bright.example"] and "Pat Admin invited you" in message["subject"]
    link = link_in(mailbox)
    async with domain.sessionmaker() as session:
        nina = await session.scalar(select(StaffUser).where(StaffUser.email == "nina@bright.example"))
    assert nina.availability == "away"  # no lead waits on someone who cannot sign in yet

    client.cookies.clear()
    form = await client.get(link)
    assert form.status_code == 200 and "Welcome, Nina Park" in form.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    short = await client.post(link, data={"password": "short", "repeat": "other", "_csrf_token": token})
    assert short.status_code == 422 and "The two passwords are not the same." in short.text
    done = await client.post(
        link, data={"password": "a long new password", "repeat": "a long new password", "_csrf_token": token}
    )
    assert done.status_code == 200 and "Your password is set" in done.text
    async with domain.sessionmaker() as session, session.begin():
        user = await authenticate(session, email="nina@bright.example", password="a long new password")
        assert user.availability == "available"
    again = await client.get(link)
    assert again.status_code == 410 and "already used" in again.text


async def test_the_invitation_link_expires_after_48_hours(client, domain, practices, mailbox):
    clock = freeze(domain, domain.clock.now())
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    await client.post(
        "/admin/staff",
        data={
            "email": "late@bright.example",
            "display_name": "Late",
            "role": "front_desk",
            "locations": [str(practices.bright.locations["downtown"].id)],
        },
        headers=csrf,
    )
    link = link_in(mailbox)
    clock.set(clock.now() + timedelta(hours=47, minutes=59))
    assert (await client.get(link)).status_code == 200
    clock.set(clock.now() + timedelta(minutes=2))
    expired = await client.get(link)
    assert expired.status_code == 410 and "This link has expired (links last 48 hours)" in expired.text


async def test_inviting_an_email_that_has_an_account_says_so_beside_the_field(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    answer = await client.post(
        "/admin/staff",
        data={"email": "ANA@bright.example", "display_name": "", "role": "practice_admin"},
        headers=csrf,
    )
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    assert "ana@bright.example already has an account here (Ana Ruiz)" in text
    assert "Enter their name." in text and "Choose their role." in text  # a manager cannot make admins
    assert "Choose at least one office" in text
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(AuditRecord).where(AuditRecord.action == "staff.invited")) is None


async def test_deactivation_signs_out_at_once_and_the_last_practice_admin_is_kept(client, domain, practices):
    from tests.factories import open_staff_session

    ana = practices.user("ana@bright.example")
    ana_token = await open_staff_session(domain, ana)
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    gone = await client.post(f"/admin/staff/{ana.id}/active", data={"active": "0"}, headers=csrf)
    assert gone.status_code == 200 and "signed out everywhere, their open boards closed" in gone.text
    client.cookies.clear()
    client.cookies.set("lr_session", ana_token)
    assert (await client.get("/", follow_redirects=False)).status_code in (302, 303)
    async with domain.sessionmaker() as session:
        assert (
            await session.scalar(select(UserSession).where(UserSession.user_id == ana.id))
        ).revoked_at is not None

    admin = practices.user("admin@bright.example")
    csrf = await sign_in(client, domain, admin)
    maya = practices.user("maya@bright.example")
    lee = practices.user("lee@bright.example")
    assert (
        await client.post(f"/admin/staff/{lee.id}/active", data={"active": "0"}, headers=csrf)
    ).status_code == 200
    page = form_values((await client.get(f"/admin/staff/{admin.id}")).text)
    demoted = await client.post(f"/admin/staff/{admin.id}", data=page | {"role": "manager"}, headers=csrf)
    assert demoted.status_code == 422 and "the practice&#39;s only practice admin" in demoted.text
    assert (
        await client.post(f"/admin/staff/{maya.id}/active", data={"active": "0"}, headers=csrf)
    ).status_code == 200
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    async with domain.sessionmaker() as session:
        still = (await session.scalars(select(StaffUser.email).where(StaffUser.is_active.is_(True)))).all()
    assert "admin@bright.example" in still and "maya@bright.example" not in still


async def test_a_new_role_and_offices_are_saved_audited_and_apply_at_once(client, domain, practices):
    ana = practices.user("ana@bright.example")
    lakeway = practices.bright.locations["lakeway"]
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    page = await client.get(f"/admin/staff/{ana.id}")
    assert "Last sign-in" in page.text and "never" in page.text
    form = form_values(page.text) | {"role": "manager", "locations": [str(lakeway.id)]}
    saved = await client.post(f"/admin/staff/{ana.id}", data=form, headers=csrf)
    assert saved.status_code == 200 and "signed out everywhere" in saved.text
    async with domain.sessionmaker() as session:
        user = await session.get(StaffUser, ana.id)
        offices = (
            await session.scalars(select(StaffLocation.location_id).where(StaffLocation.user_id == ana.id))
        ).all()
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "staff.changed"))
    assert user.role == "manager" and offices == [lakeway.id] and user.revision == 2
    assert record.details["changes"]["role"] == ["front_desk", "manager"]


async def test_a_password_reset_stops_the_old_password_and_mails_a_link(client, domain, practices, mailbox):
    ana = practices.user("ana@bright.example")
    csrf = await sign_in(client, domain, practices.user("admin@bright.example"))
    reset = await client.post(f"/admin/staff/{ana.id}/link", data={"purpose": "reset"}, headers=csrf)
    assert reset.status_code == 200 and "Link sent to ana@bright.example" in reset.text
    from router.privacy.auth import AuthError
    from tests.factories import PASSWORD

    async with domain.sessionmaker() as session:
        with pytest.raises(AuthError):
            await authenticate(session, email="ana@bright.example", password=PASSWORD)
    assert "/account/set-password/" in link_in(mailbox)


async def test_a_manager_cannot_reach_people_outside_their_offices_or_practice(client, domain, practices):
    csrf = await sign_in(client, domain, practices.user("maya@bright.example"))
    listing = await client.get("/admin/staff")
    assert "Ana Ruiz" in listing.text and "Lee" not in listing.text and "Pat Admin" not in listing.text
    for person in ("lee@bright.example", "admin@bright.example", "max@other.example"):
        user = practices.user(person)
        assert (await client.get(f"/admin/staff/{user.id}")).status_code == 404, person
        assert (
            await client.post(f"/admin/staff/{user.id}/active", data={"active": "0"}, headers=csrf)
        ).status_code == 404
    desk = await sign_in(client, domain, practices.user("ana@bright.example"))
    assert (await client.get("/admin/staff")).status_code == 403
    invite = {"email": "new@bright.example", "display_name": "New", "role": "front_desk"}
    assert (await client.post("/admin/staff", data=invite, headers=desk)).status_code == 403
    lee = practices.user("lee@bright.example")
    changed = await client.post(f"/admin/staff/{lee.id}", data={"role": "manager"}, headers=desk)
    assert changed.status_code == 403
    async with domain.sessionmaker() as session:
        assert await session.scalar(select(StaffUser).where(StaffUser.email == "new@bright.example")) is None
