"""What a patient's text reply to a reminder means: a confirmation, a cancellation, a wish to move it,
or something a person must read.

The rule, in order: a reply that says the patient cannot come, wants another time or cancels raises a
schedule alert (even with "yes" in it: "yes I need to reschedule"); a reply that is only agreement
(C, Y, confirmed, see you then, a thumbs-up, "sí") confirms the appointment; anything else,
including a question, goes to the practice's text inbox unparsed. Opt-out keywords (STOP) are handled
before this by the phones layer. Checked against tests/reminders/replies.csv.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class ReplyMeaning(StrEnum):
    CONFIRMED = "confirmed"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    UNPARSED = "unparsed"


CONFIRM_EMOJI = ("\U0001f44d", "\u2705", "\u2714", "\U0001f44c", "\u2611", "\U0001f197")
"""Thumbs-up (any skin tone: the modifier follows it), check marks, OK hand, the OK button."""
DECLINE_EMOJI = ("\U0001f44e", "\u274c", "\u2716")
"""Thumbs-down and crosses: the patient is not coming."""

_RESCHEDULE = re.compile(
    r"\b(re-?sc?h?ed\w*|move (it|my|the|appt|appointment)|push (it )?back"
    r"|(another|different|other|new|later|earlier) (day|time|date)|change (the |my )?(time|day|date|appt"
    r"|appointment)|switch (the |my )?(time|day|date)|can we do|could we do|otro dia|cambiar)\b"
)
_CANCEL = re.compile(
    r"\b(cancel\w*|cancl\w*|cancle\w*|cancela\w*|call (it )?off|can ?not (come|make|go|be there|attend)"
    r"|can'?t (come|make|go|be there|attend|do)|cant (come|make|go|do)|won'?t (be|make|come)"
    r"|wont (be|make|come)|not (coming|going to make|gonna make|able|be able|be there|make it)"
    r"|unable|no longer|need to cancel|no puedo|no voy)\b"
)
_CLOCK = re.compile(r"\d{1,2}(:?\d{2})?(am|pm)?")
"""A time or a day of the month in an agreement ("see you Tuesday at 10")."""
_BARE_NO = re.compile(r"^(no|nope|nah|n)\b")
_CONFIRM_WORDS_TEXT = (
    "c y yes yess yea yeah yep yup ya yah ye sure ok okay okey k kk confirm confirmed confirming "
    "conf comfirm comfirmed confrim confirmd confirmo confirmado confirmada si absolutely definitely "
    "certainly correct perfect great thanks thank you ty thx see then will be there i ill i'll we "
    "we'll well going coming good sounds works fine alright all right gracias ahi estare alli allí "
    "the appointment appt for it is that and much so please sir maam lol haha tomorrow tmrw "
    "today monday tuesday wednesday thursday friday saturday sunday am pm at my both us dr oh on time "
    "ma'am of looking forward to got received noted confirmation"
)
_CONFIRM_WORDS = frozenset(_CONFIRM_WORDS_TEXT.split())
"""Words a bare agreement is made of; a reply of only these (with at least one real "yes" among
them) confirms. Anything outside the list (a question, a new fact) sends the reply to a person."""
_AGREEMENT_TEXT = (
    "c y yes yess yea yeah yep yup ya yah ye sure ok okay okey k kk confirm confirmed confirming conf "
    "comfirm comfirmed confrim confirmd confirmo confirmado confirmada si absolutely definitely "
    "correct perfect see there coming works fine alright sounds estare noted received"
)
_AGREEMENT = frozenset(_AGREEMENT_TEXT.split())


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    stripped = "".join(
        ch if (ch.isalnum() or ch in " '") else " " for ch in unicodedata.normalize("NFKD", text)
    )
    return [
        w
        for w in ("".join(c for c in word if not unicodedata.combining(c)) for word in stripped.split())
        if w
    ]


def classify_reply(body: str) -> ReplyMeaning:
    """The meaning of one reply (see the module's rule)."""
    text = _normal(body)
    if not text:
        return ReplyMeaning.UNPARSED
    plain = " ".join(_words(text))
    if _RESCHEDULE.search(plain):
        return ReplyMeaning.RESCHEDULE
    if _CANCEL.search(plain) or _BARE_NO.match(plain) or any(e in text for e in DECLINE_EMOJI):
        return ReplyMeaning.CANCEL
    if "?" in text:
        return ReplyMeaning.UNPARSED
    words = plain.split()
    has_emoji = any(e in text for e in CONFIRM_EMOJI)
    if words and not all(w in _CONFIRM_WORDS or _CLOCK.fullmatch(w) for w in words):
        return ReplyMeaning.UNPARSED
    if has_emoji or any(w in _AGREEMENT for w in words):
        return ReplyMeaning.CONFIRMED
    return ReplyMeaning.UNPARSED
