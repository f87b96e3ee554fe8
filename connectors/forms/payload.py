"""The body of a form delivery: JSON object or form-encoded, both flat field maps."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl


class MalformedBody(ValueError):
    """The body cannot be read as an inquiry at all (not the fields' fault)."""

    def __init__(self, message: str, *, status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


def parse_form_body(body: bytes, content_type: str | None) -> dict[str, Any]:
    """A flat dict of fields; nested values are refused (the inquiry format is flat)."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in {"application/json", ""} or media_type.endswith("+json"):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedBody(f"the body is not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise MalformedBody("the body is nested too deeply to be an inquiry") from exc
        if not isinstance(data, dict):
            raise MalformedBody("the body must be a JSON object of inquiry fields")
        nested = sorted(k for k, v in data.items() if isinstance(v, dict | list))
        if nested:
            raise MalformedBody(
                "fields must be flat values, not objects or lists: " + ", ".join(nested), status_code=422
            )
        return data
    if media_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise MalformedBody("the form body is not UTF-8") from exc
        fields: dict[str, Any] = {}
        for key, value in pairs:
            if key in fields:
                raise MalformedBody(f"field {key!r} appears more than once", status_code=422)
            fields[key] = value
        return fields
    raise MalformedBody(
        f"unsupported content type {media_type!r}; send JSON or form-encoded", status_code=415
    )
