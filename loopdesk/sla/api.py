"""Calendar endpoints, mounted by loopdesk.api.router at /api/v1/sla.

GET /calendars and /calendars/{id} for any signed-in user; POST /calendars for administrators
(Perm.ORG_ADMIN, checked by the service); POST /calendars/{id}/due computes a due time. Authentication
and the problem-details error format belong to the API app; here domain errors are simply raised.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import AfterValidator

from loopdesk.core.errors import ValidationFailed

from . import services
from .calendar import CalendarError, parse_clock
from .models import Calendar

router = Router(tags=["sla"])

MAX_MINUTES = 10 * 366 * 1440  # ten years of round-the-clock time: beyond any service target


def _clock(value: str) -> int:
    try:
        return parse_clock(value, field="periods")
    except CalendarError as error:
        raise ValueError(error.message) from None


Clock = Annotated[str, AfterValidator(_clock)]


class PeriodIn(Schema):
    weekday: int = Field(ge=1, le=7, description="ISO weekday, 1 = Monday")
    start: Clock = Field(description="HH:MM")
    end: Clock = Field(description="HH:MM; 24:00 is midnight at the end of the day")


class PeriodOut(Schema):
    weekday: int
    start: str
    end: str


class DayOut(Schema):
    date: dt.date
    kind: str
    name: str
    as_weekday: int | None
    source: str


class CalendarOut(Schema):
    id: int
    name: str
    zone: str
    active: bool
    is_24x7: bool
    cn_holidays: bool
    periods: list[PeriodOut]
    updated_at: dt.datetime


class CalendarDetailOut(CalendarOut):
    days: list[DayOut]


class CalendarIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    zone: str = Field("Asia/Shanghai", max_length=64)
    active: bool = True
    is_24x7: bool = False
    cn_holidays: bool = Field(False, description="apply China's statutory holidays and make-up working days")
    periods: list[PeriodIn] = []


class PauseIn(Schema):
    start: dt.datetime = Field(alias="from")
    end: dt.datetime = Field(alias="to")


class DueIn(Schema):
    start: dt.datetime = Field(description="ISO 8601 with an offset")
    minutes: int = Field(ge=0, le=MAX_MINUTES, description="business minutes")
    pauses: list[PauseIn] = Field([], description="intervals during which the clock stands still")


class DueOut(Schema):
    due: str = Field(description="ISO 8601 with the offset of the calendar's zone")
    calendar: int
    zone: str


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def calendar_out(calendar: Calendar, *, days: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": calendar.pk, "name": calendar.name, "zone": calendar.zone, "active": calendar.active,
        "is_24x7": calendar.is_24x7, "cn_holidays": calendar.cn_holidays, "updated_at": calendar.updated_at,
        "periods": [{"weekday": p.weekday, "start": _hhmm(p.start_minute), "end": _hhmm(p.end_minute)}
                    for p in calendar.periods.all()],
    }
    if days:
        out["days"] = list(calendar.days.values("date", "kind", "name", "as_weekday", "source"))
    return out


def _calendar(calendar_id: int) -> Calendar:
    return services.calendar_named(calendar_id)


@router.get("/calendars", response=list[CalendarOut], summary="Business calendars")
def list_calendars(request: HttpRequest):
    return [calendar_out(c) for c in Calendar.objects.prefetch_related("periods")]


@router.get("/calendars/{int:calendar_id}", response=CalendarDetailOut, summary="A calendar with its special days")
def get_calendar(request: HttpRequest, calendar_id: int):
    return calendar_out(_calendar(calendar_id), days=True)


@router.post("/calendars", response={201: CalendarDetailOut}, summary="Create a calendar (administrators)")
def create_calendar(request: HttpRequest, payload: CalendarIn):
    """Periods may not overlap and the week may not be empty (unless 24×7); the zone is an IANA name."""
    calendar = services.create_calendar(
        actor=_user(request), name=payload.name, zone=payload.zone, active=payload.active,
        is_24x7=payload.is_24x7, cn_holidays=payload.cn_holidays,
        periods=[(p.weekday, p.start, p.end) for p in payload.periods],
    )
    return Status(201, calendar_out(calendar, days=True))


@router.post("/calendars/{int:calendar_id}/due", response=DueOut, summary="Compute a due time")
def due(request: HttpRequest, calendar_id: int, payload: DueIn):
    """The instant `minutes` business minutes after `start`, the clock standing still during `pauses`
    (docs/sla.md has the exact rules)."""
    calendar = _calendar(calendar_id)
    if payload.start.tzinfo is None:
        raise ValidationFailed(fields={"start": [_("Give a time with a time zone offset.")]})
    if any(p.start.tzinfo is None or p.end.tzinfo is None for p in payload.pauses):
        raise ValidationFailed(fields={"pauses": [_("Give a time with a time zone offset.")]})
    try:
        due_at = services.to_business_calendar(calendar).add(
            payload.start, payload.minutes, [(p.start, p.end) for p in payload.pauses])
    except CalendarError as error:
        raise services.refused(error) from None
    return {"due": due_at.isoformat(), "calendar": calendar.pk, "zone": calendar.zone}
