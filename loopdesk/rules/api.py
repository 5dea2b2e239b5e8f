"""/api/v1/rules: list, get, create, patch, delete, validate, dry run, firing log (Perm.RULE_ADMIN).

Authentication and the problem-details error format belong to the API app; here domain errors are
raised. A rule that does not validate is a 422 whose `errors` are keyed by path, e.g.
``conditions.all[1].op`` or ``actions[0].group``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import ValidationFailed

from . import services
from .models import Rule, RuleFiring, Trigger

router = Router(tags=["rules"])

TriggerName = Literal["created", "updated", "transitioned", "sla_warning", "sla_breach", "scheduled"]
MAX_TICKETS = 50


class Body(Schema):
    model_config = ConfigDict(extra="forbid")


class RuleIn(Body):
    name: str = Field(max_length=120)
    description: str = Field("", max_length=2000)
    active: bool = True
    order: int = Field(100, ge=-1_000_000, le=1_000_000)
    trigger: TriggerName
    conditions: Any = Field(default_factory=dict, description="A condition tree (docs/rules.md); {} always holds.")
    actions: Any = Field(description="A list of actions (docs/rules.md).")
    stop_processing: bool = False
    interval_minutes: int | None = Field(None, description="Scheduled rules only: run every N minutes (5–10080).")


class RulePatch(Body):
    name: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=2000)
    active: bool | None = None
    order: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    trigger: TriggerName | None = None
    conditions: Any = None
    actions: Any = None
    stop_processing: bool | None = None
    interval_minutes: int | None = None


class RuleOut(BaseModel):
    id: int
    name: str
    description: str
    active: bool
    order: int
    trigger: str
    conditions: Any
    actions: Any
    stop_processing: bool
    interval_minutes: int | None
    version: int
    last_run_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RulePage(BaseModel):
    items: list[RuleOut]
    next_cursor: str | None = None


class ValidateOut(BaseModel):
    valid: bool
    errors: dict[str, list[str]]


class DryRunIn(Body):
    ticket_ids: list[int] = Field(default_factory=list, max_length=MAX_TICKETS)
    ticket_numbers: list[str] = Field(default_factory=list, max_length=MAX_TICKETS)
    rule_ids: list[int] | None = Field(None, description="Default: every active rule.")
    rule: RuleIn | None = Field(None, description="An unsaved rule to try instead of stored ones.")
    trigger: TriggerName | None = None


class DryRunOut(BaseModel):
    results: list[dict[str, Any]]


class FiringOut(BaseModel):
    id: int
    rule_id: int | None
    rule_name: str
    ticket_id: int
    ticket_number: str
    at: dt.datetime
    trigger: str
    results: Any


class FiringPage(BaseModel):
    items: list[FiringOut]
    next_cursor: str | None = None


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _admin(request: HttpRequest) -> Any:
    user = _user(request)
    require(user, Perm.RULE_ADMIN)
    return user


def rule_out(rule: Rule) -> dict[str, Any]:
    return {f: getattr(rule, f) for f in RuleOut.model_fields} | {"id": rule.pk}


@router.get("", response=RulePage, summary="Automation rules, in order")
def list_rules(request: HttpRequest, trigger: TriggerName | None = None, active: bool | None = None):
    _admin(request)
    qs = Rule.objects.order_by("order", "id")
    if trigger:
        qs = qs.filter(trigger=trigger)
    if active is not None:
        qs = qs.filter(active=active)
    return {"items": [rule_out(r) for r in qs], "next_cursor": None}


@router.post("", response={201: RuleOut}, summary="Create a rule")
def create_rule(request: HttpRequest, payload: RuleIn):
    rule = services.create_rule(actor=_admin(request), **payload.model_dump())
    return Status(201, rule_out(rule))


@router.post("/validate", response=ValidateOut, summary="Check a rule without saving it")
def validate_rule(request: HttpRequest, payload: RuleIn):
    _admin(request)
    errors = services.validate_rule(payload.model_dump())
    return {"valid": not errors, "errors": errors}


@router.post("/dry-run", response=DryRunOut, summary="Which rules would fire on these tickets (writes nothing)")
def dry_run(request: HttpRequest, payload: DryRunIn):
    """Tickets are looked up among those the caller may see; any other id or number is a 422."""
    from loopdesk.tickets.models import Ticket

    user = _admin(request)
    if not payload.ticket_ids and not payload.ticket_numbers:
        raise ValidationFailed(fields={"ticket_ids": [_("Choose at least one ticket.")]})
    visible = Ticket.objects.visible_to(user)
    tickets = list(visible.filter(pk__in=payload.ticket_ids)) + list(visible.filter(number__in=payload.ticket_numbers))
    missing_ids = sorted(set(payload.ticket_ids) - {t.pk for t in tickets})
    missing_numbers = sorted(set(payload.ticket_numbers) - {t.number for t in tickets})
    errors = {}
    if missing_ids:
        errors["ticket_ids"] = [_("Unknown tickets: %(list)s.") % {"list": ", ".join(map(str, missing_ids))}]
    if missing_numbers:
        errors["ticket_numbers"] = [_("Unknown tickets: %(list)s.") % {"list": ", ".join(missing_numbers)}]
    if errors:
        raise ValidationFailed(fields=errors)
    if payload.rule is not None:
        values = payload.rule.model_dump()
        problems = services.validate_rule(values)
        if problems:
            raise ValidationFailed(_("The rule is not valid."), fields={f"rule.{k}": v for k, v in problems.items()})
        rules = [Rule(pk=None, **values)]
    elif payload.rule_ids is not None:
        rules = list(Rule.objects.filter(pk__in=payload.rule_ids))
        if len(rules) != len(set(payload.rule_ids)):
            raise ValidationFailed(fields={"rule_ids": [_("Unknown rule.")]})
    else:
        rules = list(Rule.objects.filter(active=True))
    seen, unique = set(), []
    for t in tickets:
        if t.pk not in seen:
            seen.add(t.pk)
            unique.append(t)
    return {"results": services.dry_run(actor=user, rules=rules, tickets=unique, trigger=payload.trigger)}


@router.get("/firings", response=FiringPage, summary="Recent rule firings on tickets the caller may see")
def firings(request: HttpRequest, rule_id: int | None = None, limit: int = 50):
    from loopdesk.tickets.models import Ticket

    user = _admin(request)
    qs = RuleFiring.objects.filter(dry_run=False, ticket__in=Ticket.objects.visible_to(user).values("id"))
    if rule_id is not None:
        qs = qs.filter(rule_id=rule_id)
    rows = qs.select_related("ticket").only(
        "id", "rule_id", "rule_name", "at", "trigger", "results", "ticket__id", "ticket__number"
    ).order_by("-at", "-id")[: max(1, min(limit, 200))]
    return {"items": [
        {"id": f.pk, "rule_id": f.rule_id, "rule_name": f.rule_name, "ticket_id": f.ticket_id,
         "ticket_number": f.ticket.number, "at": f.at, "trigger": f.trigger, "results": f.results}
        for f in rows
    ], "next_cursor": None}


@router.get("/{int:rule_id}", response=RuleOut, summary="A rule")
def get_rule(request: HttpRequest, rule_id: int):
    _admin(request)
    return rule_out(services.get_rule(rule_id))


@router.patch("/{int:rule_id}", response=RuleOut, summary="Change a rule")
def patch_rule(request: HttpRequest, rule_id: int, payload: RulePatch):
    user = _admin(request)
    values = payload.model_dump(exclude_unset=True)
    for key in ("name", "active", "order", "trigger", "stop_processing", "description"):
        if key in values and values[key] is None:
            raise ValidationFailed(fields={key: [_("This field cannot be null.")]})
    rule = services.update_rule(actor=user, rule=services.get_rule(rule_id), **values)
    return rule_out(rule)


@router.delete("/{int:rule_id}", response={204: None}, summary="Delete a rule")
def delete_rule(request: HttpRequest, rule_id: int):
    services.delete_rule(actor=_admin(request), rule=services.get_rule(rule_id))
    return Status(204, None)


__all__ = ["router", "Trigger"]
