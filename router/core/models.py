"""The schema as SQLAlchemy 2 mappings; Alembic revisions under migrations/ are its only writer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = (
    "front_desk",
    "manager",
    "practice_admin",
    "overflow_agent",
    "physician",
    "physician_office",
    "platform_operator",
)
"""Stored role names; what each may see and do is decided in router/access.py."""
AVAILABILITY = ("available", "busy", "away")
FUNNEL_STAGES = (
    "impression",
    "click",
    "lead",
    "contacted",
    "appointment_scheduled",
    "appointment_completed",
    "treatment_accepted",
    "treatment_completed",
)
CLOSE_REASONS = (
    "appointment_booked",
    "existing_patient",
    "not_interested",
    "spam",
    "wrong_number",
    "duplicate",
)


def new_id() -> uuid.UUID:
    """Primary keys are random UUIDs: unguessable in URLs, mergeable across databases."""
    return uuid.uuid4()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB}


def _ts(nullable: bool = False, **kw: Any) -> Any:
    return mapped_column(DateTime(timezone=True), nullable=nullable, **kw)


class Practice(Base):
    """A tenant: one dental or orthodontic practice with one or more locations."""

    __tablename__ = "practices"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    support_phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    """Bumped by every save on an administration screen: a save from an older revision is refused."""
    updated_at: Mapped[datetime | None] = _ts(nullable=True)
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL", use_alter=True, name="fk_practices_updated_by")
    )


class Location(Base):
    """An office of a practice: its own time zone, hours, closures and phone numbers."""

    __tablename__ = "locations"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_numbers: Mapped[list[Any]] = mapped_column(default=list)
    business_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Weekday ("mon".."sun") to a list of ["HH:MM", "HH:MM"] intervals; two intervals = lunch closure."""
    holidays: Mapped[list[Any]] = mapped_column(default=list)
    """ISO dates on which the location is closed all day."""
    closure_names: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    """What each closed day is, for the calendar: {"2026-11-26": "Thanksgiving"}."""
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    """A deactivated office takes no new leads; its history stays."""
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    """Bumped by every save on an administration screen: a save from an older revision is refused."""
    updated_at: Mapped[datetime | None] = _ts(nullable=True)
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL", use_alter=True, name="fk_locations_updated_by")
    )
    pms_id: Mapped[str | None] = mapped_column(String(64))
    """The office's Location id in the practice-management system (for slots and synced visits)."""
    __table_args__ = (UniqueConstraint("practice_id", "slug", name="uq_locations_practice_slug"),)


class Provider(Base):
    """A dentist or orthodontist patients may ask for by name."""

    __tablename__ = "providers"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(20))
    specialty: Mapped[str | None] = mapped_column(String(64))
    pms_id: Mapped[str | None] = mapped_column(String(64))
    """The provider's Practitioner id in the practice-management system."""


class CallCenter(Base):
    """An overflow service whose agents take the leads and calls of several practices."""

    __tablename__ = "call_centers"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    business_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    time_zone: Mapped[str] = mapped_column(String(64), default="America/Chicago")


class CallCenterPractice(Base):
    """Which practices a call center serves."""

    __tablename__ = "call_center_practices"
    call_center_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("call_centers.id", ondelete="CASCADE"), primary_key=True
    )
    practice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )


class ReferringOffice(Base):
    """A referring physician's office: its physicians and office staff see the referrals it sent."""

    __tablename__ = "referring_offices"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))


class StaffUser(Base):
    """A person who logs in: practice staff, overflow agent, referring physician or office, operator."""

    __tablename__ = "staff_users"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    practice_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    call_center_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("call_centers.id", ondelete="CASCADE")
    )
    referring_office_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("referring_offices.id", ondelete="SET NULL")
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    availability: Mapped[str] = mapped_column(String(12), default="available")
    handles_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    """Receives high-score leads first when the practice turns score priority on."""
    shift: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """Working hours like a location's business hours; empty means the location's hours."""
    last_assigned_at: Mapped[datetime | None] = _ts(nullable=True)
    last_seen_at: Mapped[datetime | None] = _ts(nullable=True)
    away_automatically: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    board_view: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """How this person last left their board: filter (mine, unassigned, all), office tab, compact rows."""
    """Marked away because their board was gone too long (their board's return makes them available)."""
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The TOTP secret of their authenticator app, encrypted; NULL until they enrol."""
    mfa_enrolled_at: Mapped[datetime | None] = _ts(nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    """The last 30-second step a code was accepted for: a code is never accepted twice."""
    password_changed_at: Mapped[datetime | None] = _ts(nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    """Bumped by every save on an administration screen: a save from an older revision is refused."""
    updated_at: Mapped[datetime | None] = _ts(nullable=True)
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL", use_alter=True, name="fk_staff_users_updated_by")
    )


class MfaRecoveryCode(Base):
    """A single-use code that replaces the authenticator once; only its hash is stored."""

    __tablename__ = "mfa_recovery_codes"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _ts()
    used_at: Mapped[datetime | None] = _ts(nullable=True)


class PasswordReset(Base):
    """An emailed password-reset link: single use, expiring; the table holds only the token's hash."""

    __tablename__ = "password_resets"
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = _ts()
    used_at: Mapped[datetime | None] = _ts(nullable=True)


class StaffLocation(Base):
    """The locations a staff user may see and be assigned leads at."""

    __tablename__ = "staff_locations"
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )


