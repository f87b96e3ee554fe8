"""Refused actions: one hierarchy, each with the HTTP status `web/` maps it to and a message for people."""

from __future__ import annotations


class ActionRefused(Exception):
    """The action cannot be done as asked; the message is written for the person who asked.

    web/problems.py answers every one of them, in one place: an error page for a browser's page load,
    a fragment for the consoles that show refusals in place, problem+json for the API and scripts.
    """

    status_code = 409
    title = "Conflict"


class NotFound(ActionRefused):
    """No such thing in the person's scope (indistinguishable from one that does not exist)."""

    status_code = 404
    title = "Not found"


class LeadNotFound(NotFound):
    """No such lead in the person's scope (indistinguishable from a lead that does not exist)."""


class NotPermitted(ActionRefused):
    """The person's role does not allow this action."""

    status_code = 403
    title = "Not allowed"


class InvalidChoice(ActionRefused):
    """A reason, outcome or channel that is not one of the known ones."""

    status_code = 422
    title = "Invalid choice"


class PhoneActionRefused(ActionRefused):
    """A call or text the rules do not allow (no phone on file, opted out, not your lead); says why."""

    title = "Not sent"


class InvalidFields(ActionRefused):
    """A form with values we cannot use: every bad field named with what to change; nothing was saved."""

    status_code = 422
    title = "Invalid choice"

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} answer(s) need a change; nothing was saved.")


class EditConflict(ActionRefused):
    """Someone else saved the same thing since the form was loaded; the message says who and when."""

    status_code = 409
