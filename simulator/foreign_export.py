"""A lead-history export from another system, with its own outcome model: a test the simulator cannot be.

The product's simulator writes payloads in our own vocabulary and draws outcomes from the model
the features were designed on, so it cannot show how an import or the pooled model fares on a real
practice's file. This generator writes what a practice-management or call-tracking CRM exports:

- other column names (`Created`, `Lead Source`, `Service`, `Patient Age`, `Notes`, `Status`, ...)
  and columns we do not use (`Lead ID`, `Office`);
- US dates with a 12-hour clock (`03/01/2025 1:19 PM`), and date-only values for leads the front
  desk typed in by hand (most calls and walk-ins);
- platform spellings of sources (`facebook`, `Instagram`, `google cpc`, `organic`, `Referral`,
  `Phone Call`...), free treatment words (`Braces`, `ortho`, `Invisalign consult`), device names
  (`iPhone`, `Android`, `Windows`), and an outcome as a status (`Scheduled`, `Lost`, `No Show`,
  `Open` for leads still being worked);
- notes in patients' words (`simulator.foreign_messages`).

Its outcome model is deliberately not `simulator.model`'s: a lower base rate, step-shaped distance,
emergencies that book in office hours but not at night, orthodontics that converts for children
only, Medicaid/CHIP mentions that lower conversion while PPO carriers raise it, a year-end
"use your benefits" bump (not January), long website visits that mean comparison shopping, and a
wider unobserved intent. Each lead's probability is kept apart from the file (keyed by `Lead ID`):
`observable_probability` (from what the file shows) gives the best AUC any model of the file
could reach; `true_probability` adds the unobserved intent the outcome was drawn with.

Run: `python -m simulator.foreign_export --rows 20000 --out var/foreign_history.csv`.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from simulator.foreign_messages import write_note
from simulator.people import zip_rings
from simulator.practices import LocationSpec, demo_practices

COLUMNS = (
    "Lead ID",
    "Created",
    "Lead Source",
    "Service",
    "Patient Age",
    "Zip Code",
    "Device",
    "Pages Viewed",
    "Time On Site (sec)",
    "Notes",
    "Office",
    "Status",
)
"""The export's header, in its order."""

PRACTICE_MAP = """\
# What this export's words mean at this practice (leadrouter train --map this-file.toml)
[values.channel]
referral = "physician_referral"   # referring dentists and doctors

[values.converted]
"no show" = "no"                  # booked but never came: not a patient
"""
"""The map the practice writes once the check has asked about `Referral` and `No Show`."""

PRACTICE_SLUG = "bright-smile"
"""The demo practice whose offices (Austin, Central time) the export's leads live around."""

LATENT_SIGMA = 0.8
"""Unobserved intent in log-odds: wider than the product simulator's 0.6."""

OPEN_DAYS = 10
"""Leads younger than this at export time are still being worked: status `Open`, no outcome yet."""

DATE_ONLY_SHARE = {"call": 0.7, "walk_in": 0.9, "form": 0.03}
"""Share of leads whose time was not recorded: the front desk types calls and walk-ins in later."""

BROKEN_DATE_SHARE = 0.004
"""Rows with an empty `Created` (a real export always has a few)."""