class UserSession(Base):
    """A server-side login session; the cookie holds a random token, the table only its hash."""

    __tablename__ = "user_sessions"
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _ts()
    last_seen_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = _ts()
    revoked_at: Mapped[datetime | None] = _ts(nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class BreakGlassGrant(Base):
    """Emergency read access to one practice's leads outside a person's scope: reason, time limit, alert."""

    __tablename__ = "break_glass_grants"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = _ts()
    ended_at: Mapped[datetime | None] = _ts(nullable=True)
    """Set when the person closes the access before it runs out."""


class FormSource(Base):
    """One web form (or form provider) that posts inquiries to its own signed webhook."""

    __tablename__ = "form_sources"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("locations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))


class FormDelivery(Base):
    """One delivery to a form source's webhook and its answer: ids and codes, never the body."""

    __tablename__ = "form_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    form_source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("form_sources.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = _ts()
    status_code: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    """accepted, merged, replayed, refused, or test (sent from the form sources screen)."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was refused (signature, unreadable body, the fields that failed), without their values."""
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    webhook_id: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (Index("ix_form_deliveries_source_id", "form_source_id", "id"),)


class AccountLink(Base):
    """A one-time set-password link (invitation or reset); the token is only in the email, its hash here."""

    __tablename__ = "account_links"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    """invite or reset."""
    created_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = _ts()
    used_at: Mapped[datetime | None] = _ts(nullable=True)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )


class FormSourceSecret(Base):
    """A signing secret of a form source; several are valid at once while a rotation completes."""

    __tablename__ = "form_source_secrets"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    form_source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("form_sources.id", ondelete="CASCADE"), index=True
    )
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime | None] = _ts(nullable=True)


class Lead(Base):
    """A person who asked the practice for care; PHI columns hold AES-GCM ciphertext."""

    __tablename__ = "leads"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    household_lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    """The first lead of the same household (same phone, another name): a parent booking for a child."""
    referring_physician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    referring_office_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("referring_offices.id", ondelete="SET NULL")
    )
    first_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    date_of_birth_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    zip: Mapped[str | None] = mapped_column(String(10))
    age_range: Mapped[str | None] = mapped_column(String(16))
    treatment_interest: Mapped[str | None] = mapped_column(String(32))
    source_kind: Mapped[str] = mapped_column(String(20))
    """How the first inquiry arrived: form, call, chat, walk_in, referral, sms."""
    source_channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="open")
    stage: Mapped[str] = mapped_column(String(32), default="lead")
    close_reason: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[int | None] = mapped_column(Integer)
    """0-100, or NULL while unscored (never a made-up number)."""
    score_version: Mapped[str | None] = mapped_column(String(64))
    score_reasons: Mapped[list[Any]] = mapped_column(default=list)
    score_pooled: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None] = _ts(nullable=True)
    claimed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    claimed_at: Mapped[datetime | None] = _ts(nullable=True)
    received_at: Mapped[datetime] = _ts()
    sla_started_at: Mapped[datetime | None] = _ts(nullable=True)
    """When the contact clock starts: arrival, or the next opening for after-hours leads."""
    sla_due_at: Mapped[datetime | None] = _ts(nullable=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = _ts(nullable=True)
    next_escalation_at: Mapped[datetime | None] = _ts(nullable=True)
    """When the next escalation level is due (set at level 1), so the sweeper finds lost level-2 jobs."""
    overflow: Mapped[bool] = mapped_column(Boolean, default=False)
    """Visible in the overflow agents' queue."""
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """Sent as urgent (a physician's urgent referral), or the patient names an emergency or writes
    that it is urgent (intake reads the message): sorts before other leads, after escalated ones."""
    first_contact_at: Mapped[datetime | None] = _ts(nullable=True)
    first_contact_source: Mapped[str | None] = mapped_column(String(20))
    """What made first contact: board, call, sms_reply, booking."""
    first_contact_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    first_contact_business_seconds: Mapped[int | None] = mapped_column(Integer)
    """Time to first contact as the SLA judges it (business time; wall time for after-hours overflow)."""
    closed_at: Mapped[datetime | None] = _ts(nullable=True)
    last_activity_at: Mapped[datetime] = _ts()
    touch_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))
    phi_purged_at: Mapped[datetime | None] = _ts(nullable=True)
    """When the retention job removed the lead's PHI; its de-identified figures remain."""
    __table_args__ = (
        Index("ix_leads_practice_phone_index", "practice_id", "phone_index"),
        Index("ix_leads_practice_email_index", "practice_id", "email_index"),
        Index("ix_leads_location_status", "location_id", "status"),
        Index("ix_leads_open_assigned", "assigned_user_id", postgresql_where=text("status = 'open'")),
        Index("ix_leads_practice_received", "practice_id", "received_at"),
        Index(
            "ix_leads_closed_unpurged",
            "closed_at",
            postgresql_where=text("status = 'closed' AND phi_purged_at IS NULL"),
        ),
        Index(
            "ix_leads_open_sla",
            "sla_due_at",
            postgresql_where=text("status = 'open' AND first_contact_at IS NULL"),
        ),
        Index(
            "ix_leads_open_claims",
            "claimed_at",
            postgresql_where=text(
                "status = 'open' AND claimed_by_user_id IS NOT NULL AND first_contact_at IS NULL"
            ),
        ),
    )


class Touchpoint(Base):
    """One contact of a person with the practice's marketing: a form, call, visit, chat, referral."""

    __tablename__ = "touchpoints"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = _ts()
    form_source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("form_sources.id", ondelete="SET NULL")
    )
    visitor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    treatment_interest: Mapped[str | None] = mapped_column(String(32))
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_term: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    gclid: Mapped[str | None] = mapped_column(String(200))
    fbclid: Mapped[str | None] = mapped_column(String(200))
    referrer: Mapped[str | None] = mapped_column(Text)
    landing_page: Mapped[str | None] = mapped_column(Text)
    pages_visited: Mapped[int | None] = mapped_column(Integer)
    time_on_site_seconds: Mapped[int | None] = mapped_column(Integer)
    device_type: Mapped[str | None] = mapped_column(String(16))
    form_completion_seconds: Mapped[int | None] = mapped_column(Integer)
    ad_creative: Mapped[str | None] = mapped_column(String(200))
    keyword_match_type: Mapped[str | None] = mapped_column(String(16))
    last_dental_visit: Mapped[str | None] = mapped_column(String(20))
    message_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    referred_by_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Who sent the patient, in the words the form or the front desk gave (a patient referral)."""
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Non-PHI extras of the vendor payload kept for scoring and attribution."""


