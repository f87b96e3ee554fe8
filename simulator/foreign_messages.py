"""Notes as another practice's front desk and web form recorded them, in patients' own words.

Written independently of `scoring.text`'s vocabulary and of `simulator.messages`: everyday words
("toothache", "throbbing", "tomorrow"), carriers the product's first vocabulary did not list
("Anthem", "Sun Life", "United Concordia"), Medicaid and CHIP, financing questions, and nicknames
for the doctor. The foreign outcome model (`simulator.foreign_export`) decides the signals; this
module only puts them into words.
"""

from __future__ import annotations

import random

_OPENERS = {
    "braces": (
        "my son needs braces",
        "Braces for my daughter (13)",
        "looking at braces",
        "ortho consult pls",
    ),
    "invisalign": ("want clear aligners", "invisalign info", "thinking about invisalign for my teeth"),
    "implants": ("missing a back tooth, asking about an implant", "implant consult", "need a tooth replaced"),
    "cleaning": ("need my teeth cleaned", "6 month cleaning", "overdue for a cleaning"),
    "exam": ("new patient exam", "looking for a new dentist for the family", "checkup and xrays"),
    "emergency": ("toothache", "broke a tooth on a popcorn kernel", "tooth is throbbing", "crown came off"),
    "whitening": ("teeth whitening", "want whiter teeth for my wedding", "whitening price?"),
    "veneers": ("veneers consult", "front teeth are uneven, veneers?"),
    "kids": ("first dental visit for my 3 yr old", "my kids need checkups", "pediatric appt for 2 kids"),
    "other": ("question about a bill", "do you do night guards", "jaw clicks when I chew"),
}
_URGENT = (
    "it's throbbing and I can't sleep",
    "can I get in tomorrow morning?",
    "my cheek is swelling up",
    "gums bleeding a lot",
    "need to be seen today if possible",
    "cracked it last night, sharp edge",
    "really bad toothache since sunday",
    "the pain is getting worse",
    "any chance of a same day appt",
)
_CALM = ("no pain just want it checked", "not in a hurry", "sometime next month is fine")
_PPO = (
    "I have Anthem PPO",
    "we're on Sun Life dental",
    "United Concordia through the military",
    "Humana dental, are you in network?",
    "do you take Ameritas",
    "my plan is Principal",
    "insurance through work, Delta PPO",
    "Blue Cross Blue Shield dental",
    "have Guardian through my employer",
)
_MEDICAID = (
    "do you accept medicaid",
    "my kids have CHIP",
    "we have Texas Medicaid (DentaQuest)",
    "is MCNA accepted?",
)
_NO_PLAN = ("no insurance right now", "we don't have dental coverage", "paying cash")
_FINANCING = (
    "do you offer payment plans",
    "can I use CareCredit",
    "is there financing? monthly payments would help",
    "do you do in-house membership plans",
)
_PRICE = (
    "how much for a cleaning without insurance",
    "what's the ballpark cost",
    "shopping around for the best price",
    "what do you charge",
)
_PROVIDER = (
    "I'd like to see Dr {surname}",
    "my sister sees Dr. {surname} and loves her",
    "is Dr {first} {surname} taking new patients",
    "want the same doctor as my husband ({surname})",
)
_CLOSERS = ("thanks", "text me please", "call after 3", "", "", "ty")


def write_note(
    rng: random.Random,
    *,
    service: str,
    urgent: bool,
    plan: str,
    financing: bool,
    price: bool,
    provider: tuple[str, str] | None,
) -> str:
    """A short note saying exactly these signals; `plan` is "ppo", "medicaid", "none" or "" (unsaid)."""
    parts = [rng.choice(_OPENERS[service])] if rng.random() < 0.8 else []
    if urgent:
        parts.append(rng.choice(_URGENT))
    elif rng.random() < 0.1:
        parts.append(rng.choice(_CALM))
    bank = {"ppo": _PPO, "medicaid": _MEDICAID, "none": _NO_PLAN}.get(plan)
    if bank:
        parts.append(rng.choice(bank))
    if financing:
        parts.append(rng.choice(_FINANCING))
    if price:
        parts.append(rng.choice(_PRICE))
    if provider:
        first, surname = provider
        parts.append(rng.choice(_PROVIDER).format(first=first, surname=surname))
    rng.shuffle(parts)
    closer = rng.choice(_CLOSERS)
    text = ". ".join(parts + ([closer] if closer else []))
    return text[:1].upper() + text[1:] if rng.random() < 0.6 else text
