"""Property tests of the payload parser and normalization: any input gives a result or a named refusal."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.forms.payload import MalformedBody, parse_form_body
from router.intake.normalize import KNOWN_FIELDS, InvalidInquiry, normalize_inquiry

pytestmark = [pytest.mark.unit, pytest.mark.fuzz]

NOW = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
flat_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=60)
)
field_names = st.one_of(st.sampled_from(sorted(KNOWN_FIELDS)), st.text(min_size=1, max_size=20))
inquiries = st.dictionaries(field_names, flat_values, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "",
            "application/vnd.api+json",
        ]
    ),
)
def test_any_bytes_parse_to_flat_fields_or_a_refusal_with_a_4xx(body, content_type):
    try:
        fields = parse_form_body(body, content_type)
    except MalformedBody as exc:
        assert 400 <= exc.status_code < 500
    else:
        assert isinstance(fields, dict)
        assert not any(isinstance(value, dict | list) for value in fields.values())


@settings(max_examples=300, deadline=None)
@given(inquiry=inquiries)
def test_a_json_object_of_flat_values_parses_back_to_itself(inquiry):
    assert parse_form_body(json.dumps(inquiry).encode(), "application/json") == inquiry


@settings(max_examples=200, deadline=None)
@given(inquiry=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=8))
def test_form_encoded_fields_parse_to_the_same_strings(inquiry):
    raw = urlencode(inquiry).encode()
    try:
        parsed = parse_form_body(raw, "application/x-www-form-urlencoded")
    except MalformedBody as exc:  # a surrogate cannot be UTF-8 encoded in the first place
        assert exc.status_code == 400
    else:
        assert parsed == inquiry


@settings(max_examples=500, deadline=None)
@given(inquiry=inquiries)
def test_normalization_either_names_every_bad_field_or_gives_clean_contact_details(inquiry):
    try:
        normalized = normalize_inquiry(inquiry, now=NOW)
    except InvalidInquiry as exc:
        assert exc.errors and all(error.field and error.message for error in exc.errors)
    else:
        contact = normalized.contact
        assert contact.phone is None or re.fullmatch(r"\+[1-9]\d{6,14}", contact.phone)
        assert contact.email is None or contact.email == contact.email.lower()
        assert contact.first_name or contact.last_name
        assert contact.phone or contact.email


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=30), noise=st.sampled_from(["\x00", "\ud800", "a\x00b"]))
def test_text_that_cannot_be_stored_is_always_refused_naming_its_field(name, noise):
    inquiry = {"first_name": "Ana", "phone": "5128675309", "message": name + noise}
    with pytest.raises(InvalidInquiry) as refused:
        normalize_inquiry(inquiry, now=NOW)
    assert "message" in {error.field for error in refused.value.errors}