class FunnelEvent(Base):
    """A lead reaching a funnel stage, with when."""

    __tablename__ = "funnel_events"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = _ts()
    actor: Mapped[str | None] = mapped_column(String(100))


APPOINTMENT_STATUSES = ("booked", "confirmed", "cancelled", "no_show", "completed")
APPOINTMENT_SOURCES = ("board", "overflow", "phone", "pms", "online")


class Appointment(Base):
    """A visit booked for a lead at one of the practice's offices: when, with whom, who booked it where.

    The lead keeps no appointment columns; a lead may have several appointments over time.
    """

    __tablename__ = "appointments"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = _ts()
    provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="booked", server_default=text("'booked'"))
    source: Mapped[str] = mapped_column(String(16))
    """Where it was booked: board, overflow (an agent), phone, pms, online."""
    booked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), index=True
    )
    appointment_type: Mapped[str | None] = mapped_column(String(64))
    """What the visit is for, in the PMS's words ("New patient exam", "Invisalign consult")."""
    pms_id: Mapped[str | None] = mapped_column(String(64))
    """The appointment's id in the practice-management system, once it is there."""
    pms_state: Mapped[str | None] = mapped_column(String(12))
    """None: the practice has no PMS the product writes to; pending (to be written, retried by the
    worker), synced (the PMS has it), failed (the PMS refused it for good; a manager was alerted)."""
    pms_version: Mapped[str | None] = mapped_column(String(64))
    """The PMS's version (FHIR meta.versionId, a file row's digest): a change seen twice is skipped."""
    pms_slot_id: Mapped[str | None] = mapped_column(String(64))
    pms_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    pms_next_attempt_at: Mapped[datetime | None] = _ts(nullable=True)
    pms_error: Mapped[str | None] = mapped_column(Text)
    """Why the last write to the PMS failed, in words a manager can act on (no PHI)."""
    pms_alerted_at: Mapped[datetime | None] = _ts(nullable=True)
    updated_at: Mapped[datetime | None] = _ts(nullable=True)
    confirmed_at: Mapped[datetime | None] = _ts(nullable=True)
    """When the patient confirmed (a reply to a reminder); kept when the PMS later rewrites the status."""
    reminders_planned_for: Mapped[datetime | None] = _ts(nullable=True)
    """The start time the reminders were last planned for: differs from `starts_at` until planned."""
    __table_args__ = (
        Index("ix_appointments_location_starts_at", "location_id", "starts_at"),
        Index(
            "ix_appointments_reminders_due",
            "starts_at",
            postgresql_where=text(
                "lead_id IS NOT NULL AND status IN ('booked', 'confirmed') "
                "AND reminders_planned_for IS DISTINCT FROM starts_at"
            ),
        ),
        UniqueConstraint("practice_id", "pms_id", name="uq_appointments_practice_pms_id"),
        Index(
            "ix_appointments_pms_pending",
            "pms_next_attempt_at",
            postgresql_where=text("pms_state = 'pending'"),
        ),
    )


PMS_KINDS = ("fhir", "file")
TREATMENT_STATUSES = ("presented", "accepted", "completed", "declined")


class Patient(Base):
    """A person in the practice-management system; PHI columns hold AES-GCM ciphertext."""

    __tablename__ = "patients"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    pms_id: Mapped[str] = mapped_column(String(64))
    first_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    date_of_birth_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    zip: Mapped[str | None] = mapped_column(String(10))
    pms_version: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(8))
    """Where the row came from: fhir or file."""
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("practice_id", "pms_id", name="uq_patients_practice_pms_id"),
        Index("ix_patients_practice_phone_index", "practice_id", "phone_index"),
        Index("ix_patients_practice_email_index", "practice_id", "email_index"),
    )


class TreatmentPlan(Base):
    """Care proposed to a patient: presented, accepted, completed (or declined), with its value."""

    __tablename__ = "treatment_plans"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    pms_id: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(200))
    """The treatment's name in the PMS ("Clear aligners"); no clinical notes."""
    status: Mapped[str] = mapped_column(String(12))
    value: Mapped[float | None] = mapped_column(Float)
    provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    presented_at: Mapped[datetime | None] = _ts(nullable=True)
    accepted_at: Mapped[datetime | None] = _ts(nullable=True)
    completed_at: Mapped[datetime | None] = _ts(nullable=True)
    pms_version: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (UniqueConstraint("practice_id", "pms_id", name="uq_treatment_plans_practice_pms_id"),)


class LeadPatientMatch(Base):
    """A link between a lead and a PMS patient, with how it was made and how sure it is.

    `exact` links are made on sync (same blind-indexed phone or email and the same date of birth or
    name); the probabilistic matcher adds `probabilistic` rows with its score, and an accepted review
    a `manual` row. Every row is a link: pairs waiting for a manager, and pairs a manager rejected,
    are `MatchReview` rows (the one review queue).
    """

    __tablename__ = "lead_patient_matches"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    """exact, booking (the product created the patient from this lead), probabilistic, manual."""
    score: Mapped[float] = mapped_column(Float)
    """1.0 for exact and booking links; the matcher's match probability otherwise."""
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (UniqueConstraint("lead_id", "patient_id", name="uq_lead_patient_matches_lead_patient"),)