# source key: (share, spellings, kind, log-odds effect)
_SOURCES = {
    "facebook": (0.19, ("facebook", "Facebook", "FB Lead Ad"), "form", -0.7),
    "instagram": (0.05, ("Instagram", "instagram"), "form", -0.8),
    "google_ads": (0.17, ("google cpc", "Google Ads", "Google PPC"), "form", 0.1),
    "organic": (0.15, ("organic", "Organic Search", "google organic"), "form", 0.4),
    "referral": (0.08, ("Referral", "referral"), "form", 1.2),  # a referring dentist or doctor
    "yelp": (0.04, ("Yelp", "yelp"), "form", 0.0),
    "phone": (0.13, ("Phone Call", "phone"), "call", 0.7),
    "walk_in": (0.03, ("Walk-in", "walk in"), "walk_in", 1.0),
    "website": (0.08, ("Website", "website"), "form", 0.3),
    "mailer": (0.04, ("Mailer", "postcard"), "form", -0.4),
    "email": (0.04, ("Email", "newsletter"), "form", 0.2),
}
_SERVICES = {
    "braces": (0.12, ("Braces", "ortho", "Orthodontics", "braces consult")),
    "invisalign": (0.09, ("Invisalign consult", "Invisalign", "clear aligners")),
    "implants": (0.1, ("Implant consult", "Dental Implants", "implant")),
    "cleaning": (0.18, ("Cleaning", "Hygiene", "teeth cleaning")),
    "exam": (0.17, ("New Patient Exam", "Checkup", "Exam")),
    "emergency": (0.12, ("Emergency", "Toothache", "emergency visit")),
    "whitening": (0.07, ("Whitening", "Teeth Whitening")),
    "veneers": (0.03, ("Veneers",)),
    "kids": (0.06, ("Kids dentist", "Pediatric")),
    "other": (0.02, ("Other", "TMJ")),
}
_DEVICES = (("iPhone", 0.38), ("Android", 0.2), ("iPad", 0.05), ("Windows", 0.2), ("Mac", 0.1), ("", 0.07))
_LOST = (("Lost", 0.47), ("No Response", 0.31), ("Not Interested", 0.2), ("No Show", 0.02))
_WON = ("Scheduled", "Scheduled", "Completed")
_FORM_HOURS = (1, 1, 1, 0.5, 0.5, 1, 2, 4, 6, 7, 7, 7, 9, 8, 6, 6, 6, 6, 7, 9, 10, 9, 6, 3)
_CALL_HOURS = (0, 0, 0, 0, 0, 0, 0, 2, 8, 10, 9, 8, 6, 7, 8, 8, 7, 4, 1, 0, 0, 0, 0, 0)
_WEEKDAY_VOLUME = (1.3, 1.1, 1.0, 1.0, 0.9, 0.55, 0.4)


@dataclass(slots=True)
class ForeignExport:
    """The export's rows (column -> text) and, apart from the file, each lead's true probability."""

    rows: list[dict[str, str]]
    true_probability: dict[str, float] = field(default_factory=dict)
    observable_probability: dict[str, float] = field(default_factory=dict)
    """Without the unobserved intent: the ranking a perfect reader of the file could reach."""
    time_zone: str = "America/Chicago"

    def write_csv(self, path: Path) -> None:
        """The file a practice would upload (UTF-8, comma-separated, header row)."""
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)

    def write_truth(self, path: Path) -> None:
        """`Lead ID` -> true probability, as JSON (what no practice could ever export)."""
        path.write_text(json.dumps(self.true_probability), encoding="utf-8")


def _pick(rng: random.Random, weighted: dict) -> str:
    keys = list(weighted)
    return rng.choices(keys, weights=[weighted[k][0] for k in keys])[0]


def _distance_effect(miles: float) -> float:
    """Step-shaped, not log-shaped: neighbours come, the metro is neutral, beyond 30 miles rarely."""
    if miles < 5:
        return 0.35
    if miles < 15:
        return 0.0
    if miles < 30:
        return -0.5
    return -1.2


def _service_effect(service: str, age: int, *, office_hours: bool) -> float:
    """Treatment effects with their interactions (age for orthodontics and implants, hour for emergencies)."""
    match service:
        case "braces":
            return 0.45 if age < 18 else -0.25
        case "implants":
            return 0.55 if age >= 50 else -0.15
        case "emergency":
            return 1.0 if office_hours else -0.2  # at night they go to urgent care instead
        case _:
            return {
                "invisalign": -0.05,
                "cleaning": 0.3,
                "exam": 0.2,
                "whitening": -0.6,
                "veneers": -0.3,
            }.get(service, 0.4 if service == "kids" else -0.4)


