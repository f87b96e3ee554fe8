"""Reading an administration form: each value checked, every problem collected, then all refused at once.

A screen's domain function reads its fields through one `FormReader`; `done()` raises
`InvalidFields` naming every bad field with what to write instead, so the page shows them all
(GOV.UK's error summary and the message beside each field) and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from router.core.errors import InvalidFields

BLANK_IS_NONE = ""


class FormReader:
    """Values of one submitted form, read field by field; `errors` by field name."""

    def __init__(self, form: Mapping[str, Any]) -> None:
        self.form = form
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        value = self.form.get(name, "")
        if isinstance(value, list):
            value = value[-1] if value else ""
        return str(value or "").strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, *, label: str, required: bool = False, max_length: int = 200) -> str | None:
        value = self.raw(name)
        if "\x00" in value:
            self.fail(name, f"{label} contains a character we cannot store.")
            return None
        if not value:
            if required:
                self.fail(name, f"Enter {label.lower()}.")
            return None
        if len(value) > max_length:
            self.fail(name, f"{label} must be {max_length} characters or fewer.")
            return None
        return value

    def integer(self, name: str, *, label: str, low: int, high: int, required: bool = True) -> int | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Enter {label.lower()}, a whole number from {low} to {high}.")
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(name, f"{label} must be a whole number, like {low if low > 0 else 10}.")
            return None
        if not low <= number <= high:
            self.fail(name, f"{label} must be between {low} and {high}.")
            return None
        return number

    def boolean(self, name: str) -> bool:
        return self.raw(name) in {"1", "on", "true", "yes"}

    def choice(self, name: str, *, label: str, choices: Mapping[str, str] | tuple[str, ...]) -> str | None:
        value = self.raw(name)
        if value not in choices:
            self.fail(name, f"Choose {label.lower()}.")
            return None
        return value

    def phone(self, name: str, *, label: str, region: str = "US", required: bool = False) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Enter {label.lower()}.")
            return None
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            self.fail(name, f"{label} must be a phone number, like (512) 555-0100 or +15125550100.")
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def email(self, name: str, *, label: str, required: bool = False) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Enter {label.lower()}.")
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            self.fail(name, f"{label} must be an email address, like name@example.com.")
            return None

    def done(self) -> None:
        """Raise `InvalidFields` when any field was refused."""
        if self.errors:
            raise InvalidFields(dict(self.errors))
