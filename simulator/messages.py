"""The free-text message of an inquiry, written from the lead's true signals in varied phrasings.

Urgency, insurance, "no insurance", a named provider and price shopping are never columns: they
only exist in these words, with negations ("not urgent", "I don't have insurance") and plain
messages that say none of them, so the scorer has to read.
"""

from __future__ import annotations

import random

_INTEREST_LINES = {
    "general": (
        "I'm looking for a new dentist.",
        "Need a checkup, it's been a while.",
        "Looking for a family dentist near me.",
        "I'd like to schedule an exam.",
    ),
    "cleaning": (
        "I need a cleaning.",
        "Looking to book a teeth cleaning and x-rays.",
        "Can I get a cleaning appointment?",
    ),
    "implants": (
        "I'm interested in dental implants.",
        "Missing a tooth and want to ask about an implant.",
        "What does an implant consultation involve?",
    ),
    "orthodontics": (
        "Looking for braces for my son.",
        "My daughter needs braces, her dentist referred us.",
        "I'd like an orthodontic consultation.",
        "Interested in braces for myself.",
    ),
    "invisalign": (
        "Interested in Invisalign.",
        "Are clear aligners an option for me?",
        "I want to straighten my teeth without metal braces.",
    ),
    "cosmetic": ("Interested in whitening.", "I'd like to ask about veneers.", "Want to improve my smile."),
    "emergency": (
        "I chipped my tooth.",
        "My tooth is killing me.",
        "Lost a filling and it hurts.",
        "My crown fell off.",
    ),
    "pediatric": ("Looking for a dentist for my kids.", "My 6 year old needs a first visit."),
    "other": ("I have a question about my bill.", "Do you do sleep apnea appliances?", "Question about TMJ."),
}
_URGENT = (
    "I'm in a lot of pain.",
    "Can I come in today?",
    "Need to be seen as soon as possible.",
    "It's urgent, my face is swollen.",
    "Any openings this week? It hurts to chew.",
    "Please call ASAP.",
)
_NOT_URGENT = ("No rush.", "Not urgent, whenever you have an opening.", "I'm not in any pain, just overdue.")
_INSURANCE = (
    "Do you accept Delta Dental?",
    "I have Cigna PPO.",
    "Is this covered by my insurance?",
    "We have MetLife dental through my husband's work.",
    "Do you take Aetna?",
    "I'd like to use my dental benefits before they expire.",
    "Are you in network with Guardian?",
)
_NO_INSURANCE = (
    "I don't have insurance.",
    "We're uninsured right now.",
    "I'll be paying out of pocket.",
    "No dental insurance, do you offer a payment plan?",
    "Self-pay.",
)
_PROVIDER = (
    "Can I see {dr}?",
    "My neighbor recommended {dr}.",
    "I'd like an appointment with {full}.",
    "Is {dr} accepting new patients?",
    "We saw {dr} before and want to come back.",
)
_PRICE = (
    "How much does it cost?",
    "What are your prices?",
    "Just comparing prices.",
    "Looking for the cheapest option.",
    "Can you send me a price list?",
)
_CLOSING = ("Thanks!", "Please call me after 5.", "Best time to reach me is mornings.", "Text is fine.", "")


def write_message(
    rng: random.Random,
    *,
    interest: str,
    urgent: bool,
    insurance: bool,
    no_insurance: bool,
    provider: str | None,
    price_shopping: bool,
) -> str:
    """A message that says exactly the given signals, in one of many phrasings and orders."""
    parts: list[str] = []
    if rng.random() < 0.75:
        parts.append(rng.choice(_INTEREST_LINES[interest]))
    if urgent:
        parts.append(rng.choice(_URGENT))
    elif rng.random() < 0.15:
        parts.append(rng.choice(_NOT_URGENT))
    if insurance:
        parts.append(rng.choice(_INSURANCE))
    elif no_insurance:
        parts.append(rng.choice(_NO_INSURANCE))
    if provider:
        surname = provider.split()[-1]
        parts.append(rng.choice(_PROVIDER).format(dr=f"Dr. {surname}", full=provider))
    if price_shopping:
        parts.append(rng.choice(_PRICE))
    body = parts[:1] + rng.sample(parts[1:], max(len(parts) - 1, 0))  # the opener first, the rest shuffled
    body.append(rng.choice(_CLOSING))
    text = " ".join(p for p in body if p)
    return text.lower() if rng.random() < 0.1 else text  # some people type in lower case
