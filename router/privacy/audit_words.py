"""Audit actions in the words the audit review shows."""

from __future__ import annotations

ACTION_WORDS = {
    "lead.read": "viewed the lead",
    "lead.create": "lead created",
    "lead.touch": "new inquiry added to the lead",
    "lead.claim": "claimed",
    "lead.release": "released",
    "lead.contact_attempt": "logged an attempt",
    "lead.contact": "logged a contact",
    "lead.close": "closed",
    "lead.reassign": "reassigned",
    "lead.escalate": "escalated",
    "lead.call": "called the patient",
    "lead.sms": "texted the patient",
    "lead.sms_received": "the patient texted",
    "lead.transcript": "call transcript stored",
    "lead.recording_played": "played a call recording",
    "lead.call_back_set": "set a call-back",
    "lead.texts_read": "read the patient's texts",
    "lead.disposition": "overflow outcome",
    "lead.hand_back": "handed back to the practice",
    "session.open": "signed in",
    "staff.availability": "changed availability",
    "staff.invited": "invited someone",
    "staff.changed": "changed a staff account",
    "staff.deactivated": "deactivated someone",
    "staff.reactivated": "reactivated someone",
    "staff.password_reset": "reset a password",
    "staff.password_set": "set their password",
    "staff.sessions_ended": "signed someone out everywhere",
    "practice.settings_changed": "changed practice settings",
    "location.added": "added an office",
    "location.changed": "changed an office",
    "location.closure_added": "added a closed day",
    "location.closure_removed": "removed a closed day",
    "location.deactivated": "closed an office",
    "location.reopened": "reopened an office",
    "form_source.created": "added a web form",
    "form_source.secret_rotated": "made a new form secret",
    "phones.changed": "changed phone settings",
    "spend.imported": "imported ad spend",
    "model.promoted": "promoted a lead-score model",
    "model.rolled_back": "rolled back a lead-score model",
    "break_glass.start": "opened emergency access",
    "break_glass.end": "ended emergency access",
    "audit.reviewed": "reviewed the audit log",
    "audit.access_report": "opened a patient's access report",
    "audit.exported": "exported the audit log",
    "audit.verified": "checked the audit log's integrity",
}
"""Actions in the words the review shows; an action not listed is shown as its code in words."""


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action) or action.replace(".", ": ").replace("_", " ")
