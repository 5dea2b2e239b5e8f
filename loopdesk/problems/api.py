"""Problem endpoints, mounted by loopdesk.api.router at /api/v1/problems.

Reads follow ticket visibility (a problem outside the caller's scope is a 404); writes need
Perm.PROBLEM_MANAGE (checked by the services). Incidents are named by ticket id and must be visible
to the caller too."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from loopdesk.core.errors import NotFound, ValidationFailed
from loopdesk.tickets.models import Ticket

from . import services
from .models import ProblemRecord

router = Router(tags=["problems"])
Id = int
PAGE = 50
MAX_TEXT = services.MAX_TEXT


class Body(Schema):
    model_config = ConfigDict(extra="forbid")


class ProblemIn(Body):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=50_000)
    incident_ids: list[Id] = Field([], max_length=500)
    company_id: Id | None = Field(None, description="needed when no incidents are given")
    root_cause: str = Field("", max_length=MAX_TEXT)
    workaround: str = Field("", max_length=MAX_TEXT)


class ProblemPatch(Body):
    root_cause: str | None = Field(None, max_length=MAX_TEXT)
    workaround: str | None = Field(None, max_length=MAX_TEXT)
    known_error: bool | None = None
    affected_version_ids: list[Id] | None = None


class IncidentsIn(Body):
    incident_ids: list[Id] = Field(min_length=1, max_length=500)


class ResolveIn(Body):
    resolution: str = Field(min_length=1, max_length=50_000)
    reply: str = Field("", max_length=50_000)
    notify_incidents: bool = False
    resolve_incidents: bool = False


class IncidentOut(Schema):
    id: int
    number: str
    title: str
    status: str


class ArticleRef(Schema):
    id: int
    title: str
    status: str


class ProblemOut(Schema):
    id: int
    number: str
    title: str
    description: str
    status: str
    is_open: bool
    company_id: int
    root_cause: str
    workaround: str
    known_error: bool
    known_error_since: datetime.datetime | None
    article: ArticleRef | None
    affected_version_ids: list[int]
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ProblemDetailOut(ProblemOut):
    incidents: list[IncidentOut]


class ProblemPage(Schema):
    items: list[ProblemOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class ProblemFilters(Schema):
    state: Literal["open", "all", "known_error"] = "open"
    cursor: str | None = None


class ResolveOut(Schema):
    problem: ProblemOut
    replied: int
    resolved: int
    skipped: int


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _record(problem: Ticket) -> ProblemRecord:
    try:
        return problem.problem_record
    except ProblemRecord.DoesNotExist:
        return services.record_of(problem)


def _out(problem: Ticket, *, incidents: bool = False) -> dict[str, Any]:
    record = _record(problem)
    article = record.article
    out = {
        "id": problem.pk, "number": problem.number, "title": problem.title, "description": problem.description,
        "status": problem.status, "is_open": problem.is_open, "company_id": problem.company_id,
        "root_cause": record.root_cause, "workaround": record.workaround, "known_error": record.known_error,
        "known_error_since": record.known_error_since,
        "article": None if article is None else {"id": article.pk, "title": article.title, "status": article.status},
        "affected_version_ids": sorted(v.pk for v in record.affected_versions.all()),
        "created_at": problem.created_at, "updated_at": problem.updated_at,
    }
    if incidents:
        out["incidents"] = list(services.incidents_of(problem).order_by("pk").values("id", "number", "title", "status"))
    return out


def _problem(user: Any, problem_id: int) -> Ticket:
    if user.is_customer_only:
        raise NotFound()
    problem = services.problems_visible_to(user).filter(pk=problem_id).first()
    if problem is None:
        raise NotFound()
    return problem


def _incidents(user: Any, ids: list[int]) -> list[Ticket]:
    found = {t.pk: t for t in Ticket.objects.visible_to(user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(fields={"incident_ids": [
            _("No such tickets, or not yours to see: %(ids)s") % {"ids": ", ".join(map(str, missing))}]})
    return [found[i] for i in dict.fromkeys(ids)]


@router.get("", response=ProblemPage, summary="List problems")
def list_problems(request: HttpRequest, filters: Query[ProblemFilters]):
    """Problems the caller may see, newest first: open ones (default), `known_error`, or `all`."""
    user = _user(request)
    if user.is_customer_only:
        return {"items": [], "next_cursor": None}
    rows = (services.problems_visible_to(user).select_related("problem_record__article")
            .prefetch_related("problem_record__affected_versions").order_by("-id"))
    if filters.state == "open":
        rows = rows.filter(is_open=True)
    elif filters.state == "known_error":
        rows = rows.filter(problem_record__known_error=True)
    if filters.cursor:
        if not filters.cursor.isdigit() or len(filters.cursor) > 18:
            raise ValidationFailed(fields={"cursor": [_("This cursor is invalid; start again without one.")]})
        rows = rows.filter(id__lt=int(filters.cursor))
    items = list(rows[:PAGE + 1])
    more = len(items) > PAGE
    items = items[:PAGE]
    return {"items": [_out(p) for p in items], "next_cursor": str(items[-1].pk) if more else None}


@router.post("", response={201: ProblemDetailOut}, summary="Open a problem (from incidents or from scratch)")
def create_problem(request: HttpRequest, payload: ProblemIn):
    user = _user(request)
    if user.is_customer_only:
        raise NotFound()
    company = None
    if payload.company_id is not None:
        from loopdesk.customers.models import Company

        company = Company.objects.visible_to(user).filter(pk=payload.company_id).first()
        if company is None:
            raise ValidationFailed(fields={"company_id": [_("No such customer, or not yours to see.")]})
    problem = services.create_problem(
        actor=user, title=payload.title, description=payload.description, company=company,
        incidents=_incidents(user, payload.incident_ids), root_cause=payload.root_cause,
        workaround=payload.workaround)
    return Status(201, _out(problem, incidents=True))


@router.get("/{int:problem_id}", response=ProblemDetailOut, summary="Get a problem with its incidents")
def get_problem(request: HttpRequest, problem_id: int):
    return _out(_problem(_user(request), problem_id), incidents=True)


@router.patch("/{int:problem_id}", response=ProblemDetailOut, summary="Record root cause, workaround, known error")
def patch_problem(request: HttpRequest, problem_id: int, payload: ProblemPatch):
    user = _user(request)
    problem = _problem(user, problem_id)
    values = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in values.items() if v is None]
    if nulls:
        raise ValidationFailed(fields={k: [_("This field may not be null.")] for k in nulls})
    if "affected_version_ids" in values:
        from loopdesk.assets.models import ProductVersion

        ids = values.pop("affected_version_ids")
        versions = list(ProductVersion.objects.filter(pk__in=ids))
        if len(versions) != len(set(ids)):
            raise ValidationFailed(fields={"affected_version_ids": [_("Unknown product version.")]})
        values["affected_versions"] = versions
    services.update_problem(actor=user, problem=problem, **values)
    problem = _problem(user, problem_id)
    return _out(problem, incidents=True)


@router.post("/{int:problem_id}/incidents", response=ProblemDetailOut, summary="Link incidents to a problem")
def link_incidents(request: HttpRequest, problem_id: int, payload: IncidentsIn):
    user = _user(request)
    problem = _problem(user, problem_id)
    for incident in _incidents(user, payload.incident_ids):
        services.link_incident(actor=user, problem=problem, incident=incident)
    return _out(problem, incidents=True)


@router.delete("/{int:problem_id}/incidents/{int:incident_id}", response={204: None},
               summary="Unlink an incident from a problem")
def unlink_incident(request: HttpRequest, problem_id: int, incident_id: int):
    user = _user(request)
    problem = _problem(user, problem_id)
    incident = Ticket.objects.visible_to(user).filter(pk=incident_id).first()
    if incident is None:
        raise NotFound()
    services.unlink_incident(actor=user, problem=problem, incident=incident)
    return Status(204, None)


@router.post("/{int:problem_id}/publish", response=ProblemDetailOut,
             summary="Mark a known error and publish it to the knowledge base")
def publish(request: HttpRequest, problem_id: int):
    user = _user(request)
    problem = _problem(user, problem_id)
    services.publish_known_error(actor=user, problem=problem)
    return _out(_problem(user, problem_id), incidents=True)


@router.post("/{int:problem_id}/resolve", response=ResolveOut, summary="Resolve a problem (and tell its incidents)")
def resolve(request: HttpRequest, problem_id: int, payload: ResolveIn):
    user = _user(request)
    problem = _problem(user, problem_id)
    counts = services.resolve_problem(actor=user, problem=problem, **payload.model_dump())
    return {"problem": _out(_problem(user, problem_id)), **counts}
