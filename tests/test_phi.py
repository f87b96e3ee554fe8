"""PHI protection: encrypted at rest, blind-indexed, never in Redis, key rotation."""

from __future__ import annotations

import base64
import os
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from router.core.crypto import BlindIndex, FieldCipher, KeyringError, generate_key
from router.core.models import ConsentRecord, Lead
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
def test_cipher_round_trip_binds_context_and_names_its_key():
    cipher = FieldCipher.from_config(f"k1:{generate_key()}")
    sealed = cipher.encrypt("Ana Lopez", context="lead")
    assert b"Ana" not in sealed and cipher.key_id_of(sealed) == "k1"
    assert cipher.decrypt(sealed, context="lead") == "Ana Lopez"
    with pytest.raises(Exception):  # noqa: B017 - any failure: another column's context must not decrypt it
        cipher.decrypt(sealed, context="consent")
    with pytest.raises(KeyringError):
        FieldCipher.from_config("bad:" + base64.b64encode(b"short").decode())


@pytest.mark.unit
def test_blind_index_is_keyed_and_kind_separated():
    one = BlindIndex(os.urandom(32))
    two = BlindIndex(os.urandom(32))
    assert one.digest("+15128671234", kind="phone") == one.digest("+15128671234", kind="phone")
    assert one.digest("+15128671234", kind="phone") != two.digest("+15128671234", kind="phone")
    assert one.digest("x", kind="phone") != one.digest("x", kind="email")


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
    assert domain.cipher.decrypt(lead.first_name_enc, context="lead") == "Xylophonia"


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
    assert only_new.decrypt(lead.first_name_enc, context="lead") == "Xylophonia"
    assert only_new.decrypt(consent.ip_enc, context="consent") == "198.51.100.77"
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