class PmsConnection(Base):
    """A practice's practice-management system: how it is reached, and where its sync stands."""

    __tablename__ = "pms_connections"
    practice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    """fhir (a FHIR R4 server, read and possibly written) or file (nightly CSV exports, read only)."""
    base_url: Mapped[str | None] = mapped_column(Text)
    writable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """Bookings made in the product are written to the PMS (FHIR only)."""
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    """Per resource type, the last-updated instant of the newest change applied."""
    last_sync_at: Mapped[datetime | None] = _ts(nullable=True)
    """When the last sync run finished (successfully or not)."""
    last_success_at: Mapped[datetime | None] = _ts(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = _ts(nullable=True)
    next_sync_at: Mapped[datetime | None] = _ts(nullable=True)
    """While the PMS fails: the earliest next attempt (back-off)."""
    alerted_at: Mapped[datetime | None] = _ts(nullable=True)
    """When managers were told the sync has been failing (once per outage)."""
    subscription_ids: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    """The FHIR Subscriptions (rest-hook) the PMS calls us back through; empty: polling only."""
    notify_token_sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
    """SHA-256 of the bearer token the subscriptions send; the token itself is only in the PMS."""
    subscription_checked_at: Mapped[datetime | None] = _ts(nullable=True)
    """When the product last asked the PMS for subscriptions (asked again daily while it has none)."""
    subscription_note: Mapped[str | None] = mapped_column(Text)
    """Why there are none, in plain words (the PMS does not offer them, or refused)."""
    updated_at: Mapped[datetime] = _ts()


class PmsSyncRun(Base):
    """One sync run or file import: when, what it changed, what went wrong."""

    __tablename__ = "pms_sync_runs"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    """poll (the worker's FHIR sync) or file (an uploaded or dropped export)."""
    started_at: Mapped[datetime] = _ts()
    finished_at: Mapped[datetime | None] = _ts(nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="running")
    """running, done or failed (a run killed mid-way stays running; the next run resumes its work)."""
    seen: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    """Plain-words problems (a file's bad lines by number, an unreachable server); no PHI."""
    __table_args__ = (Index("ix_pms_sync_runs_practice_started", "practice_id", "started_at"),)


class ReconciliationFinding(Base):
    """A funnel inconsistency the checks found (router/funnel/reconciliation.py) and how it was resolved."""

    __tablename__ = "reconciliation_findings"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    """The rule and its leads, hashed: a finding seen again by a later check is the same row."""
    lead_ids: Mapped[list[Any]] = mapped_column(default=list)
    """The leads involved, as text UUIDs (a gap may list many)."""
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Stage names and counts only, never PHI."""
    status: Mapped[str] = mapped_column(String(12), default="open", server_default=text("'open'"))
    """open, resolved (linked or merged) or dismissed."""
    resolution: Mapped[str | None] = mapped_column(String(12))
    """link, merge or dismiss."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was dismissed, in the manager's words (required to dismiss)."""
    resolved_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[datetime | None] = _ts(nullable=True)
    found_at: Mapped[datetime] = _ts()
    last_seen_at: Mapped[datetime] = _ts()
    """When a check last found it (an open finding no check finds any more is closed as resolved)."""
    __table_args__ = (
        UniqueConstraint("practice_id", "fingerprint", name="uq_reconciliation_findings_fingerprint"),
        Index("ix_reconciliation_findings_practice_status", "practice_id", "status"),
    )


class MatchReview(Base):
    """A lead and a patient the matcher found alike but not sure enough to link: a manager decides.

    The one queue of unsure pairs (links themselves are `LeadPatientMatch` rows). `patient_id` names
    the practice-management patient record; it has no foreign key so that a patient directory other
    than the synced `patients` table can stand behind the matcher.
    """

    __tablename__ = "match_reviews"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID)
    probability: Mapped[float] = mapped_column(Float)
    agreement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Per field, how well the two agree (splink's comparison level; -1 missing, 0 different)."""
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default=text("'pending'"))
    """pending, accepted or rejected (a rejected pair is never queued again)."""
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("lead_id", "patient_id", name="uq_match_reviews_lead_patient"),
        Index("ix_match_reviews_practice_status", "practice_id", "status"),
    )


class Interaction(Base):
    """Something that happened between the practice and a lead: an attempt, a contact, a note, a call."""

    __tablename__ = "interactions"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    occurred_at: Mapped[datetime] = _ts()
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CallBackTask(Base):
    """An overflow agent's "call back at": at `due_at` the lead returns to the top of the agents' queue
    and shows on the practice's board with the agent's note (the disposition's interaction)."""

    __tablename__ = "call_back_tasks"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    """The disposition that asked for it; its note (encrypted there) is the task's note."""
    due_at: Mapped[datetime] = _ts()
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _ts()
    surfaced_at: Mapped[datetime | None] = _ts(nullable=True)
    """When the worker put the lead back in front of people (once)."""
    done_at: Mapped[datetime | None] = _ts(nullable=True)
    """When someone acted on the lead again, or it closed: the task no longer shows."""
    __table_args__ = (
        Index("ix_call_back_tasks_pending_due", "due_at", postgresql_where=text("surfaced_at IS NULL")),
    )


class TextRead(Base):
    """How far a lead's texts have been read at the practice (a shared inbox, as a team reads it)."""

    __tablename__ = "text_reads"
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    read_through: Mapped[datetime] = _ts()
    """Texts received up to this moment have been seen."""
    read_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )


class ConsentRecord(Base):
    """A consent to SMS as it was given; immutable (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "consent_records"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    email_index: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    """For an email consent (channel "email"): the address's blind index, as phone_index is for SMS."""
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    granted: Mapped[bool] = mapped_column(Boolean)
    disclosure_version: Mapped[str | None] = mapped_column(String(64))
    captured_at: Mapped[datetime] = _ts()
    page: Mapped[str | None] = mapped_column(Text)
    ip_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(32))


