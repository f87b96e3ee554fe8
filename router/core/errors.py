"""Refused actions: one hierarchy, each with the HTTP status `web/` maps it to and a message for people."""

from __future__ import annotations


class ActionRefused(Exception):
    """The action cannot be done as asked; the message is written for the person who asked."""

    status_code = 409


class LeadNotFound(ActionRefused):
    """No such lead in the person's scope (indistinguishable from a lead that does not exist)."""

    status_code = 404


class NotPermitted(ActionRefused):
    """The person's role does not allow this action."""

    status_code = 403


class InvalidChoice(ActionRefused):
    """A reason, outcome or channel that is not one of the known ones."""

    status_code = 422


class PhoneActionRefused(ActionRefused):
    """A call or text the rules do not allow (no phone on file, opted out, not your lead); says why."""


class InvalidFields(ActionRefused):
    """A form with values we cannot use: every bad field named with what to change; nothing was saved."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} answer(s) need a change; nothing was saved.")


class EditConflict(ActionRefused):
    """Someone else saved the same thing since the form was loaded; the message says who and when."""

    status_code = 409
