"""What every template may call for words and times; installed on the pages' engine and the board's.

`words(code, vocabulary)` (also a filter): a stored code in the practice's words.
`local_time(moment, zone)` (also a filter): a `<time>` in the location's zone, UTC in its tooltip.
`ago(moment)`: how long ago. `now_utc()`: the domain clock's now.
`zone_name(zone)`: the zone's abbreviation now ("CST").
`phone` (a filter): a number in its country's national format.
"Today" and "ago" come from the domain's clock, so tests can move it.
"""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from jinja2 import Environment
from markupsafe import Markup

from router.core.clock import Clock
from router.core.local_time import ago, local_time, zone_label
from router.core.words import words


def install_template_helpers(env: Environment, clock: Clock) -> None:
    """Add `words`, `local_time` and `ago` to a Jinja environment."""

    def shown_time(moment: datetime | None, zone: str | None, date: bool | None = None) -> Markup:
        return local_time(moment, zone, now=clock.now(), date=date)

    env.globals["words"] = env.filters["words"] = words
    env.globals["local_time"] = env.filters["local_time"] = shown_time
    env.globals["ago"] = lambda moment: ago(moment, clock.now())
    env.globals["now_utc"] = clock.now
    env.globals["zone_name"] = lambda zone: zone_label(zone, clock.now())
    env.filters["phone"] = national_phone


def national_phone(number: str | None) -> str:
    """ "+15125550100" as "(512) 555-0100"; numbers of other countries keep their international form."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return number
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)