class DomainEvent(Base):
    """The outbox and the board's source of truth; ids increase in commit order."""

    __tablename__ = "domain_events"
    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue()
    )
    kind: Mapped[str] = mapped_column(String(64))
    practice_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    location_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Ids and codes only, never PHI: subscribers read what they may see."""
    created_at: Mapped[datetime] = _ts()


class AuditRecord(Base):
    """Who read or wrote which lead's PHI, when, from where; append-only and hash-chained by the sealer."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = _ts()
    actor_type: Mapped[str] = mapped_column(String(16))
    """user, integration or system."""
    actor_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    practice_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID, index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    row_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    __table_args__ = (
        Index("ix_audit_log_unsealed", "id", postgresql_where=text("chain_seq IS NULL")),
        Index("ix_audit_log_practice_id", "practice_id", "id"),
    )


class IdempotencyRecord(Base):
    """The answer given to a webhook delivery, so a retry gets the same answer and writes nothing."""

    __tablename__ = "idempotency_records"
    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _ts()


class ModelVersion(Base):
    """A trained scoring model with its metrics and card; at most one active per practice (or pooled)."""

    __tablename__ = "model_versions"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    practice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    """NULL: the pooled model that scores practices without enough history of their own."""
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    holdout_auc: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    card_markdown: Mapped[str] = mapped_column(Text)
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)
    feature_names: Mapped[list[Any]] = mapped_column(default=list)
    onnx_model: Mapped[bytes] = mapped_column(LargeBinary)
    booster: Mapped[bytes] = mapped_column(LargeBinary)
    reference_scores: Mapped[list[Any]] = mapped_column(default=list)
    holdout: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The holdout's feature matrix and outcomes (npz, no PHI): champions are re-scored on it."""
    created_at: Mapped[datetime] = _ts()
    promoted_at: Mapped[datetime | None] = _ts(nullable=True)
    promoted_by: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (
        Index(
            "uq_model_versions_active_practice",
            text("coalesce(practice_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )


class ManagerAlert(Base):
    """An escalation as the location's managers see it in-app, with what was sent to whom."""

    __tablename__ = "manager_alerts"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    """No PHI: the location, the wait and a link, as in the SMS and email."""
    deliveries: Mapped[list[Any]] = mapped_column(default=list)
    """One entry per manager and channel: {"user_id", "channel", "status", "detail"}."""
    send_lease_until: Mapped[datetime | None] = _ts(nullable=True)
    """While pending sends remain: who holds the lease sends them; once it lapses, the sweeper does."""
    call_task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nurture_call_tasks.id", ondelete="CASCADE")
    )
    """Set when the alert is about a follow-up call left undone, not about the lead's first contact."""
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (
        Index(
            "uq_manager_alerts_lead_level",
            "lead_id",
            "level",
            unique=True,
            postgresql_where=text("call_task_id IS NULL"),
        ),
        Index(
            "uq_manager_alerts_call_task",
            "call_task_id",
            unique=True,
            postgresql_where=text("call_task_id IS NOT NULL"),
        ),
        Index("ix_manager_alerts_practice_created", "practice_id", "created_at"),
    )


class TrackingNumber(Base):
    """A call-tracking number printed on one channel's ads; calls and texts to it ring one location."""

    __tablename__ = "tracking_numbers"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    phone_e164: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    campaign: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))


class PracticePhoneSettings(Base):
    """How a practice's phones behave: recording notice, overflow mode, missed-call text-back."""

    __tablename__ = "practice_phone_settings"
    practice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    practice_number: Mapped[str | None] = mapped_column(String(20))
    """The Twilio number texts and click-to-call show; else the location's first tracking number."""
    records_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_notice: Mapped[str | None] = mapped_column(Text)
    overflow_mode: Mapped[str] = mapped_column(String(16), default="number")
    """number: dial the call center's number; queue: wait in the queue overflow agents take calls from."""
    ring_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    missed_call_text_back: Mapped[bool] = mapped_column(Boolean, default=False)
    text_back_message: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = _ts()
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    updated_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL", name="fk_practice_phone_settings_updated_by")
    )


class PhoneCall(Base):
    """One Twilio call (inbound to a tracking number, or click-to-call) and where it got to."""

    __tablename__ = "phone_calls"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    tracking_number_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    staff_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    """The staff member rung first (sticky routing) or who clicked to call."""
    direction: Mapped[str] = mapped_column(String(16))
    """inbound or click_to_call."""
    status: Mapped[str] = mapped_column(String(20))
    status_rank: Mapped[int] = mapped_column(Integer, default=0)
    """Twilio's status order; a callback with a lower rank arrived late and changes nothing."""
    routing_step: Mapped[str | None] = mapped_column(String(20))
    answered_by: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None] = _ts(nullable=True)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(Text)
    transcription_sid: Mapped[str | None] = mapped_column(String(64))
    caller_is_new: Mapped[bool] = mapped_column(Boolean, default=False)
    text_back_at: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()


class SmsMessage(Base):
    """One text message in or out; outbound ones wait here (deferred) until quiet hours end."""

    __tablename__ = "sms_messages"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    message_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """The sender's idempotency key (a text-back per call, an escalation text per level)."""
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(16))
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    practice_number: Mapped[str | None] = mapped_column(String(20))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))
    status_rank: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(16))
    send_after: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (Index("ix_sms_messages_practice_phone", "practice_id", "phone_index"),)


class TrackingSite(Base):
    """A practice website that runs the first-party journey script; its key is public, in the snippet."""

    __tablename__ = "tracking_sites"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    origins: Mapped[list[Any]] = mapped_column(default=list)
    """Origins (scheme://host[:port]) allowed to post page visits: the practice's own site(s)."""
    created_at: Mapped[datetime] = _ts(server_default=text("now()"))


class AdSpend(Base):
    """One day of one campaign's spend, impressions and clicks, as an ad platform's export states it."""

    __tablename__ = "ad_spend"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    day: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    """The platform's reporting day (midnight, no zone: platforms report in the account's zone)."""
    channel: Mapped[str] = mapped_column(String(32))
    campaign: Mapped[str] = mapped_column(String(200), default="")
    """Empty when the export is per channel only (never NULL, so the unique key holds)."""
    spend: Mapped[float] = mapped_column(Float)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint(
            "practice_id", "day", "channel", "campaign", name="uq_ad_spend_practice_day_campaign"
        ),
    )


