"""The body of the pages' HTML forms, as litestar reads it."""

from typing import Annotated

from litestar.enums import RequestEncodingType
from litestar.params import Body

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A URL-encoded form: one string per field."""
