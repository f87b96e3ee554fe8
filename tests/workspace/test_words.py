"""The plain-words mapping: every stored code a person may see has the practice's words."""

from __future__ import annotations

import re

import pytest

from router.core.events import EVENT_KINDS
from router.core.models import (
    APPOINTMENT_SOURCES,
    APPOINTMENT_STATUSES,
    AVAILABILITY,
    CLOSE_REASONS,
    FUNNEL_STAGES,
)
from router.core.words import VOCABULARIES, is_known, words
from router.leads.actions import ATTEMPT_OUTCOMES, CONTACT_CHANNELS
from router.leads.desk_entry import HAND_ENTRY_KINDS
from router.leads.overflow import DISPOSITIONS
from router.phones.calls import CALL_STATUS_ORDER
from router.phones.texts import SMS_STATUS_ORDER
from scoring.channels import CHANNELS
from scoring.features import TREATMENTS

pytestmark = pytest.mark.unit

CODE_LISTS = {
    "event": EVENT_KINDS,
    "close_reason": CLOSE_REASONS,
    "stage": FUNNEL_STAGES,
    "channel": (*CHANNELS, *CONTACT_CHANNELS),
    "source": ("form", "call", "chat", "walk_in", "referral", "sms", *HAND_ENTRY_KINDS),
    "disposition": DISPOSITIONS,
    "outcome": (*ATTEMPT_OUTCOMES, *DISPOSITIONS, "handed_back", "reached", "dialing", "ringing"),
    "appointment_status": APPOINTMENT_STATUSES,
    "appointment_source": APPOINTMENT_SOURCES,
    "sms_status": tuple(SMS_STATUS_ORDER),
    "call_status": tuple(CALL_STATUS_ORDER),
    "treatment": TREATMENTS,
    "availability": AVAILABILITY,
    "first_contact_source": ("board", "call", "sms_reply", "booking"),
}
"""Every list of codes the product stores and shows, with the vocabulary that speaks for it."""

CODE_SHAPE = re.compile(r"\b[a-z]+[._][a-z_.]+\b|\b[a-z]+-[a-z]+\b")


@pytest.mark.parametrize("vocabulary", sorted(CODE_LISTS))
def test_every_stored_code_has_words(vocabulary: str) -> None:
    missing = [code for code in CODE_LISTS[vocabulary] if not is_known(code, vocabulary)]
    assert missing == [], f"add the practice's words for {missing} to router/core/words.py ({vocabulary})"


def test_no_word_looks_like_a_code() -> None:
    for vocabulary, mapping in VOCABULARIES.items():
        for code, text in mapping.items():
            assert not CODE_SHAPE.search(text), (vocabulary, code, text)
            assert text.strip() == text and text, (vocabulary, code)


def test_the_words_people_read() -> None:
    assert words("lead.assigned", "event") == "Assigned"
    assert words("walk_in", "source") == "Walk-in"
    assert words("walk_in", "channel") == "Walk-in"
    assert words("appointment_booked", "close_reason") == "Appointment booked"
    assert words("no-answer", "call_status") == "No answer"
    assert words(None, "lead_status", empty="—") == "—"


def test_an_unmapped_code_becomes_words_not_a_code() -> None:
    assert words("lead.something_new", "event") == "Something new"
    assert words("brand_new_channel", "channel") == "Brand new channel"
    assert not CODE_SHAPE.search(words("x.y_z", "event"))
