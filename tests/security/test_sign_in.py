"""Sign-in hardening: throttling, the second factor, password rules and resets, session-bound CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from router.core.models import AuditRecord, MfaRecoveryCode, StaffUser, UserSession
from router.privacy import mfa
from router.privacy.login_throttle import ACCOUNT_LOCK_FAILURES, DELAY_AFTER_FAILURES
from router.privacy.passwords import PasswordRejected, check_password
from tests.escalation.support import freeze, start_smtp_server
from tests.factories import PASSWORD, csrf_of, current_code, enrol_authenticator, make_practice, sign_in

pytestmark = pytest.mark.integration

STAFF = {
    "desk@x.example": {},
    "boss@x.example": {"role": "manager"},
    "admin@x.example": {"role": "practice_admin"},
}


@pytest.fixture
def mailbox(domain):
    controller, mailbox = start_smtp_server()
    saved = domain.email
    domain.email = SmtpEmailSender(
        SmtpConfig(host="127.0.0.1", port=controller.port, from_address="LR <a@x.example>", starttls=False)
    )
    yield mailbox
    domain.email = saved
    controller.stop()


async def post_login(client, email, password, **extra):  # type: ignore[no-untyped-def]
    await client.get("/login")
    token = client.cookies.get("csrftoken")
    return await client.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token, **extra}
    )


async def audit_actions(domain, action):  # type: ignore[no-untyped-def]
    async with domain.sessionmaker() as session:
        return (await session.scalars(select(AuditRecord).where(AuditRecord.action == action))).all()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-one", "at least 12"),
        ("password1234", "most common"),
        ("iloveyou12345", "most common"),
        ("aaaaaaaaaaaaaa", "easy to guess"),
        ("boss.manager-2026!", "your name"),
        ("x" * 129, "at most 128"),
    ],
)
def test_password_rules_follow_nist(password, why):
    with pytest.raises(PasswordRejected, match=why):
        check_password(password, email="boss.manager@x.example", display_name="Boss Manager")
    check_password("Tuesday lighthouse pickle", email="boss@x.example")  # no composition rules


async def test_failures_get_growing_waits_then_a_lock_and_are_audited_without_the_password(client, domain):
    await make_practice(domain, staff=STAFF)
    answers = []
    for attempt in range(DELAY_AFTER_FAILURES + 1):
        answers.append(await post_login(client, "desk@x.example", f"wrong-guess-{attempt}"))
    assert [a.status_code for a in answers[:DELAY_AFTER_FAILURES]] == [401] * DELAY_AFTER_FAILURES
    waited = answers[-1]
    assert waited.status_code == 429 and int(waited.headers["retry-after"]) >= 1
    assert "wait" in waited.text
    # even the right password waits: the check comes before the password is looked at
    assert (await post_login(client, "desk@x.example", PASSWORD)).status_code == 429
    failed = await audit_actions(domain, "login.failed")
    assert len(failed) >= DELAY_AFTER_FAILURES
    assert {row.details["reason"] for row in failed} >= {"wrong_password", "throttled"}
    assert not any("wrong-guess" in repr(row.details) for row in failed)


async def test_a_lock_says_so_and_a_success_afterwards_keeps_the_address_count(client, domain, runtime):
    from router.privacy.login_throttle import LoginThrottle

    await make_practice(domain, staff=STAFF)
    throttle = LoginThrottle(runtime.redis, domain.settings.redis.prefix)
    clock = 1_000_000.0
    for _ in range(ACCOUNT_LOCK_FAILURES):
        locked = await throttle.failed(email="desk@x.example", ip="198.51.100.7", now=clock)
        clock += 120
    assert locked
    answer = await post_login(client, "desk@x.example", PASSWORD)
    assert answer.status_code == 429 and "locked for 15 more minutes" in answer.text
    # the lock ends; a success clears the account's count but not the address's
    await runtime.redis.delete(*[key async for key in runtime.redis.scan_iter(match="*login:account*lock")])
    assert (await post_login(client, "desk@x.example", PASSWORD)).status_code == 303
    address = [key async for key in runtime.redis.scan_iter(match="*login:address*failures")]
    assert address and int(await runtime.redis.get(address[0])) == ACCOUNT_LOCK_FAILURES


async def test_a_manager_sets_up_the_authenticator_before_any_session_exists(client, domain):
    await make_practice(domain, staff=STAFF)
    answer = await post_login(client, "boss@x.example", PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/login/second-factor"
    assert client.cookies.get("lr_session") is None
    async with domain.sessionmaker() as session:
        assert (await session.scalars(select(UserSession))).all() == []
    page = await client.get("/login/second-factor")
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text).group(1)
    qr = await client.get("/login/second-factor/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    token = client.cookies.get("csrftoken")
    wrong = await client.post("/login/second-factor", data={"code": "000000", "_csrf_token": token})
    assert wrong.status_code == 401 and "does not match" in wrong.text
    done = await client.post(
        "/login/second-factor", data={"code": pyotp.TOTP(secret).now(), "_csrf_token": token}
    )
    assert done.status_code == 200 and "recovery codes" in done.text
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", done.text)
    assert len(codes) == mfa.RECOVERY_CODES
    [session_cookie] = [c for c in done.headers.get_list("set-cookie") if c.startswith("lr_session=")]
    assert "max-age" not in session_cookie.lower()  # a browser-session cookie
    async with domain.sessionmaker() as session:
        stored = (await session.scalars(select(MfaRecoveryCode.code_hash))).all()
    assert all(code.encode() not in bytes(h) for h in stored for code in codes)
    assert (await client.get("/dashboard")).status_code == 200

    # a recovery code works once; the TOTP code cannot be replayed
    client.cookies.clear()
    await post_login(client, "boss@x.example", PASSWORD)
    token = client.cookies.get("csrftoken")
    used = await client.post("/login/second-factor", data={"code": codes[0], "_csrf_token": token})
    assert used.status_code == 200 and "9 left" in used.text
    client.cookies.clear()
    await post_login(client, "boss@x.example", PASSWORD)
    again = await client.post(
        "/login/second-factor", data={"code": codes[0], "_csrf_token": client.cookies.get("csrftoken")}
    )
    assert again.status_code == 401


async def test_optional_second_factor_and_remember_me(client, domain):
    practice = await make_practice(domain, staff=STAFF)
    plain = await post_login(client, "desk@x.example", PASSWORD, remember="1")
    [session_cookie] = [c for c in plain.headers.get_list("set-cookie") if c.startswith("lr_session=")]
    assert plain.status_code == 303 and "max-age=43200" in session_cookie.lower()
    client.cookies.clear()
    await enrol_authenticator(domain, practice.staff["desk@x.example"])  # front desk chose to use one
    answer = await post_login(client, "desk@x.example", PASSWORD)
    assert answer.headers["location"] == "/login/second-factor"
    code = await current_code(domain, "desk@x.example")
    done = await client.post(
        "/login/second-factor", data={"code": code, "_csrf_token": client.cookies.get("csrftoken")}
    )
    assert done.status_code == 303


async def test_the_csrf_token_is_bound_to_the_session(client, domain):
    await make_practice(domain, staff=STAFF)
    await sign_in(client, domain, "desk@x.example")
    cookie_token = client.cookies.get("csrftoken")
    # a double-submit cookie token (what a sibling site could plant) no longer passes
    refused = await client.post("/logout", data={"_csrf_token": cookie_token})
    assert refused.status_code == 403
    accepted = await client.post("/logout", data={"_csrf_token": await csrf_of(client)})
    assert accepted.status_code in (302, 303)


async def test_changing_the_password_ends_other_sessions_and_checks_the_rules(client, domain):
    await make_practice(domain, staff=STAFF)
    async with domain.sessionmaker() as session:
        desk = await session.scalar(select(StaffUser).where(StaffUser.email == "desk@x.example"))
    from tests.factories import open_staff_session

    other = await open_staff_session(domain, desk)
    await sign_in(client, domain, "desk@x.example")
    token = await csrf_of(client)
    weak = await client.post(
        "/account/password", data={"current": PASSWORD, "new": "password1234", "_csrf_token": token}
    )
    assert weak.status_code == 422 and "most common" in weak.text
    wrong = await client.post(
        "/account/password",
        data={"current": "nope", "new": "Tuesday lighthouse pickle", "_csrf_token": token},
    )
    assert wrong.status_code == 422 and "current password" in wrong.text
    done = await client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "Tuesday lighthouse pickle", "_csrf_token": token},
    )
    assert done.status_code == 200 and "signed out everywhere else" in done.text
    async with domain.sessionmaker() as session:
        sessions = (await session.scalars(select(UserSession).where(UserSession.user_id == desk.id))).all()
    assert sum(1 for s in sessions if s.revoked_at is None) == 1  # only the one that changed it
    assert (await client.get("/account")).status_code == 200
    client.cookies.set("lr_session", other)
    assert (await client.get("/api/leads")).status_code == 401


async def test_a_reset_link_is_emailed_works_once_and_expires(client, domain, mailbox):
    await make_practice(domain, staff=STAFF)
    await client.get("/password/forgot")
    token = client.cookies.get("csrftoken")
    unknown = await client.post("/password/forgot", data={"email": "nobody@x.example", "_csrf_token": token})
    known = await client.post("/password/forgot", data={"email": "desk@x.example", "_csrf_token": token})
    assert unknown.text.count("on its way") == known.text.count("on its way") == 1  # same answer
    [(_, recipients, message)] = mailbox.messages
    assert recipients == ["desk@x.example"]
    link = re.search(r"/password/reset/(\S+)", message.get_content()).group(1)
    weak = await client.post(f"/password/reset/{link}", data={"new": "password1234", "_csrf_token": token})
    assert weak.status_code == 422
    done = await client.post(
        f"/password/reset/{link}", data={"new": "Tuesday lighthouse pickle", "_csrf_token": token}
    )
    assert done.status_code == 200 and "Password set" in done.text
    again = await client.post(
        f"/password/reset/{link}", data={"new": "Another long phrase here", "_csrf_token": token}
    )
    assert again.status_code == 410
    assert (await post_login(client, "desk@x.example", "Tuesday lighthouse pickle")).status_code == 303
    # an old link stops working after 30 minutes
    await client.post("/password/forgot", data={"email": "desk@x.example", "_csrf_token": token})
    late = re.search(r"/password/reset/(\S+)", mailbox.messages[-1][2].get_content()).group(1)
    freeze(domain, domain.clock.now() + timedelta(minutes=31))
    assert "expired" in (await client.get(f"/password/reset/{late}")).text


async def test_an_admin_resets_a_lost_authenticator_audited_and_the_user_told(client, domain, mailbox):
    practice = await make_practice(domain, staff=STAFF)
    boss = practice.staff["boss@x.example"]
    await enrol_authenticator(domain, boss)
    await sign_in(client, domain, "desk@x.example")
    refused = await client.post(
        f"/account/users/{boss.id}/reset-mfa", data={"_csrf_token": await csrf_of(client)}
    )
    assert refused.status_code == 403
    client.cookies.clear()
    await sign_in(client, domain, "admin@x.example")
    reset = await client.post(
        f"/account/users/{boss.id}/reset-mfa", data={"_csrf_token": await csrf_of(client)}
    )
    assert reset.status_code == 303
    async with domain.sessionmaker() as session:
        stored = await session.get(StaffUser, boss.id)
    assert stored.totp_secret_enc is None and stored.mfa_enrolled_at is None
    assert [row.details["user_id"] for row in await audit_actions(domain, "mfa.reset")] == [str(boss.id)]
    assert any("boss@x.example" in recipients for _, recipients, _ in mailbox.messages)


async def test_in_development_mode_the_demo_managers_are_pre_enrolled_with_printed_keys(client, domain):
    from leadrouter.demo import DEMO_PASSWORD, seed_demo

    summary = await seed_demo(domain)
    secret = summary.authenticator_secrets["maya.manager@brightsmile.example"]
    assert "ana.front@brightsmile.example" not in summary.authenticator_secrets  # optional for front desk
    assert (await seed_demo(domain)).authenticator_secrets["maya.manager@brightsmile.example"] == secret
    answer = await post_login(client, "maya.manager@brightsmile.example", DEMO_PASSWORD)
    assert answer.headers["location"] == "/login/second-factor"
    done = await client.post(
        "/login/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "_csrf_token": client.cookies.get("csrftoken")},
    )
    assert done.status_code == 303
