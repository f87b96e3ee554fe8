"""Password rules after NIST SP 800-63B: long enough, not a known or guessable one, no composition rules.

What is checked: length (12 to 128 characters, any characters, spaces included), the 30,000 most
common passwords and the common words and names shipped with `zxcvbn` (no breach API is reachable
from here), the person's own email and name, and zxcvbn's guess estimate (repeats, sequences,
keyboard walks, dates). What is deliberately not required: digits, capitals or symbols, and
periodic changes (NIST 800-63B 5.1.1.2).
"""

from __future__ import annotations

from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from router.core.errors import ActionRefused

MIN_LENGTH = 12
"""Longer than NIST's floor of 8: most accounts here reach patient records."""
MAX_LENGTH = 128
"""Long enough for any passphrase or password manager, short enough to bound argon2's input."""
MIN_ZXCVBN_SCORE = 3
"""zxcvbn's "safely unguessable" (about 10^8 guesses or more): guards against what no list holds."""


class PasswordRejected(ActionRefused, ValueError):
    """The password breaks a rule; the message says which, in the person's words."""

    status_code = 422
    title = "Password not accepted"


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(FREQUENCY_LISTS["english_wikipedia"][:10000])


def check_password(password: str, *, email: str = "", display_name: str = "") -> None:
    """Raise PasswordRejected when the password breaks a rule."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Use at least {MIN_LENGTH} characters; a few words together work well.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    folded = password.casefold()
    if folded in _common() or folded.strip("0123456789!") in _common():
        raise PasswordRejected("That is one of the most common passwords; choose another.")
    context = [part for part in (email.split("@")[0], *display_name.split(), "leadrouter", "dental") if part]
    if any(len(part) >= 4 and part.casefold() in folded for part in context):
        raise PasswordRejected("Do not use your name, your email or the product's name in your password.")
    if zxcvbn(password, user_inputs=context)["score"] < MIN_ZXCVBN_SCORE:
        raise PasswordRejected(
            "That password is easy to guess (repeats, sequences or a common pattern); try a few "
            "unrelated words."
        )
