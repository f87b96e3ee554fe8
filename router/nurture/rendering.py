"""Template wording to message text: Jinja2 sandboxed, variables from one documented list.

A variable the lead lacks (no first name on file) is missing, never blank: the message is held and
the lead page says why. The review screen's warnings come from here too.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment

VARIABLES: dict[str, str] = {
    "first_name": "The patient's first name",
    "practice_name": "The practice's name",
    "office_name": "The office the lead belongs to",
    "office_phone": "The office's phone number",
    "scheduling_link": "The practice's online scheduling page (counted as a click)",
    "treatment": "What they asked about, in plain words (email only: never in a text)",
    "review_link": "The practice's review page (review requests only; set in Practice settings)",
    "appointment_day": "The appointment's day, in the patient's language (reminders only)",
    "appointment_time": "The appointment's time at the office (reminders only)",
}
"""Every variable a template may use: the documented list (docs/nurture.md prints it)."""

TREATMENT_WORDS = {
    "orthodontics": "braces and clear aligners",
    "implants": "dental implants",
    "cosmetic": "cosmetic dentistry",
    "general": "a checkup and cleaning",
    "pediatric": "your child's dental care",
    "emergency": "urgent dental care",
}
CLINICAL_WORDS = re.compile(
    r"\b(braces|aligners?|invisalign|implants?|crowns?|root canal|extraction|veneers?|whitening|"
    r"dentures?|pain|infection|abscess|surgery|diagnos\w*|treatment)\b",
    re.IGNORECASE,
)
"""Words that say what care someone is seeking: PHI when a text lands on a shared phone screen."""
OPT_OUT_WORDING = re.compile(r"\b(reply|text)\s+stop\b", re.IGNORECASE)
URL = re.compile(r"https?://[^\s<>\"')]+", re.IGNORECASE)

_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class MissingVariable(ValueError):
    """The lead lacks a value the template uses; the message is held, never sent with a blank."""


class TemplateInvalid(ValueError):
    """The wording does not parse, or names a variable outside the documented list."""


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


def check_wording(text: str, allowed: Collection[str] = VARIABLES.keys()) -> None:
    """Refuse wording that does not parse or that uses an unknown variable (a save names the problem)."""
    try:
        parsed = _environment.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(f"the wording does not read as a template: {exc.message}") from exc
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(allowed))
    if unknown:
        raise TemplateInvalid(f"unknown variable {', '.join('{{ ' + u + ' }}' for u in unknown)}")


def render(subject: str | None, body: str, values: dict[str, str | None]) -> Rendered:
    """The message for one lead; MissingVariable names what it lacks."""
    present = {key: value for key, value in values.items() if value and str(value).strip()}
    try:
        return Rendered(
            _environment.from_string(subject).render(present).strip() if subject else None,
            _environment.from_string(body).render(present).strip(),
        )
    except UndefinedError as exc:
        name = re.search(r"'(\w+)' is undefined", str(exc))
        missing = name.group(1) if name else "a value"
        raise MissingVariable(f"held: no {VARIABLES.get(missing, missing).lower()} on file") from exc


def warnings(channel: str, subject: str | None, body: str, *, own_hosts: set[str]) -> list[str]:
    """What a reviewer should look at twice before approving this wording."""
    found: list[str] = []
    text = f"{subject or ''}\n{body}"
    if channel == "sms":
        if "treatment" in text and "{{" in text and re.search(r"{{\s*treatment\s*}}", text):
            found.append("A text names the treatment: anyone who sees the phone's screen learns it.")
        if CLINICAL_WORDS.search(_environment_free(text)):
            found.append("A text mentions care or symptoms: keep texts to the first name and a call back.")
        if not OPT_OUT_WORDING.search(body):
            found.append('A text should say how to stop them ("Reply STOP to opt out").')
    for url in URL.findall(text):
        host = (urlsplit(url).hostname or "").lower()
        if host and host not in own_hosts:
            found.append(f"Links to {host}, which is not the practice's own site.")
    return found


def _environment_free(text: str) -> str:
    """The wording without its {{ ... }} parts (a variable's name is not what the patient reads)."""
    return re.sub(r"{{.*?}}|{%.*?%}", " ", text)
