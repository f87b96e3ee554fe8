"""Twilio's `X-Twilio-Signature`, checked with the library's RequestValidator over our public URL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

from multidict import MultiDict
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from connectors.twilio.config import TwilioConfig


class SignatureRejected(Exception):
    """Not signed by our Twilio account for this URL (forged, altered, or sent elsewhere)."""


def parse_params(body: bytes) -> MultiDict[str]:
    """Form parameters with repeats kept (the signature covers every value of a repeated name)."""
    return MultiDict(parse_qsl(body.decode("utf-8", errors="strict"), keep_blank_values=True))


def verify_webhook(
    config: TwilioConfig, *, path_and_query: str, params: MultiDict[str], headers: Mapping[str, str]
) -> None:
    """Raise SignatureRejected unless Twilio signed exactly this public URL and these parameters.

    The URL is the one Twilio called (config.public_url + path), never the address the request
    reached us at: behind a TLS-terminating proxy the two differ and only the public one verifies.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower())
    if not signature:
        raise SignatureRejected("missing X-Twilio-Signature")
    algorithm = get_signature_algorithm(lowered.get(SIGNATURE_SETTINGS_HEADER.lower()))
    validator = RequestValidator(config.auth_token)
    if not validator.validate(config.public(path_and_query), params, signature, algorithm=algorithm):
        raise SignatureRejected("X-Twilio-Signature does not match")


def sign_webhook(
    config: TwilioConfig, *, path_and_query: str, params: Iterable[tuple[str, str]]
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Twilio would send (tests, the simulator and the replay command)."""
    pairs = list(params)
    signature = RequestValidator(config.auth_token).compute_signature(
        config.public(path_and_query), MultiDict(pairs)
    )
    headers = {SIGNATURE_HEADER: signature, "content-type": "application/x-www-form-urlencoded"}
    return urlencode(pairs).encode(), headers
