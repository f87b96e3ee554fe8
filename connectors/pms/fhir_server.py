"""A local practice-management system speaking FHIR R4, for tests and the offline demo.

It answers the calls the product makes as a real FHIR server does: every request body is validated
with the `fhir.resources` R4B models (400 with an OperationOutcome when it is not a valid resource),
a stale `If-Match` is 412, an unknown id is 404, a conditional create (`If-None-Exist`) returns the
existing resource instead of a second one, booking a slot that is no longer free is 409 with an
OperationOutcome, and searches answer paged Bundles with `next` links, filtered by `_lastUpdated`.

Tests drive it from Python: `change(...)` is the practice's staff editing the PMS, `take_slot` a
booking made meanwhile at the front desk, `down` an outage, `hold(...)` a request that waits (so a
test can kill the worker while it is mid-page).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from connectors.pms.fhir_hooks import RestHooks
from connectors.pms.fhir_models import APPOINTMENT_STATUS_CODES, InvalidResource, validated

DEFAULT_PAGE_SIZE = 50
FHIR_JSON = "application/fhir+json"
DATE_PREFIXES = ("ge", "gt", "le", "lt", "eq")


@dataclass
class Hold:
    """A request that waits until released: `reached` is set when it arrives."""

    matches: Callable[[str, str], bool]
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class FhirTestServer:
    """Serve `/fhir/{type}` on a free local port (or `port`), with resources held in memory."""

    port: int = 0
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False
    """Answer every request 503 (the PMS is unreachable for the product's purposes)."""
    holds: list[Hold] = field(default_factory=list)
    hooks: RestHooks = field(default_factory=RestHooks)
    """Subscriptions offered or not (`hooks.offered`), and the notifications posted (fhir_hooks.py)."""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _last_instant: datetime = field(default_factory=lambda: datetime(2000, 1, 1, tzinfo=UTC))
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    async def start(self) -> FhirTestServer:
        app = web.Application()
        app.router.add_get("/fhir/metadata", self._metadata)
        app.router.add_get("/fhir/{type}", self._search)
        app.router.add_post("/fhir/{type}", self._create)
        app.router.add_get("/fhir/{type}/{id}", self._read)
        app.router.add_put("/fhir/{type}/{id}", self._update)
        app.middlewares.append(self._gate)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for hold in self.holds:
            hold.release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what the practice does in its PMS (tests and the demo) ---

    def change(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Store a resource as the PMS's own staff would (new id when it has none): a new version."""
        kind = resource["resourceType"]
        validated(resource)
        stored = dict(resource)
        stored.setdefault("id", f"{kind.lower()}-{next(self._ids)}")
        previous = self.resources.get(kind, {}).get(stored["id"])
        version = int(previous["meta"]["versionId"]) + 1 if previous else 1
        stored["meta"] = {"versionId": str(version), "lastUpdated": self._instant()}
        self.resources.setdefault(kind, {})[stored["id"]] = stored
        if kind != "Subscription":
            self.hooks.notify(self.all("Subscription"), kind)
        return stored

    def get(self, kind: str, resource_id: str) -> dict[str, Any]:
        return self.resources[kind][resource_id]

    def set_status(self, kind: str, resource_id: str, status: str) -> dict[str, Any]:
        resource = dict(self.get(kind, resource_id))
        resource["status"] = status
        if kind == "Appointment" and status in ("cancelled", "noshow", "entered-in-error"):
            self._free_slots_of(resource)
        return self.change(resource)

    def take_slot(self, slot_id: str) -> None:
        self.set_status("Slot", slot_id, "busy")

    def all(self, kind: str) -> list[dict[str, Any]]:
        return list(self.resources.get(kind, {}).values())

    def hold(self, matches: Callable[[str, str], bool]) -> Hold:
        """Make the next requests for which `matches(method, path_and_query)` is true wait for release."""
        hold = Hold(matches)
        self.holds.append(hold)
        return hold

    def _instant(self) -> str:
        now = max(datetime.now(UTC), self._last_instant + timedelta(microseconds=1))
        self._last_instant = now
        return now.isoformat(timespec="microseconds")

    def _free_slots_of(self, appointment: dict[str, Any]) -> None:
        for ref in appointment.get("slot", []):
            slot_id = ref.get("reference", "").removeprefix("Slot/")
            if slot_id in self.resources.get("Slot", {}):
                slot = dict(self.get("Slot", slot_id))
                slot["status"] = "free"
                self.change(slot)

    # --- the HTTP side ---

    @web.middleware
    async def _gate(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs))
        for hold in list(self.holds):
            if hold.matches(request.method, request.path_qs):
                hold.reached.set()
                await hold.release.wait()
        if self.down:
            return _outcome(503, "transient", "The practice-management system is down for maintenance.")
        response: web.StreamResponse = await handler(request)
        return response

    async def _metadata(self, request: web.Request) -> web.Response:
        statement = self.hooks.capability_statement()
        validated(statement)
        return web.json_response(statement, content_type=FHIR_JSON)

    async def _read(self, request: web.Request) -> web.Response:
        kind, resource_id = request.match_info["type"], request.match_info["id"]
        resource = self.resources.get(kind, {}).get(resource_id)
        if resource is None:
            return _outcome(404, "not-found", f"{kind}/{resource_id} is not known.")
        return _resource(resource, 200)

    async def _search(self, request: web.Request) -> web.Response:
        kind = request.match_info["type"]
        params = parse_qsl(request.query_string, keep_blank_values=True)
        try:
            found = self._matching(kind, params)
        except ValueError as exc:
            return _outcome(400, "invalid", str(exc))
        found.sort(key=lambda r: (r["meta"]["lastUpdated"], r["id"]))
        count = int(dict(params).get("_count") or DEFAULT_PAGE_SIZE)
        offset = int(dict(params).get("_offset") or 0)
        page = found[offset : offset + count]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "link": [{"relation": "self", "url": str(request.url)}],
            "entry": [{"fullUrl": f"{self.base_url}/{kind}/{r['id']}", "resource": r} for r in page],
        }
        if offset + count < len(found):
            kept = [(k, v) for k, v in params if k != "_offset"] + [("_offset", str(offset + count))]
            bundle["link"].append({"relation": "next", "url": f"{self.base_url}/{kind}?{urlencode(kept)}"})
        validated(bundle)
        return web.json_response(bundle, content_type=FHIR_JSON)

    async def _create(self, request: web.Request) -> web.Response:
        kind = request.match_info["type"]
        body = await _body(request, kind)
        if isinstance(body, web.Response):
            return body
        condition = request.headers.get("If-None-Exist")
        if condition:
            existing = self._matching(kind, parse_qsl(condition))
            if len(existing) > 1:
                return _outcome(
                    412, "multiple-matches", f"{len(existing)} {kind} resources match {condition}."
                )
            if existing:
                return _resource(existing[0], 200)
        body.pop("id", None)
        if kind == "Subscription":
            if not self.hooks.offered:
                return _outcome(405, "not-supported", "This server does not offer subscriptions.")
            body["status"] = "active"  # a rest-hook to a reachable endpoint: activated at once
        if kind == "Appointment":
            refused = self._book_slots(body)
            if refused is not None:
                return refused
        stored = self.change(body)
        response = _resource(stored, 201)
        response.headers["Location"] = (
            f"{self.base_url}/{kind}/{stored['id']}/_history/{stored['meta']['versionId']}"
        )
        return response

    async def _update(self, request: web.Request) -> web.Response:
        kind, resource_id = request.match_info["type"], request.match_info["id"]
        current = self.resources.get(kind, {}).get(resource_id)
        if current is None:
            return _outcome(404, "not-found", f"{kind}/{resource_id} is not known.")
        body = await _body(request, kind)
        if isinstance(body, web.Response):
            return body
        wanted = request.headers.get("If-Match")
        if wanted is not None and wanted.strip() != _etag(current):
            return _outcome(
                412,
                "conflict",
                f"{kind}/{resource_id} was changed meanwhile (now version {current['meta']['versionId']}).",
            )
        body["id"] = resource_id
        if kind == "Appointment" and body.get("status") in ("cancelled", "noshow", "entered-in-error"):
            self._free_slots_of(current)
        return _resource(self.change(body), 200)

    def _book_slots(self, appointment: dict[str, Any]) -> web.Response | None:
        slots = []
        for ref in appointment.get("slot", []):
            slot = self.resources.get("Slot", {}).get(ref.get("reference", "").removeprefix("Slot/"))
            if slot is None:
                return _outcome(404, "not-found", f"{ref.get('reference')} is not known.")
            if slot.get("status") != "free":
                return _outcome(409, "conflict", "The slot is no longer free; it was booked meanwhile.")
            if _instant(slot["start"]) != _instant(appointment.get("start")):
                return _outcome(400, "business-rule", "The appointment's start is not its slot's start.")
            slots.append(slot)
        for slot in slots:
            self.change({**slot, "status": "busy"})
        return None

    def _matching(self, kind: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        found = list(self.resources.get(kind, {}).values())
        for name, value in params:
            if name in ("_count", "_offset", "_sort", "_format"):
                continue
            test = _FILTERS.get(name)
            if test is None:
                continue  # a lenient server ignores parameters it does not support
            found = [r for r in found if test(r, value)]
        return found


def _date_filter(path: Callable[[dict[str, Any]], str | None]) -> Callable[[dict[str, Any], str], bool]:
    def test(resource: dict[str, Any], value: str) -> bool:
        prefix, when = ("eq", value)
        if value[:2] in DATE_PREFIXES:
            prefix, when = value[:2], value[2:]
        try:
            wanted = datetime.fromisoformat(when)
        except ValueError:
            raise ValueError(f"{value!r} is not a date or instant.") from None
        raw = path(resource)
        if raw is None:
            return False
        have = datetime.fromisoformat(raw)
        if have.tzinfo is None or wanted.tzinfo is None:
            have, wanted = have.replace(tzinfo=None), wanted.replace(tzinfo=None)
        return {
            "ge": have >= wanted,
            "gt": have > wanted,
            "le": have <= wanted,
            "lt": have < wanted,
            "eq": have == wanted,
        }[prefix]

    return test


def _identifier(resource: dict[str, Any], value: str) -> bool:
    system, _, code = value.rpartition("|")
    return any(
        i.get("value") == code and (not system or i.get("system") == system)
        for i in resource.get("identifier", [])
    )


def _telecom(kind: str) -> Callable[[dict[str, Any], str], bool]:
    def test(resource: dict[str, Any], value: str) -> bool:
        return any(
            t.get("system") == kind and t.get("value", "").casefold() == value.casefold()
            for t in resource.get("telecom", [])
        )

    return test


def _reference(field_name: str) -> Callable[[dict[str, Any], str], bool]:
    def test(resource: dict[str, Any], value: str) -> bool:
        refs = resource.get(field_name)
        refs = refs if isinstance(refs, list) else [refs]
        return any(isinstance(r, dict) and r.get("reference") == value for r in refs)

    return test


def _participant(resource: dict[str, Any], value: str) -> bool:
    return any(p.get("actor", {}).get("reference") == value for p in resource.get("participant", []))


_FILTERS: dict[str, Callable[[dict[str, Any], str], bool]] = {
    "_id": lambda r, v: r["id"] in v.split(","),
    "_lastUpdated": _date_filter(lambda r: r["meta"]["lastUpdated"]),
    "identifier": _identifier,
    "phone": _telecom("phone"),
    "email": _telecom("email"),
    "family": lambda r, v: any(n.get("family", "").casefold() == v.casefold() for n in r.get("name", [])),
    "birthdate": lambda r, v: r.get("birthDate") == v,
    "status": lambda r, v: r.get("status") in v.split(","),
    "start": _date_filter(lambda r: r.get("start")),
    "schedule": _reference("schedule"),
    "actor": _reference("actor"),
    "patient": _participant,
}
"""The search parameters the product uses (R4 names), each a test on one stored resource."""


async def _body(request: web.Request, kind: str) -> dict[str, Any] | web.Response:
    try:
        body = json.loads(await request.text())
    except ValueError:
        return _outcome(400, "structure", "The body is not JSON.")
    if not isinstance(body, dict) or body.get("resourceType") != kind:
        return _outcome(400, "structure", f"The body is not a {kind} resource.")
    try:
        validated(body)
    except InvalidResource as exc:
        return _outcome(400, "invalid", str(exc))
    if kind == "Appointment" and body.get("status") not in APPOINTMENT_STATUS_CODES:
        return _outcome(400, "code-invalid", f"{body.get('status')!r} is not an appointment status.")
    return body


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _etag(resource: dict[str, Any]) -> str:
    return f'W/"{resource["meta"]["versionId"]}"'


def _resource(resource: dict[str, Any], status: int) -> web.Response:
    response = web.json_response(resource, status=status, content_type=FHIR_JSON)
    response.headers["ETag"] = _etag(resource)
    response.headers["Last-Modified"] = resource["meta"]["lastUpdated"]
    return response


def _outcome(status: int, code: str, diagnostics: str) -> web.Response:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }
    validated(outcome)
    return web.json_response(outcome, status=status, content_type=FHIR_JSON)