def _logit(
    *,
    source: str,
    service: str,
    age: int,
    miles: float,
    local: datetime,
    pages: int | None,
    seconds: int | None,
    device: str,
    signals: dict,
) -> float:
    """The foreign outcome model's log-odds (see the module docstring)."""
    office_hours = local.weekday() < 5 and 8 <= local.hour < 17
    logit = -2.1 + _SOURCES[source][3] + _service_effect(service, age, office_hours=office_hours)
    logit += _distance_effect(miles)
    logit += 0.5 * signals["urgent"] + 0.6 * signals["provider"] + 0.25 * signals["financing"]
    logit -= 0.5 * signals["price"]
    plan = signals["plan"]
    logit += {"ppo": 0.4, "medicaid": -0.6, "none": -0.3}.get(plan, 0.0)
    if plan == "ppo" and local.month in (11, 12):
        logit += 0.45  # year-end: benefits not used are lost
    if pages is not None:
        logit += 0.06 * min(pages, 8)
    if seconds is not None:
        logit += -0.3 if seconds > 900 else (0.2 if seconds >= 60 else 0.0)
    logit += {"Windows": 0.1, "Mac": 0.1}.get(device, 0.0)
    logit += {0: 0.15, 5: -0.35, 6: -0.5}.get(local.weekday(), 0.0)
    return logit


def _signals(rng: random.Random, service: str) -> dict:
    """What the lead's note will say."""
    plan = rng.choices(("", "ppo", "medicaid", "none"), weights=(0.55, 0.26, 0.09, 0.1))[0]
    return {
        "urgent": rng.random() < (0.75 if service == "emergency" else 0.06),
        "plan": plan,
        "financing": rng.random() < (0.18 if service in {"braces", "invisalign", "implants"} else 0.04),
        "price": rng.random() < 0.12,
        "provider": rng.random() < 0.06,
    }


def _age(rng: random.Random, service: str) -> int:
    if service == "kids":
        return rng.randint(2, 12)
    if service == "braces":
        return rng.randint(9, 17) if rng.random() < 0.6 else rng.randint(18, 50)
    if service == "implants":
        return rng.randint(35, 85)
    return rng.randint(18, 80) if rng.random() < 0.9 else rng.randint(5, 17)


def _created(rng: random.Random, start: datetime, days: int, kind: str, zone: ZoneInfo) -> datetime:
    """A local receive time: weekday and season shape the day, the channel's kind the hour."""
    while True:
        day = start + timedelta(days=rng.randrange(days))
        season = 1.0 + 0.15 * math.cos(2 * math.pi * (day.month - 1) / 12)
        if rng.random() < _WEEKDAY_VOLUME[day.weekday()] * season / 1.5:
            break
    hours = _FORM_HOURS if kind == "form" else _CALL_HOURS
    hour = rng.choices(range(24), weights=hours)[0]
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)


