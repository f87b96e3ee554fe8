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
PATIENT_FIRST_NAME = PhiColumn("patients", "first_name_enc", "patient")
PATIENT_LAST_NAME = PhiColumn("patients", "last_name_enc", "patient")
PATIENT_PHONE = PhiColumn("patients", "phone_enc", "patient")
PATIENT_EMAIL = PhiColumn("patients", "email_enc", "patient")
PATIENT_DATE_OF_BIRTH = PhiColumn("patients", "date_of_birth_enc", "patient")
NURTURE_RECIPIENT = PhiColumn("nurture_messages", "recipient_enc", "lead")
NURTURE_SUBJECT = PhiColumn("nurture_messages", "subject_enc", "lead")
NURTURE_BODY = PhiColumn("nurture_messages", "body_enc", "lead")
STAFF_TOTP_SECRET = PhiColumn("staff_users", "totp_secret_enc", "staff_totp")
"""Not PHI, but a secret that must not sit in the clear beside the password hash."""
TOUCHPOINT_REFERRED_BY = PhiColumn("touchpoints", "referred_by_enc", "lead")
REFERRAL_REASON = PhiColumn("referrals", "reason_enc", "referral")
REFERRAL_CLINICAL_NOTES = PhiColumn("referrals", "clinical_notes_enc", "referral")
REFERRAL_FILE_NAME = PhiColumn("referral_attachments", "file_name_enc", "referral")
REFERRAL_FILE = PhiColumn("referral_attachments", "content_enc", "referral", binary=True)
CHAT_MESSAGE_BODY = PhiColumn("chat_messages", "body_enc", "lead")
CHAT_SIGNING_SECRET = PhiColumn("chat_sources", "signing_secret_enc", "chat_source_secret")
CHAT_URL_SECRET = PhiColumn("chat_sources", "url_secret_enc", "chat_source_secret")
CHAT_API_TOKEN = PhiColumn("chat_sources", "api_token_enc", "chat_source_secret")
COMPLAINT_REASON = PhiColumn("complaint_flags", "reason_enc", "complaint")
COMPLAINT_CLEAR_REASON = PhiColumn("complaint_flags", "clear_reason_enc", "complaint")

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
    TOUCHPOINT_REFERRED_BY,
    REFERRAL_REASON,
    REFERRAL_CLINICAL_NOTES,
    REFERRAL_FILE_NAME,
    REFERRAL_FILE,
    CHAT_MESSAGE_BODY,
    CHAT_SIGNING_SECRET,
    CHAT_URL_SECRET,
    CHAT_API_TOKEN,
    PATIENT_FIRST_NAME,
    PATIENT_LAST_NAME,
    PATIENT_PHONE,
    PATIENT_EMAIL,
    PATIENT_DATE_OF_BIRTH,
    COMPLAINT_REASON,
    COMPLAINT_CLEAR_REASON,
)
"""Every encrypted column; a test checks this against the schema (columns ending in _enc/_encrypted)."""
