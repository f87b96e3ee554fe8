"""The practice's words for every stored code a person sees: statuses, sources, channels, event kinds.

One mapping, so a page never shows `lead.assigned` or `walk_in via walk_in`. Templates call
`words(code, "vocabulary")`; a code missing from its vocabulary is still turned into words (and the
test in tests/test_words.py fails until it is added here), never shown raw.
"""

from __future__ import annotations

import re

VOCABULARIES: dict[str, dict[str, str]] = {
    "lead_status": {"open": "Open", "closed": "Closed"},
    "stage": {
        "impression": "Saw an ad",
        "click": "Clicked an ad",
        "lead": "New inquiry",
        "contacted": "Contacted",
        "appointment_scheduled": "Appointment booked",
        "appointment_completed": "Came to the appointment",
        "treatment_accepted": "Accepted treatment",
        "treatment_completed": "Finished treatment",
    },
    "source": {
        "form": "Web form",
        "call": "Phone call",
        "chat": "Chat",
        "walk_in": "Walk-in",
        "referral": "Physician referral",
        "sms": "Text message",
        "phone": "Phone inquiry",
        "web_visit": "Website visit",
        "email": "Email",
    },
    "channel": {
        "google_ads": "Google Ads",
        "facebook_ads": "Facebook or Instagram ads",
        "organic_search": "Search results",
        "social": "Social media",
        "email": "Email",
        "direct_mail": "Direct mail",
        "referral_site": "Another website",
        "physician_referral": "Physician referral",
        "patient_referral": "Referred by a patient",
        "phone": "Phone",
        "walk_in": "Walk-in",
        "chat": "Chat",
        "direct": "Typed the address",
        "sms": "Text",
        "in_person": "In person",
        "in_app": "On the board",
        "none": "Nobody",
    },
    "event": {
        "lead.created": "New inquiry",
        "lead.touched": "Got in touch again",
        "lead.assigned": "Assigned",
        "lead.scored": "Scored",
        "lead.claimed": "Claimed",
        "lead.released": "Released",
        "lead.contact_logged": "Contact attempt",
        "lead.contacted": "Contacted",
        "lead.closed": "Closed",
        "lead.escalated": "Escalated",
        "staff.availability": "Availability changed",
        "staff.access_changed": "Access changed",
        "model.promoted": "New scoring model in use",
        "lead.overflowed": "Sent to the overflow team",
        "lead.call_updated": "Call update",
        "lead.sms_received": "Text received",
        "lead.opt_out_flagged": "Asked for no more texts",
        "lead.disposition": "Overflow agent's outcome",
        "lead.handed_back": "Handed back to the practice",
        "lead.deadline_changed": "Contact deadline changed",
        "lead.call_back_due": "Call back now",
        "lead.follow_up_call": "Follow-up call",
        "lead.texts_read": "Texts read",
        "lead.appointment_changed": "Appointment changed in the practice system",
        "practice.configured": "Practice settings changed",
    },
    "close_reason": {
        "appointment_booked": "Appointment booked",
        "existing_patient": "Already a patient",
        "not_interested": "Not interested",
        "spam": "Spam",
        "wrong_number": "Wrong number",
        "duplicate": "Duplicate",
    },
    "interaction": {
        "contact_attempt": "Tried to reach",
        "contact_made": "Reached the patient",
        "closed": "Closed",
        "disposition": "Overflow agent's outcome",
        "handback": "Handed back",
        "call": "Call",
        "sms": "Text",
        "note": "Note",
        "walk_in": "Walk-in entered",
        "phone": "Phone inquiry entered",
        "call_back": "Call back",
        "pms_update": "Practice system update",
        "reminder_reply": "Reply to a reminder",
    },
    "outcome": {
        "no_answer": "No answer",
        "voicemail_left": "Left a voicemail",
        "reached": "Reached",
        "handed_back": "Handed back",
        "dialing": "Dialling",
        "ringing": "Ringing",
        "connected": "Connected",
        "failed": "Failed",
        "refused": "Refused",
        "received": "Received",
        "booked": "Booked",
        "call_back": "Call back later",
        "not_interested": "Not interested",
        "wrong_number": "Wrong number",
        "STOP": "Asked for no more texts",
        "START": "Asked for texts again",
        "HELP": "Asked for help",
        "entered": "Entered by staff",
        "confirmed": "Confirmed",
        "cancel": "Wants to cancel",
        "reschedule": "Wants another time",
    },
    "disposition": {
        "booked": "Booked",
        "call_back": "Call back at…",
        "not_interested": "Not interested",
        "wrong_number": "Wrong number",
        "no_answer": "No answer",
    },
    "first_contact_source": {
        "board": "the board",
        "call": "a call",
        "sms_reply": "a text reply",
        "booking": "a booking",
        "entered": "being entered by staff",
    },
    "sms_status": {
        "pending": "Waiting to send",
        "deferred": "Held for quiet hours",
        "accepted": "Sending",
        "scheduled": "Scheduled",
        "queued": "Sending",
        "sending": "Sending",
        "sent": "Sent",
        "delivered": "Delivered",
        "undelivered": "Not delivered",
        "failed": "Failed",
        "read": "Read",
        "received": "Received",
        "canceled": "Cancelled",
        "blocked": "Not sent",
        "no_recipient": "No one to send to",
        "opted_out": "Patient asked for no texts",
    },
    "call_status": {
        "queued": "Starting",
        "initiated": "Dialling",
        "ringing": "Ringing",
        "in-progress": "On the call",
        "completed": "Ended",
        "busy": "Busy",
        "no-answer": "No answer",
        "failed": "Failed",
        "canceled": "Cancelled",
    },
    "call_direction": {
        "inbound": "Incoming call",
        "click_to_call": "Call from the board",
        "outbound": "Call",
    },
    "appointment_status": {
        "booked": "Booked",
        "confirmed": "Confirmed",
        "cancelled": "Cancelled",
        "no_show": "Did not come",
        "completed": "Came",
    },
    "appointment_source": {
        "board": "the board",
        "overflow": "the overflow team",
        "phone": "a phone call",
        "pms": "the practice system",
        "online": "online booking",
    },
    "consent_source": {
        "form": "the web form",
        "sms_keyword": "a text reply",
        "call": "a phone call",
        "staff": "staff",
        "import": "an import",
    },
    "alert_status": {
        "pending": "Sending",
        "sent": "Sent",
        "failed": "Failed",
        "shown": "Shown",
        "not_sent": "Not sent",
        "not_configured": "Not set up",
        "no_phone": "No phone on file",
        "no_recipient": "Nobody to tell",
        "no_manager_on_duty": "No manager on duty",
        "deferred": "Held for quiet hours",
    },
    "availability": {"available": "Available", "busy": "Busy", "away": "Away"},
    "treatment": {
        "general": "General dentistry",
        "cleaning": "Cleaning",
        "implants": "Implants",
        "orthodontics": "Orthodontics",
        "invisalign": "Invisalign",
        "cosmetic": "Cosmetic",
        "emergency": "Emergency",
        "pediatric": "Children's dentistry",
        "other": "Other",
    },
}
"""Vocabulary name -> stored code -> what a person reads."""

_SEPARATORS = re.compile(r"[._\-]+")


def words(code: str | None, vocabulary: str, *, empty: str = "") -> str:
    """What a person reads for `code`; an unmapped code becomes words rather than appearing raw."""
    if code is None or code == "":
        return empty
    known = VOCABULARIES[vocabulary].get(code)
    if known is not None:
        return known
    spoken = _SEPARATORS.sub(" ", code.rsplit(".", 1)[-1]).strip()
    return spoken[:1].upper() + spoken[1:]


def is_known(code: str, vocabulary: str) -> bool:
    """Whether the mapping has the practice's words for the code (tests use this)."""
    return code in VOCABULARIES[vocabulary]
