"""PHI protection: encrypted at rest, blind-indexed, never in Redis, key rotation."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import replace

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text

from router.core.crypto import BlindIndex, FieldCipher, KeyringError, generate_key
from router.core.models import ConsentRecord, Lead
from router.core.phi_columns import CONSENT_IP, LEAD_EMAIL, LEAD_FIRST_NAME
from router.privacy.key_rotation import rotate_phi_key
from tests.factories import inquiry, make_practice, signed

PLANTED = {
    "first_name": "Xylophonia",
    "last_name": "Quarternight",
    "email": "xylophonia.q@example.org",
    "phone": "(512) 867-1234",
    "date_of_birth": "1987-03-14",
    "message": "Implant consult please, my molar zzplantedzz hurts",
    "client_ip": "198.51.100.77",
}
PLAINTEXTS = [
    *("Xylophonia", "Quarternight", "xylophonia.q@example.org", "5128671234"),
    *("1987-03-14", "zzplantedzz", "198.51.100.77"),
]


@pytest.mark.unit
def test_cipher_round_trip_binds_column_and_row_and_names_its_key():
    cipher = FieldCipher.from_config(f"k1:{generate_key()}")
    lead, other = uuid.uuid4(), uuid.uuid4()
    sealed = cipher.seal("ana@example.com", column=LEAD_EMAIL, row_id=lead)
    assert b"ana" not in sealed and cipher.key_id_of(sealed) == "k1"
    assert cipher.open(sealed, column=LEAD_EMAIL, row_id=lead) == "ana@example.com"
    with pytest.raises(InvalidTag):  # copied into another column of the same lead
        cipher.open(sealed, column=LEAD_FIRST_NAME, row_id=lead)
    with pytest.raises(InvalidTag):  # copied into the same column of another lead
        cipher.open(sealed, column=LEAD_EMAIL, row_id=other)
    with pytest.raises(KeyringError):
        FieldCipher.from_config("bad:" + base64.b64encode(b"short").decode())


@pytest.mark.unit
def test_a_first_format_value_is_refused_until_resealed_bound_to_its_row():
    key = base64.b64decode(generate_key())
    cipher = FieldCipher(keys={"k1": key}, current_key_id="k1")
    nonce = os.urandom(12)
    legacy = b"\x01k1." + nonce + AESGCM(key).encrypt(nonce, b"Ana", b"lead")
    lead = uuid.uuid4()
    with pytest.raises(KeyringError, match="before per-column binding"):
        cipher.open(legacy, column=LEAD_FIRST_NAME, row_id=lead)
    assert not cipher.is_current(legacy)
    bound = cipher.reseal(legacy, column=LEAD_FIRST_NAME, row_id=lead)
    assert cipher.is_current(bound) and cipher.open(bound, column=LEAD_FIRST_NAME, row_id=lead) == "Ana"


@pytest.mark.integration
async def test_a_value_copied_into_another_column_or_lead_fails_to_decrypt(client, domain, runtime):
    _, lead_id = await deliver_planted(client, domain)
    other_id = await deliver_other(client, domain)
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("UPDATE leads SET first_name_enc = email_enc WHERE id = :id"), {"id": lead_id}
        )
        await connection.execute(
            text(
                "UPDATE leads SET email_enc = (SELECT email_enc FROM leads WHERE id = :src) WHERE id = :dst"
            ),
            {"src": lead_id, "dst": other_id},
        )
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        other = await session.get(Lead, other_id)
    with pytest.raises(InvalidTag):
        domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id)
    with pytest.raises(InvalidTag):
        domain.cipher.open(other.email_enc, column=LEAD_EMAIL, row_id=other.id)
    assert domain.cipher.open(lead.email_enc, column=LEAD_EMAIL, row_id=lead.id) == PLANTED["email"]


@pytest.mark.unit
def test_blind_index_is_keyed_and_kind_separated():
    one = BlindIndex(os.urandom(32))
    two = BlindIndex(os.urandom(32))
    assert one.digest("+15128671234", kind="phone") == one.digest("+15128671234", kind="phone")
    assert one.digest("+15128671234", kind="phone") != two.digest("+15128671234", kind="phone")
    assert one.digest("x", kind="phone") != one.digest("x", kind="email")


async def deliver_other(client, domain):
    from router.core.models import FormSource

    async with domain.sessionmaker() as session:
        source = await session.scalar(select(FormSource))
    from router.intake.form_sources import load_form_source

    view = await load_form_source(domain, source.key, now=domain.clock.now())
    raw, headers = signed(
        inquiry(first_name="Other", email="other@example.org", phone=None, sms_consent=None), view.secrets[0]
    )
    response = await client.post(f"/webhooks/forms/{source.key}", content=raw, headers=headers)
    assert response.status_code == 201
    return response.json()["lead_id"]


async def deliver_planted(client, domain):
    practice = await make_practice(domain, staff={"desk@x.example": {}})
    raw, headers = signed(inquiry(**PLANTED), practice.secret)
    response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert response.status_code == 201
    return practice, response.json()["lead_id"]


@pytest.mark.integration
async def test_raw_tables_hold_no_plaintext_phi(client, domain, runtime):
    await deliver_planted(client, domain)
    async with runtime.engine.connect() as connection:
        tables = [
            row[0]
            for row in await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        ]
        dump = []
        for table in tables:
            rows = await connection.execute(text(f'SELECT * FROM "{table}"'))
            dump.extend(repr(tuple(row)) for row in rows)
    blob = "\n".join(dump)
    assert "Xylophonia" not in blob  # sanity: the blob is the whole database
    for value in PLAINTEXTS:
        assert value not in blob, value


@pytest.mark.integration
async def test_lookups_use_the_blind_index(client, domain):
    await deliver_planted(client, domain)
    async with domain.sessionmaker() as session:
        digest = domain.blind_index.digest("+15128671234", kind="phone")
        lead = await session.scalar(select(Lead).where(Lead.phone_index == digest))
    assert lead is not None
    assert domain.cipher.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id) == "Xylophonia"


@pytest.mark.integration
async def test_redis_holds_no_phi_after_intake(client, domain, runtime):
    await deliver_planted(client, domain)
    found = []
    async for key in runtime.redis.scan_iter(count=500):
        kind = (await runtime.redis.type(key)).decode()
        if kind == "string":
            values = [await runtime.redis.get(key)]
        elif kind == "zset":
            values = [m for m, _ in await runtime.redis.zrange(key, 0, -1, withscores=True)]
        elif kind == "hash":
            values = list((await runtime.redis.hgetall(key)).values())
        elif kind == "list":
            values = await runtime.redis.lrange(key, 0, -1)
        else:
            values = []
        found.extend([key, *values])
    blob = b"\n".join(v if isinstance(v, bytes) else str(v).encode() for v in found)
    assert b"escalate:" in blob  # sanity: the scan saw the deferred escalation job
    for value in PLAINTEXTS:
        assert value.encode() not in blob, value


@pytest.mark.integration
async def test_key_rotation_reencrypts_everything_under_the_new_key(client, domain):
    _, lead_id = await deliver_planted(client, domain)
    old_spec = domain.settings.security.phi_keys
    new_cipher = FieldCipher.from_config(f"k2:{generate_key()},{old_spec}")
    rotated = replace(domain, cipher=new_cipher)
    counts = await rotate_phi_key(rotated)
    assert counts["leads.first_name_enc"] == 1 and counts["consent_records.ip_enc"] == 1
    assert counts["form_source_secrets.secret_encrypted"] == 1
    only_new = FieldCipher.from_config(
        new_cipher.current_key_id + ":" + base64.b64encode(new_cipher.keys["k2"]).decode()
    )
    async with domain.sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        consent = await session.scalar(select(ConsentRecord))
    assert only_new.open(lead.first_name_enc, column=LEAD_FIRST_NAME, row_id=lead.id) == "Xylophonia"
    assert only_new.open(consent.ip_enc, column=CONSENT_IP, row_id=consent.id) == "198.51.100.77"
    assert (await rotate_phi_key(rotated))["leads.first_name_enc"] == 0  # nothing left under the old key


@pytest.mark.integration
async def test_consent_records_are_immutable(client, domain):
    await deliver_planted(client, domain)
    async with domain.sessionmaker() as session:
        consent = await session.scalar(select(ConsentRecord))
        assert consent.granted and consent.disclosure_version == "2026-01"
        assert consent.page == "https://brightsmile.example/contact"
    for statement in ("UPDATE consent_records SET granted = false", "DELETE FROM consent_records"):
        with pytest.raises(Exception, match="immutable"):
            async with domain.sessionmaker() as session, session.begin():
                await session.execute(text(statement))


@pytest.mark.unit
def test_key_rotation_covers_every_encrypted_column():
    from router.core.models import Base
    from router.privacy.key_rotation import ENCRYPTED_COLUMNS

    encrypted = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith(("_enc", "_encrypted"))
    }
    registered = {f"{target.table.name}.{target.column}" for target in ENCRYPTED_COLUMNS}
    assert encrypted == registered