class PatientValue(Base):
    """The known value of the care a lead's patient accepted (PMS or staff), for value attribution."""

    __tablename__ = "patient_values"
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    value: Mapped[float] = mapped_column(Float)
    """Lifetime value so far in the practice's currency: treatment accepted plus later production."""
    source: Mapped[str] = mapped_column(String(20))
    """pms, staff or simulator."""
    recorded_at: Mapped[datetime] = _ts()


class AttributionRun(Base):
    """One attribution run of a practice: its window, model, timings and the stored credit tables."""

    __tablename__ = "attribution_runs"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    """queued, running, done or failed."""
    requested_by: Mapped[str] = mapped_column(String(100))
    """nightly, cli, or the user id who pressed "run now"."""
    model: Mapped[str] = mapped_column(String(32), default="markov")
    markov_order: Mapped[int] = mapped_column(Integer, default=1)
    conversion_stage: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime] = _ts()
    window_end: Mapped[datetime] = _ts()
    journeys: Mapped[int | None] = mapped_column(Integer)
    conversions: Mapped[float | None] = mapped_column(Float)
    read_seconds: Mapped[float | None] = mapped_column(Float)
    """Reading and stitching the journeys from PostgreSQL."""
    compute_seconds: Mapped[float | None] = mapped_column(Float)
    """Aggregating the journeys and running every model."""
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The `leadrouter attribution --json` document plus spend, cost per booking and budget moves."""
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = _ts()
    finished_at: Mapped[datetime | None] = _ts(nullable=True)
    __table_args__ = (Index("ix_attribution_runs_practice_requested", "practice_id", "requested_at"),)


class NurtureSettings(Base):
    """How a practice's nurture sends: its sender identity, rate limits and the staff-call threshold."""

    __tablename__ = "nurture_settings"
    practice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    sender_name: Mapped[str | None] = mapped_column(String(200))
    sender_email: Mapped[str | None] = mapped_column(String(254))
    """The From address of the practice's patient emails (its own domain, set up for SPF/DKIM)."""
    reply_to: Mapped[str | None] = mapped_column(String(254))
    scheduling_url: Mapped[str | None] = mapped_column(Text)
    """The practice's online scheduling page: what `{{ scheduling_link }}` leads to (through our redirect)."""
    call_task_score: Mapped[int | None] = mapped_column(Integer)
    """Leads scoring at or above this get a staff call task instead of automated messages."""
    emails_per_hour: Mapped[int] = mapped_column(Integer, default=200)
    texts_per_hour: Mapped[int] = mapped_column(Integer, default=100)
    call_task_escalate_hours: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    """Working hours (the office's business hours) a due call task may wait before managers are alerted."""
    tag_reply_address: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    """Reply-To carries a signed tag (plus address, RFC 5233) so a forwarded reply branches the sequence."""
    second_approver_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    """Named by a practice with a single approver, so a template's author is never its approver."""
    updated_at: Mapped[datetime] = _ts()


class ReminderSettings(Base):
    """A practice's appointment reminders: on or off (and since when), and how long before a visit."""

    __tablename__ = "reminder_settings"
    practice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    first_enabled_at: Mapped[datetime | None] = _ts(nullable=True)
    """When reminders were first switched on: the no-show report's before/after line."""
    enabled_at: Mapped[datetime | None] = _ts(nullable=True)
    """When they were last switched on."""
    confirmation: Mapped[bool] = mapped_column(Boolean, default=True)
    """Send a confirmation at booking."""
    hours_before: Mapped[list[Any]] = mapped_column(default=lambda: [48, 2])
    """Reminders this many hours before a visit (whole days keep the office's wall-clock time)."""
    type_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Per appointment type (the PMS's words, lower case): its own hours before, replacing the default."""
    updated_at: Mapped[datetime] = _ts()


class ScheduleAlert(Base):
    """A patient's text reply to a reminder, read as a confirmation, a cancellation or a wish to move it.

    Cancellations and reschedules show in the practice's text inbox until someone marks them handled.
    """

    __tablename__ = "schedule_alerts"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    sms_message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sms_messages.id", ondelete="CASCADE"), unique=True
    )
    """The reply it was read from: one reading per text, however often Twilio retries the webhook."""
    meaning: Mapped[str] = mapped_column(String(16))
    """confirmed, cancel or reschedule."""
    appointment_at: Mapped[datetime] = _ts()
    """The appointment's start when the reply came (what the patient answered about)."""
    created_at: Mapped[datetime] = _ts()
    handled_at: Mapped[datetime | None] = _ts(nullable=True)
    handled_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )


class NurtureTemplate(Base):
    """A message's wording for one channel and language; what sends is its approved version."""

    __tablename__ = "nurture_templates"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    """What a sequence step names ("ortho-welcome-email"); one template per key and language."""
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    approved_version_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    """The version that sends; NULL until one is approved."""
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("practice_id", "key", "language", name="uq_nurture_templates_practice_key"),
    )


