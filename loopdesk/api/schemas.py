"""Shared request/response types: ids, safe text, references, pages."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, Field, PlainSerializer

from .problems import Problem

MAX_ID = 2**63 - 1

# A database id: positive and within a bigint, so no lookup can overflow.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_nul(value: Any) -> Any:
    # PostgreSQL refuses NUL in text and JSON; refuse it here so it is a 422, not a 500.
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_("Text may not contain NUL characters."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError(_("Enter a valid e-mail address.")) from None
    return value


def text(max_length: int | None = None) -> Any:
    """A string type with an optional maximum length and no NUL characters."""
    return Annotated[str, Field(max_length=max_length), AfterValidator(_no_nul)]


Text = text()
Email = Annotated[str, Field(max_length=254), AfterValidator(_no_nul), AfterValidator(_email)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_no_nul)]

# Times leave the API in the caller's zone with an explicit offset (e.g. +08:00).
LocalDateTime = Annotated[
    datetime.datetime, PlainSerializer(lambda v: timezone.localtime(v).isoformat(), return_type=str)
]


class Out(BaseModel):
    """Base of response bodies: plain pydantic models, since handlers hand over ready dicts and
    ninja's attribute-resolving Schema would cost ~0.4 ms per ticket in a list."""


class Ref(Out):
    """A reference to another object: its id and a human name."""

    id: int
    name: str


def ref(obj: Any, name: str | None = None) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": name if name is not None else str(obj)}


class Page(Out):
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


# Error responses every operation may give, documented once.
ERRORS: dict[int, Any] = {401: Problem, 404: Problem, 422: Problem}
WRITE_ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
}