def _us_date(moment: datetime, *, with_time: bool) -> str:
    """`03/01/2025 1:19 PM`, or `03/01/2025` when no time was recorded."""
    date_text = moment.strftime("%m/%d/%Y")
    if not with_time:
        return date_text
    return f"{date_text} {moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _draw(
    rng: random.Random,
    offices: Sequence[LocationSpec],
    providers: list[list[str]],
    *,
    start: datetime,
    days: int,
    zone: ZoneInfo,
    end: datetime,
) -> tuple[datetime, dict[str, str], float, float]:
    """One lead: (its local time, its CSV row, its true and its observable booking probability)."""
    source = _pick(rng, _SOURCES)
    kind = _SOURCES[source][2]
    service = _pick(rng, _SERVICES)
    office = rng.choice(offices)
    ring = rng.choices(zip_rings(office.latitude, office.longitude), weights=(0.6, 0.32, 0.08))[0]
    zip_code, miles = rng.choice(ring)
    local = _created(rng, start, days, "form" if kind == "form" else "call", zone)
    age = _age(rng, service)
    device = rng.choices([d for d, _ in _DEVICES], weights=[w for _, w in _DEVICES])[0]
    pages = seconds = None
    if kind == "form":
        pages = max(1, round(rng.lognormvariate(1.1, 0.6)))
        seconds = round(rng.lognormvariate(5.0, 0.9))
    else:
        device = ""
    signals = _signals(rng, service)
    logit = _logit(
        source=source,
        service=service,
        age=age,
        miles=miles,
        local=local,
        pages=pages,
        seconds=seconds,
        device=device,
        signals=signals,
    )
    probability = 1.0 / (1.0 + math.exp(-(logit + rng.gauss(0.0, LATENT_SIGMA))))
    status = _status(
        rng, converted=rng.random() < probability, open_=(end.replace(tzinfo=zone) - local).days < OPEN_DAYS
    )
    note = _note(rng, service, signals, providers)
    with_time = rng.random() >= DATE_ONLY_SHARE[kind]
    created = "" if rng.random() < BROKEN_DATE_SHARE else _us_date(local, with_time=with_time)
    row = {
        "Created": created,
        "Lead Source": rng.choice(_SOURCES[source][1]),
        "Service": rng.choice(_SERVICES[service][1]),
        "Patient Age": str(age),
        "Zip Code": zip_code,
        "Device": device,
        "Pages Viewed": "" if pages is None else str(pages),
        "Time On Site (sec)": "" if seconds is None else str(seconds),
        "Notes": note if kind != "walk_in" else "",
        "Office": office.name,
        "Status": status,
    }
    return local, row, probability, 1.0 / (1.0 + math.exp(-logit))


def _status(rng: random.Random, *, converted: bool, open_: bool) -> str:
    """The CRM's status: still open when recent, else one of its won or lost words."""
    if open_:
        return "Open"
    if converted:
        return rng.choice(_WON)
    return rng.choices([s for s, _ in _LOST], weights=[w for _, w in _LOST])[0]


def _note(rng: random.Random, service: str, signals: dict[str, Any], providers: list[list[str]]) -> str:
    provider = rng.choice(providers) if signals["provider"] else None
    return write_note(
        rng,
        service=service,
        urgent=signals["urgent"],
        plan=signals["plan"],
        financing=signals["financing"],
        price=signals["price"],
        provider=(provider[0], provider[-1]) if provider else None,
    )


def foreign_export(
    rows: int = 20_000, *, seed: int = 21, end: datetime = datetime(2026, 7, 1), months: int = 18
) -> ForeignExport:
    """`rows` leads over `months` months up to `end` (local dates), with their outcomes."""
    rng = random.Random(seed)
    practice = next(p for p in demo_practices() if p.slug == PRACTICE_SLUG)
    zone = ZoneInfo(practice.time_zone)
    start = end.replace(tzinfo=zone) - timedelta(days=round(months * 30.44))
    days = (end.replace(tzinfo=zone) - start).days
    offices = practice.locations
    providers = [p.name.removeprefix("Dr. ").split() for p in practice.providers]
    drawn = [_draw(rng, offices, providers, start=start, days=days, zone=zone, end=end) for _ in range(rows)]
    export = ForeignExport(rows=[], time_zone=practice.time_zone)
    drawn.sort(key=lambda lead: lead[0])  # the CRM numbers leads as they arrive
    for number, (_, row, probability, observable) in enumerate(drawn):
        lead_id = f"PP-{100000 + number}"
        export.rows.append({"Lead ID": lead_id, **row})
        export.true_probability[lead_id] = probability
        export.observable_probability[lead_id] = observable
    return export


def main() -> None:
    """Write the export CSV and, beside it, the true probabilities (`<name>.truth.json`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--out", type=Path, default=Path("var/foreign_history.csv"))
    args = parser.parse_args()
    export = foreign_export(args.rows, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export.write_csv(args.out)
    export.write_truth(args.out.with_suffix(".truth.json"))
    print(f"wrote {len(export.rows)} leads to {args.out}")


if __name__ == "__main__":
    main()
