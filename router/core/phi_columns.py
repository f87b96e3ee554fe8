"""Every encrypted column, named once: each value is sealed for its column and its row's id.

`legacy_context` is what the first format bound a value to (one kind per table, so values could be
swapped); migration 0010 and `leadrouter keys rotate` read it once to re-encrypt old values.
"""

from __future__ import annotations

from router.core.crypto import PhiColumn

LEAD_FIRST_NAME = PhiColumn("leads", "first_name_enc", "lead")
LEAD_LAST_NAME = PhiColumn("leads", "last_name_enc", "lead")
LEAD_PHONE = PhiColumn("leads", "phone_enc", "lead")
LEAD_EMAIL = PhiColumn("leads", "email_enc", "lead")
LEAD_DATE_OF_BIRTH = PhiColumn("leads", "date_of_birth_enc", "lead")
TOUCHPOINT_MESSAGE = PhiColumn("touchpoints", "message_enc", "lead")
INTERACTION_NOTE = PhiColumn("interactions", "note_enc", "lead")
CONSENT_IP = PhiColumn("consent_records", "ip_enc", "consent")
FORM_SOURCE_SECRET = PhiColumn("form_source_secrets", "secret_encrypted", "form_source_secret")
SMS_PHONE = PhiColumn("sms_messages", "phone_enc", "lead")
SMS_BODY = PhiColumn("sms_messages", "body_enc", "lead")
NURTURE_RECIPIENT = PhiColumn("nurture_messages", "recipient_enc", "lead")
NURTURE_SUBJECT = PhiColumn("nurture_messages", "subject_enc", "lead")
NURTURE_BODY = PhiColumn("nurture_messages", "body_enc", "lead")
STAFF_TOTP_SECRET = PhiColumn("staff_users", "totp_secret_enc", "staff_totp")
"""Not PHI, but a secret that must not sit in the clear beside the password hash."""

PHI_COLUMNS: tuple[PhiColumn, ...] = (
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
    LEAD_EMAIL,
    LEAD_DATE_OF_BIRTH,
    TOUCHPOINT_MESSAGE,
    INTERACTION_NOTE,
    CONSENT_IP,
    FORM_SOURCE_SECRET,
    SMS_PHONE,
    SMS_BODY,
    NURTURE_RECIPIENT,
    NURTURE_SUBJECT,
    NURTURE_BODY,
    STAFF_TOTP_SECRET,
)
"""Every encrypted column; a test checks this against the schema (columns ending in _enc/_encrypted)."""