class NurtureTemplateVersion(Base):
    """One wording of a template: a draft until a manager other than its author approves it."""

    __tablename__ = "nurture_template_versions"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("nurture_templates.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    """draft, approved or retired (an approved version replaced by a newer one)."""
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    approved_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("template_id", "version", name="uq_nurture_template_versions_version"),
    )


class NurtureSequence(Base):
    """A follow-up plan for one kind of lead: who enrols (treatment, score, source, office) and its steps."""

    __tablename__ = "nurture_sequences"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    treatment: Mapped[str | None] = mapped_column(String(32))
    """The treatment interest that enrols a lead; NULL for any."""
    min_score: Mapped[int | None] = mapped_column(Integer)
    max_score: Mapped[int | None] = mapped_column(Integer)
    source_kind: Mapped[str | None] = mapped_column(String(20))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    """New enrolments start on this version; enrolled leads stay on the one they started."""
    created_at: Mapped[datetime] = _ts()


class NurtureSequenceVersion(Base):
    """The steps of one version of a sequence, frozen once a lead is enrolled on it."""

    __tablename__ = "nurture_sequence_versions"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("nurture_sequences.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list[Any]] = mapped_column(default=list)
    """[{"wait_minutes", "action": email|sms|call, "template", "variant_template", "branch_on",
    "branch_to"}], built on the sequences screen (never typed as JSON)."""
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("sequence_id", "version", name="uq_nurture_sequence_versions_version"),
    )


class NurtureEnrolment(Base):
    """A lead's place in a sequence; a lead is in at most one active or paused sequence at a time."""

    __tablename__ = "nurture_enrolments"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    sequence_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("nurture_sequence_versions.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="en")
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    """The next step to run (len(steps) once finished)."""
    status: Mapped[str] = mapped_column(String(12), default="active")
    """active, paused, exited or finished."""
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    next_due_at: Mapped[datetime | None] = _ts(nullable=True)
    enrolled_at: Mapped[datetime] = _ts()
    last_step_at: Mapped[datetime | None] = _ts(nullable=True)
    ended_at: Mapped[datetime | None] = _ts(nullable=True)
    __table_args__ = (
        Index("ix_nurture_enrolments_due", "next_due_at", postgresql_where=text("status = 'active'")),
        Index(
            "uq_nurture_enrolments_one_per_lead",
            "lead_id",
            unique=True,
            postgresql_where=text("status IN ('active', 'paused')"),
        ),
    )


class NurtureMessage(Base):
    """The outbox: one patient email or text of a sequence step; sent at most once by the worker."""

    __tablename__ = "nurture_messages"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nurture_enrolments.id", ondelete="SET NULL")
    )
    step_index: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(16), default="sequence", server_default="sequence")
    """sequence (a step of a nurture sequence), reminder, review_request or thank_you."""
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(8))
    template_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nurture_template_versions.id", ondelete="SET NULL")
    )
    variant: Mapped[str] = mapped_column(String(1), default="A")
    recipient_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    """queued, held (missing variable), sending, sent, unknown (outcome unknown after a crash: never
    resent), failed, bounced, blocked (opt-out, no consent) or cancelled (the lead left the sequence)."""
    send_after: Mapped[datetime | None] = _ts(nullable=True)
    attempt_started_at: Mapped[datetime | None] = _ts(nullable=True)
    """Set and committed before the provider is called: a row "sending" after a crash is checked."""
    provider_id: Mapped[str | None] = mapped_column(String(200))
    from_number: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    """Why it is held, blocked or failed, in plain words (no PHI)."""
    opened_at: Mapped[datetime | None] = _ts(nullable=True)
    clicked_at: Mapped[datetime | None] = _ts(nullable=True)
    replied_at: Mapped[datetime | None] = _ts(nullable=True)
    """The first email reply read back for this message (the sequence's "replied" branch)."""
    bounced_at: Mapped[datetime | None] = _ts(nullable=True)
    """When a delivery status notification (RFC 3464) said it failed, after it was sent."""
    sent_at: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    reminder_kind: Mapped[str | None] = mapped_column(String(24))
    """For a reminder: confirmation, reminder_48h, reminder_2h... (router/reminders/timing.py)."""
    appointment_at: Mapped[datetime | None] = _ts(nullable=True)
    """For a reminder: the appointment's start it announces; a moved appointment makes it stale."""
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_index", name="uq_nurture_messages_step"),
        Index(
            "uq_nurture_messages_reminder",
            "appointment_id",
            "reminder_kind",
            "appointment_at",
            unique=True,
            postgresql_where=text("reminder_kind IS NOT NULL AND status <> 'cancelled'"),
        ),
        Index("ix_nurture_messages_due", "send_after", postgresql_where=text("status = 'queued'")),
        Index("ix_nurture_messages_practice_sent", "practice_id", "channel", "sent_at"),
        Index(
            "ix_nurture_messages_sending", "attempt_started_at", postgresql_where=text("status = 'sending'")
        ),
        Index(
            "ix_nurture_messages_appointment",
            "appointment_id",
            postgresql_where=text("appointment_id IS NOT NULL"),
        ),
        Index(
            "ix_nurture_messages_patient_purpose",
            "patient_id",
            "purpose",
            "created_at",
            postgresql_where=text("patient_id IS NOT NULL"),
        ),
        Index(
            "uq_nurture_messages_review_appointment",
            "appointment_id",
            unique=True,
            postgresql_where=text("purpose = 'review_request'"),
        ),
    )


class NurtureCallTask(Base):
    """A staff call a sequence asks for (high-value leads get a person, not automation)."""

    __tablename__ = "nurture_call_tasks"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nurture_enrolments.id", ondelete="SET NULL")
    )
    step_index: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(12), default="open")
    """open, done or cancelled."""
    reason: Mapped[str | None] = mapped_column(String(16))
    """call_step (the sequence asks for a call) or high_score (a call instead of an automated message)."""
    escalated_at: Mapped[datetime | None] = _ts(nullable=True)
    """When managers were alerted that it is overdue (once)."""
    done_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    done_at: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_index", name="uq_nurture_call_tasks_step"),
        Index(
            "ix_nurture_call_tasks_open", "location_id", "due_at", postgresql_where=text("status = 'open'")
        ),
    )


class OpsMark(Base):
    """When a piece of the running service last did its job (router/ops/marks.py names them)."""

    __tablename__ = "ops_marks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    """worker_heartbeat, escalation_sweep, audit_seal, pms_sync, backup."""
    at: Mapped[datetime] = _ts()
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What the run reported (counts, a file name, the process); never PHI."""


