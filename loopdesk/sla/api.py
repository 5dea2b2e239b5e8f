"""SLA endpoints, mounted by loopdesk.api.router at /api/v1/sla.

Calendars: GET /calendars and /calendars/{id} for any signed-in user; POST, PATCH, DELETE for
administrators (Perm.ORG_ADMIN, checked by the services); POST /calendars/{id}/due computes a due time.
Policies: GET /policies and /policies/{id} for staff; POST and PATCH for Perm.SLA_ADMIN.
Clocks: GET /tickets/{id}/clocks and POST /tickets/{id}/arrived, scoped like tickets (404 outside).
Authentication and the problem-details error format belong to the API app; here domain errors are
simply raised.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict

from loopdesk.core.errors import Forbidden, NotFound, ValidationFailed

from . import policy_services, services
from .calendar import CalendarError, parse_clock
from .clocks import clock_summaries, mark_arrived
from .models import Calendar, ClockEvent, Policy

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


# -- calendars: edit and delete ---------------------------------------------------------------------------


class CalendarPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    zone: str | None = Field(None, max_length=64)
    active: bool | None = None
    is_24x7: bool | None = None
    cn_holidays: bool | None = None
    periods: list[PeriodIn] | None = Field(None, description="replaces every working period")


@router.patch("/calendars/{int:calendar_id}", response=CalendarDetailOut, summary="Edit a calendar (administrators)")
def patch_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPatch):
    """Running clocks on the calendar are re-planned (docs/sla.md, "Calendar edits")."""
    calendar = _calendar(calendar_id)
    values = payload.model_dump(exclude_unset=True, exclude={"periods"})
    periods = payload.periods if "periods" in payload.model_fields_set else None
    if any(v is None for v in values.values()):
        raise ValidationFailed(fields={k: [_("This field cannot be empty.")] for k, v in values.items() if v is None})
    with transaction.atomic():
        if periods is not None:
            services.set_periods(actor=_user(request), calendar=calendar,
                                 periods=[(p.weekday, p.start, p.end) for p in payload.periods or []])
        if values or periods is None:
            services.update_calendar(actor=_user(request), calendar=calendar, **values)
    return calendar_out(Calendar.objects.get(pk=calendar.pk), days=True)


@router.delete("/calendars/{int:calendar_id}", response={204: None}, summary="Delete a calendar (administrators)")
def delete_calendar(request: HttpRequest, calendar_id: int):
    """Refused (409) while a policy or a clock uses the calendar."""
    services.delete_calendar(actor=_user(request), calendar=_calendar(calendar_id))
    return Status(204, None)


# -- policies ---------------------------------------------------------------------------------------------

MetricName = Literal["first_response", "next_update", "resolution", "onsite_arrival"]


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    type: Literal["notify", "reassign", "raise_priority"]
    to: Literal["assignee", "group_lead", "manager"] | None = None
    group_id: int | None = Field(None, ge=1, le=2**63 - 1)


class TargetIn(Schema):
    model_config = ConfigDict(extra="forbid")

    metric: MetricName
    priority: int | None = Field(None, ge=1, le=4, description="null: every priority without its own row")
    minutes: int = Field(ge=1, le=MAX_MINUTES, description="business minutes")


class LevelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    metric: MetricName
    percent: int = Field(ge=1, le=1000)
    actions: list[ActionIn] = []


class PolicyPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, max_length=32, pattern=r"^[-a-z0-9_]*$")
    kind: Literal["sla", "ola"] | None = None
    party: Literal["customer", "group", "partner"] | None = None
    description: str | None = Field(None, max_length=2000)
    active: bool | None = None
    order: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    calendar_id: int | None = Field(None, ge=1, le=2**63 - 1)
    contract_levels: list[str] | None = None
    vip_levels: list[int] | None = None
    ticket_types: list[str] | None = None
    category_ids: list[int] | None = None
    priorities: list[int] | None = None
    channels: list[str] | None = None
    group_id: int | None = Field(None, ge=1, le=2**63 - 1)
    group_tiers: list[int] | None = None
    partner_id: int | None = Field(None, ge=1, le=2**63 - 1)
    pause_statuses: list[str] | None = None
    on_reopen: Literal["restart", "continue"] | None = None
    targets: list[TargetIn] | None = Field(None, description="replaces every target")
    levels: list[LevelIn] | None = Field(None, description="replaces every escalation level")


class PolicyIn(PolicyPatch):
    name: str = Field(min_length=1, max_length=100)
    calendar_id: int = Field(ge=1, le=2**63 - 1)
    targets: list[TargetIn] = []
    levels: list[LevelIn] = []


class TargetOut(Schema):
    metric: str
    priority: int | None
    minutes: int


class LevelOut(Schema):
    metric: str
    percent: int
    actions: list[dict]


class PolicyOut(Schema):
    id: int
    name: str
    code: str | None
    kind: str
    party: str
    description: str
    active: bool
    order: int
    calendar: dict
    contract_levels: list
    vip_levels: list
    ticket_types: list
    category_ids: list
    priorities: list
    channels: list
    group_id: int | None
    group_tiers: list
    partner_id: int | None
    pause_statuses: list
    on_reopen: str
    targets: list[TargetOut]
    levels: list[LevelOut]
    updated_at: dt.datetime


class PolicyPage(Schema):
    items: list[PolicyOut]
    next_cursor: str | None = None


def _staff(request: HttpRequest) -> Any:
    user = _user(request)
    if getattr(user, "is_customer_only", True):
        raise Forbidden(_("You may not do this."))
    return user


def policy_out(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.pk, "name": policy.name, "code": policy.code, "kind": policy.kind, "party": policy.party,
        "description": policy.description, "active": policy.active, "order": policy.order,
        "calendar": {"id": policy.calendar_id, "name": policy.calendar.name},
        "contract_levels": policy.contract_levels, "vip_levels": policy.vip_levels,
        "ticket_types": policy.ticket_types, "category_ids": policy.category_ids, "priorities": policy.priorities,
        "channels": policy.channels, "group_id": policy.group_id, "group_tiers": policy.group_tiers,
        "partner_id": policy.partner_org_id, "pause_statuses": policy.pause_statuses, "on_reopen": policy.on_reopen,
        "targets": [{"metric": t.metric, "priority": t.priority, "minutes": t.minutes} for t in policy.targets.all()],
        "levels": [{"metric": lv.metric, "percent": lv.percent, "actions": lv.actions} for lv in policy.levels.all()],
        "updated_at": policy.updated_at,
    }


def _policies() -> Any:
    return Policy.objects.select_related("calendar").prefetch_related("targets", "levels")


def _policy(policy_id: int) -> Policy:
    policy = _policies().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("There is no such policy."))
    return policy


def _policy_values(payload: PolicyPatch) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True)
    renames = {"calendar_id": "calendar", "group_id": "group", "partner_id": "partner_org"}
    out = {renames.get(k, k): v for k, v in values.items()}
    for name in ("name", "kind", "active", "order", "on_reopen", "calendar"):
        if name in out and out[name] is None:
            raise ValidationFailed(fields={name: [_("This field cannot be empty.")]})
    for name in ("contract_levels", "vip_levels", "ticket_types", "category_ids", "priorities", "channels",
                 "group_tiers", "pause_statuses"):
        if name in out and out[name] is None:
            out[name] = []
    if out.get("description") is None and "description" in out:
        out["description"] = ""
    return out


@router.get("/policies", response=PolicyPage, summary="SLA and OLA policies (staff)")
def list_policies(request: HttpRequest, kind: Literal["sla", "ola"] | None = None, active: bool | None = None):
    """Every policy in matching order (SLA first), with its targets and escalation levels."""
    _staff(request)
    rows = _policies()
    if kind is not None:
        rows = rows.filter(kind=kind)
    if active is not None:
        rows = rows.filter(active=active)
    return {"items": [policy_out(p) for p in rows], "next_cursor": None}


@router.get("/policies/{int:policy_id}", response=PolicyOut, summary="A policy (staff)")
def get_policy(request: HttpRequest, policy_id: int):
    _staff(request)
    return policy_out(_policy(policy_id))


@router.post("/policies", response={201: PolicyOut}, summary="Create a policy (SLA administrators)")
def create_policy(request: HttpRequest, payload: PolicyIn):
    values = _policy_values(payload)
    targets = values.pop("targets", [])
    levels = values.pop("levels", [])
    policy = policy_services.create_policy(actor=_user(request), targets=targets, levels=levels, **values)
    return Status(201, policy_out(_policy(policy.pk)))


@router.patch("/policies/{int:policy_id}", response=PolicyOut, summary="Edit a policy (SLA administrators)")
def patch_policy(request: HttpRequest, policy_id: int, payload: PolicyPatch):
    """Given `targets` or `levels` replace all of them; running clocks of the policy are re-planned."""
    user = _user(request)
    policy = _policy(policy_id) if not getattr(user, "is_customer_only", True) else None
    if policy is None:
        raise Forbidden(_("You may not do this."))
    values = _policy_values(payload)
    policy_services.update_policy(actor=user, policy=policy, **values)
    return policy_out(_policy(policy_id))


# -- a ticket's clocks --------------------------------------------------------------------------------------


class ClockEventOut(Schema):
    at: dt.datetime
    kind: str
    data: dict


class ClockOut(Schema):
    id: int
    kind: str = Field(description="sla (the customer's) or ola (a group's or partner's)")
    party: str
    metric: str
    state: str
    policy: dict
    group_id: int | None
    partner_id: int | None
    target_minutes: int
    elapsed_minutes: float
    remaining_minutes: float = Field(description="negative once breached")
    percent: float
    due_at: dt.datetime | None = Field(description="null unless running")
    breached: bool
    met: bool | None
    history: list[ClockEventOut] | None = Field(None, description="staff only")


class ClockPage(Schema):
    ticket_id: int
    due_at: dt.datetime | None
    items: list[ClockOut]
    next_cursor: str | None = None


def _visible_ticket(request: HttpRequest, ticket_id: int) -> Any:
    from loopdesk.tickets.models import Ticket

    ticket = Ticket.objects.visible_to(_user(request)).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("There is no such ticket."))
    return ticket


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else timezone.localtime(value)


def clocks_out(ticket: Any, user: Any) -> dict[str, Any]:
    customer = getattr(user, "is_customer_only", True)
    summaries = clock_summaries([ticket.pk], kinds=("sla",) if customer else ("sla", "ola"))[ticket.pk]
    names = dict(Policy.objects.filter(pk__in={s.policy_id for s in summaries}).values_list("pk", "name"))
    history: dict[int, list] = {}
    if not customer:
        for event in ClockEvent.objects.filter(clock_id__in=[s.id for s in summaries]).order_by("at", "id"):
            history.setdefault(event.clock_id, []).append({"at": _local(event.at), "kind": event.kind,
                                                           "data": event.data})
    items = [{
        "id": s.id, "kind": s.kind, "party": s.party, "metric": s.metric, "state": s.state,
        "policy": {"id": s.policy_id, "name": names.get(s.policy_id, "")}, "group_id": s.group_id,
        "partner_id": s.partner_org_id, "target_minutes": s.target_minutes, "elapsed_minutes": s.elapsed_minutes,
        "remaining_minutes": s.remaining_minutes, "percent": s.percent, "due_at": _local(s.due_at),
        "breached": s.breached, "met": s.met, "history": None if customer else history.get(s.id, []),
    } for s in summaries]
    return {"ticket_id": ticket.pk, "due_at": _local(ticket.due_at), "items": items, "next_cursor": None}


@router.get("/tickets/{int:ticket_id}/clocks", response=ClockPage, summary="A ticket's SLA and OLA clocks")
def ticket_clocks(request: HttpRequest, ticket_id: int):
    """Current clocks of a ticket you can see (404 otherwise). Customers see only SLA clocks and no
    history."""
    return clocks_out(_visible_ticket(request, ticket_id), _user(request))


class ArrivedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    at: dt.datetime | None = Field(None, description="when the engineer arrived (default: now), with an offset")


@router.post("/tickets/{int:ticket_id}/arrived", response=ClockPage, summary="Record the on-site arrival")
def arrived(request: HttpRequest, ticket_id: int, payload: ArrivedIn | None = None):
    """Stops the ticket's on-site arrival clocks (met or breached); 422 when none is running."""
    ticket = _visible_ticket(request, ticket_id)
    at = payload.at if payload is not None else None
    if at is not None and at.tzinfo is None:
        raise ValidationFailed(fields={"at": [_("Give a time with a time zone offset.")]})
    mark_arrived(actor=_user(request), ticket=ticket, at=at)
    ticket.refresh_from_db(fields=["due_at"])
    return clocks_out(ticket, _user(request))
