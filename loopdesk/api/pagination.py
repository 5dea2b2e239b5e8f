"""Keyset (cursor) pagination: no OFFSET, so page 1,000 costs what page 1 costs.

A cursor is an opaque, URL-safe token holding the sort name and the last row's (sort value, id).
The next page continues strictly after that pair in the same order, using the (value, id) indexes.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from loopdesk.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"} and isinstance(value["dt"], str):
        parsed = datetime.datetime.fromisoformat(value["dt"])
        if parsed.tzinfo is None:
            raise ValueError("naive datetime")
        return parsed
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("bad cursor value")
    return value


def make_cursor(sort: str, values: list[Any]) -> str:
    raw = json.dumps({"s": sort, "v": [_encode(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(cursor: str, sort: str, size: int) -> list[Any]:
    """The (value, id) pair in `cursor`; 422 naming `cursor` if it was not made for this sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if data.get("s") != sort or not isinstance(data.get("v"), list) or len(data["v"]) != size:
            raise ValueError("cursor for another sort")
        return [_decode(v) for v in data["v"]]
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        raise ValidationFailed(
            fields={"cursor": [_("This cursor is invalid; start again without one.")]}
        ) from None


def _check_types(model: type[Model], order: list[str], values: list[Any]) -> None:
    # A forged cursor must give a 422, never reach the database with a value of the wrong type.
    for name, value in zip(order, values, strict=True):
        field = model._meta.get_field(name.lstrip("-"))
        kind = field.get_internal_type()
        expected = (
            datetime.datetime
            if kind == "DateTimeField"
            else str
            if kind in ("CharField", "TextField")
            else int
        )
        if not isinstance(value, expected) or (isinstance(value, int) and abs(value) >= 2**63):
            raise ValidationFailed(fields={"cursor": [_("This cursor is invalid; start again without one.")]})


def _after(order: list[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in `order` (one sort column plus the id tie-breaker).

    Written as `a <= v AND (a < v OR id < i)` rather than a bare OR, so the database can seek the
    index on (a, id) to v instead of scanning from the start."""
    (first, tie), (v, i) = order, values
    f, desc = first.lstrip("-"), first.startswith("-")
    t, tdesc = tie.lstrip("-"), tie.startswith("-")
    near = Q(**{f"{f}__{'lte' if desc else 'gte'}": v})
    beyond = Q(**{f"{f}__{'lt' if desc else 'gt'}": v}) | Q(**{f"{t}__{'lt' if tdesc else 'gt'}": i})
    return near & beyond


def paginate(
    qs: QuerySet, *, order: list[str], sort: str, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of `qs` ordered by `order` ([column, id] or [id]) and the cursor of the next page."""
    if cursor:
        values = read_cursor(cursor, sort, len(order))
        _check_types(qs.model, order, values)
        if len(order) == 1:
            field = order[0]
            qs = qs.filter(**{f"{field.lstrip('-')}__{'lt' if field.startswith('-') else 'gt'}": values[0]})
        else:
            qs = qs.filter(_after(order, values))
    rows = list(qs.order_by(*order)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = make_cursor(sort, [getattr(last, f.lstrip("-")) for f in order])
    return rows, next_cursor