REFERRAL_URGENCIES = ("routine", "soon", "urgent")
"""How soon a referring physician asks for the patient to be seen."""


class ReferralPartner(Base):
    """A referring office that sends patients to a practice: its physicians and staff may refer there."""

    __tablename__ = "referral_partners"
    practice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    referring_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referring_offices.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = _ts()


class Referral(Base):
    """A patient a physician's office sent electronically: who sent it, why, how soon; its lead."""

    __tablename__ = "referrals"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    referring_office_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("referring_offices.id", ondelete="SET NULL"), index=True
    )
    referring_physician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    """The physician the referral is from (their office staff may send it on their behalf)."""
    submitted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    """The lead it created or joined; NULL only between the referral's save and its intake."""
    urgency: Mapped[str] = mapped_column(String(12))
    preferred_location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("locations.id", ondelete="SET NULL")
    )
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    clinical_notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    """The form's one-time key: the same form sent twice is one referral."""
    submitted_at: Mapped[datetime] = _ts()
    __table_args__ = (Index("ix_referrals_practice_submitted", "practice_id", "submitted_at"),)


class ReferralAttachment(Base):
    """A file sent with a referral (a PDF or an image), encrypted: its name and its bytes."""

    __tablename__ = "referral_attachments"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    file_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    content_enc: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(64))
    """The type read from the content (never the name or the browser's claim)."""
    size_bytes: Mapped[int] = mapped_column(Integer)
    scanned_by: Mapped[str] = mapped_column(String(64))
    """The virus scanner that passed it ("none" when no scanner is configured)."""
    created_at: Mapped[datetime] = _ts()


class ReferralReport(Base):
    """An outcome a referrer is told about: their patient was seen, accepted or completed treatment."""

    __tablename__ = "referral_reports"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = _ts()
    provider_name: Mapped[str | None] = mapped_column(String(200))
    """Who saw the patient, once the practice-management system says so."""
    created_at: Mapped[datetime] = _ts()
    notified: Mapped[list[Any]] = mapped_column(default=list)
    """One entry per person emailed: {"user_id", "status"} (the email holds no patient data)."""
    __table_args__ = (UniqueConstraint("referral_id", "stage", name="uq_referral_reports_referral_stage"),)


class ChatSource(Base):
    """A practice's chat widget (Chatwoot) or chat-transcript sender, posting to its own webhook."""

    __tablename__ = "chat_sources"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    """chatwoot or transcript (Standard Webhooks, like the forms)."""
    name: Mapped[str] = mapped_column(String(200))
    default_location_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("locations.id", ondelete="SET NULL")
    )
    signing_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Chatwoot's webhook secret (or the transcript sender's signing secret)."""
    url_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """A secret in the webhook's URL, for Chatwoot versions that do not sign."""
    api_base_url: Mapped[str | None] = mapped_column(String(300))
    account_id: Mapped[int | None] = mapped_column(Integer)
    api_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The Chatwoot access token replies are sent with."""
    created_at: Mapped[datetime] = _ts()


class ChatConversation(Base):
    """One chat conversation, and the lead it became."""

    __tablename__ = "chat_conversations"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    chat_source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_sources.id", ondelete="CASCADE"))
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("chat_source_id", "external_id", name="uq_chat_conversations_source_external"),
    )


class ChatMessage(Base):
    """One chat message in or out; a reply typed in the product waits here until Chatwoot takes it."""

    __tablename__ = "chat_messages"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(8))
    """in (the patient) or out (the practice)."""
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    """Who typed a reply in the product."""
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    """received, sending, sent or failed."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why a reply was not delivered (no patient data)."""
    sent_at: Mapped[datetime] = _ts()
    created_at: Mapped[datetime] = _ts()
    __table_args__ = (
        UniqueConstraint("conversation_id", "external_id", name="uq_chat_messages_conversation_external"),
    )


class PatientReferralCode(Base):
    """A short code an existing patient shares: a visit or inquiry carrying it is a patient referral."""

    __tablename__ = "patient_referral_codes"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    """The referring patient's lead (their patient record once the appointments work lands)."""
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _ts()


class ComplaintFlag(Base):
    """An open complaint about a patient: while open, no review request is asked of them.

    Set by staff on the lead page with a short reason (encrypted), cleared by a manager with another;
    both audited. `patient_id` is the lead's patient when the flag was set, so the flag also covers
    the patient's other leads; the check reads the lead's flags and the patient's.
    """

    __tablename__ = "complaint_flags"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    raised_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    raised_at: Mapped[datetime] = _ts()
    cleared_at: Mapped[datetime | None] = _ts(nullable=True)
    cleared_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    clear_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    __table_args__ = (
        Index(
            "uq_complaint_flags_open_lead",
            "lead_id",
            unique=True,
            postgresql_where=text("cleared_at IS NULL AND lead_id IS NOT NULL"),
        ),
    )


class PatientReferral(Base):
    """A patient sent by another patient (their link's code, or their name on the form), recorded once
    the referred lead is a patient; the referrer is thanked once, after the referred patient's first visit."""

    __tablename__ = "patient_referrals"
    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    practice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    referred_lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), unique=True
    )
    referred_patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), unique=True
    )
    """One row per referred patient: the thank-you for them is asked once, whatever retries."""
    referring_patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), index=True
    )
    """NULL while the referrer is not matched to a patient record (looked for again for a while)."""
    referring_lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    how: Mapped[str] = mapped_column(String(8))
    """code (the referrer's link) or name (the form's "referred by")."""
    code: Mapped[str | None] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = _ts()
    thank_you_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nurture_messages.id", ondelete="SET NULL")
    )
    thank_you_state: Mapped[str | None] = mapped_column(String(12))
    """NULL (waiting for the referred patient's first visit), queued, or no_lead (nobody to write to)."""
