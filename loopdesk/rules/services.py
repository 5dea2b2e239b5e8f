"""Writing rules (validated, audited, versioned), dry runs, and the scheduled-rule job."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core import conditions
from loopdesk.core.errors import NotFound, ValidationFailed
from loopdesk.core.services import record_audit

from . import actions as rule_actions
from . import engine
from .facts import FIELDS, TicketFacts
from .models import EscalationTier, Rule, RuleFiring, Trigger

log = logging.getLogger(__name__)

RULE_FIELDS = ("name", "description", "active", "order", "trigger", "conditions", "actions", "stop_processing",
               "interval_minutes")
MAX_INTERVAL = 7 * 24 * 60
SCHEDULED_BATCH = 500


def validate_rule(values: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem of a rule's values, keyed by path: ``name``, ``conditions.all[1].op``, ``actions[0].group``."""
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(str(message))

    if "name" in values:
        name = values["name"]
        if not isinstance(name, str) or not name.strip():
            add("name", _("Enter a name."))
        elif len(name) > 120:
            add("name", _("At most 120 characters."))
    if "trigger" in values and values["trigger"] not in Trigger.values:
        add("trigger", _("Choose one of: %(list)s.") % {"list": ", ".join(Trigger.values)})
    if "order" in values:
        order = values["order"]
        if not isinstance(order, int) or isinstance(order, bool) or not -1_000_000 <= order <= 1_000_000:
            add("order", _("Expected a whole number."))
    for flag in ("active", "stop_processing"):
        if flag in values and not isinstance(values[flag], bool):
            add(flag, _("Enter true or false."))
    if "conditions" in values:
        for path, message in conditions.validate(values["conditions"], fields=FIELDS):
            add(f"conditions.{path}" if path else "conditions", message)
    if "actions" in values:
        acts = values["actions"]
        for path, message in rule_actions.validate_actions(acts):
            add(f"actions{path}" if path.startswith("[") else "actions", message)
        if isinstance(acts, list) and not acts and "actions" not in errors:
            add("actions", _("Give at least one action."))
    trigger = values.get("trigger")
    interval = values.get("interval_minutes")
    if trigger == Trigger.SCHEDULED:
        if not isinstance(interval, int) or isinstance(interval, bool) or not 5 <= interval <= MAX_INTERVAL:
            add("interval_minutes", _("A scheduled rule runs every 5 to %(n)d minutes.") % {"n": MAX_INTERVAL})
    elif interval is not None and trigger is not None:
        add("interval_minutes", _("Only scheduled rules have an interval."))
    return errors


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in sorted(unknown)})
    errors = validate_rule(values)
    if errors:
        raise ValidationFailed(_("The rule is not valid."), fields=errors)
    out = dict(values)
    if "name" in out:
        out["name"] = out["name"].strip()
    if out.get("conditions") is None and "conditions" in out:
        out["conditions"] = {}
    return out


@transaction.atomic
def create_rule(*, actor: Any, **values: Any) -> Rule:
    """A new rule (Perm.RULE_ADMIN). Refused with every error keyed by its path."""
    require(actor, Perm.RULE_ADMIN)
    for required in ("name", "trigger", "actions"):
        values.setdefault(required, None)
    values.setdefault("conditions", {})
    cleaned = _clean(values)
    rule = Rule.objects.create(**cleaned, created_by=_user(actor), updated_by=_user(actor))
    record_audit(actor=actor, obj=rule, action="create", changes={k: cleaned[k] for k in ("name", "trigger")})
    return rule


@transaction.atomic
def update_rule(*, actor: Any, rule: Rule, **values: Any) -> Rule:
    """Change a rule; its version grows so cached compiled conditions are replaced."""
    require(actor, Perm.RULE_ADMIN)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if values.get("trigger", Trigger.SCHEDULED) != Trigger.SCHEDULED:
        values.setdefault("interval_minutes", None)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in sorted(unknown)})
    merged = {k: getattr(rule, k) for k in RULE_FIELDS} | values
    cleaned = _clean(merged)
    changes = {}
    for key in values:
        value = cleaned[key]
        if getattr(rule, key) != value:
            changes[key] = [getattr(rule, key), value]
            setattr(rule, key, value)
    if changes:
        rule.version += 1
        rule.updated_by = _user(actor)
        rule.save()
        record_audit(actor=actor, obj=rule, action="update", changes=changes)
    return rule


@transaction.atomic
def delete_rule(*, actor: Any, rule: Rule) -> None:
    require(actor, Perm.RULE_ADMIN)
    record_audit(actor=actor, obj=rule, action="delete", changes={"name": rule.name})
    rule.delete()


@transaction.atomic
def reorder_rules(*, actor: Any, ids: list[int]) -> None:
    """Give the rules `ids` the orders 10, 20, 30, … in that sequence (the others keep theirs)."""
    require(actor, Perm.RULE_ADMIN)
    rules = {r.pk: r for r in Rule.objects.select_for_update().filter(pk__in=ids)}
    if len(rules) != len(set(ids)):
        raise ValidationFailed(fields={"ids": [_("Unknown rule.")]})
    for position, pk in enumerate(ids, start=1):
        rule = rules[pk]
        if rule.order != position * 10:
            rule.order = position * 10
            rule.version += 1
            rule.save(update_fields=["order", "version", "updated_at"])
    for pk in ids:
        record_audit(actor=actor, obj=rules[pk], action="reorder", changes={"order": rules[pk].order})


@transaction.atomic
def set_escalation_tier(*, actor: Any, group: Any, next_group: Any | None) -> EscalationTier | None:
    """Where `escalate` sends tickets of `group` (None removes the tier)."""
    require(actor, Perm.RULE_ADMIN)
    if next_group is None:
        EscalationTier.objects.filter(group=group).delete()
        return None
    if next_group.pk == group.pk:
        raise ValidationFailed(fields={"next_group": [_("A group cannot escalate to itself.")]})
    tier, _created = EscalationTier.objects.update_or_create(group=group, defaults={"next_group": next_group})
    record_audit(actor=actor, obj=tier, action="set", changes={"group": group.pk, "next_group": next_group.pk})
    return tier


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def get_rule(pk: int) -> Rule:
    rule = Rule.objects.filter(pk=pk).first()
    if rule is None:
        raise NotFound(_("No such rule."))
    return rule


# ---------------------------------------------------------------- dry run


def dry_run(*, actor: Any, rules: list[Rule], tickets: list[Any], trigger: str | None = None) -> list[dict]:
    """Which of `rules` would fire on each of `tickets` (in order, honouring stop_processing) and what
    they would do. Writes nothing (it runs in a transaction that is always rolled back). The caller
    passes tickets it may see (`Ticket.objects.visible_to(actor)`)."""
    require(actor, Perm.RULE_ADMIN)
    ordered = sorted(rules, key=lambda r: (r.order, r.pk or 0))
    if trigger:
        ordered = [r for r in ordered if r.trigger == trigger]
    compiled = []
    for rule in ordered:
        try:
            compiled.append(engine.CompiledRule(rule=rule, predicate=conditions.compile_tree(rule.conditions or {}, wrap=False)))
        except conditions.ConditionError:
            continue
    report = []
    with transaction.atomic():
        for ticket in tickets:
            facts = TicketFacts(ticket)
            entries, stopped = [], False
            for c in compiled:
                holds = c.predicate(facts)
                entry = {"rule": {"id": c.rule.pk, "name": c.rule.name, "trigger": c.rule.trigger},
                         "matches": holds, "would_fire": holds and not stopped, "actions": []}
                if holds and not stopped:
                    entry["actions"] = [rule_actions.describe(a, ticket) for a in c.rule.actions]
                    stopped = c.rule.stop_processing
                entries.append(entry)
            report.append({"ticket": {"id": ticket.pk, "number": ticket.number, "title": ticket.title},
                           "facts": facts.public(), "rules": entries})
        transaction.set_rollback(True)
    return report


# ---------------------------------------------------------------- scheduled rules

_PREFILTER = {
    "ticket.priority": "priority", "ticket.status": "status", "ticket.type": "type", "ticket.channel": "channel",
    "ticket.phase": "phase", "ticket.group": "group_id", "ticket.assignee": "assignee_id",
    "ticket.owner_org": "owner_org_id", "ticket.partner_org": "partner_org_id", "ticket.category": "category_id",
    "customer.id": "company_id",
}


def candidate_filter(tree: Any, now: dt.datetime) -> dict[str, Any]:
    """ORM filters implied by the top-level `all` of a condition tree (eq/in on indexed columns, age and
    idleness thresholds): they narrow the open tickets a scheduled rule scans; the tree decides."""
    nodes = tree.get("all") if isinstance(tree, dict) and "all" in tree else [tree] if tree else []
    filters: dict[str, Any] = {}
    for node in nodes:
        if not isinstance(node, dict) or "op" not in node:
            continue
        fieldname, op, value = node.get("field"), node["op"], node.get("value")
        column = _PREFILTER.get(fieldname)
        if column and op == "eq" and value is not None and not node.get("ignore_case"):
            filters[column] = value
        elif column and op == "in" and not node.get("ignore_case"):
            filters[f"{column}__in"] = [v for v in value if v is not None]
        elif fieldname == "ticket.assignee" and op == "is_empty" and node.get("value", True) is True:
            filters["assignee_id__isnull"] = True
        elif fieldname in ("ticket.idle_hours", "ticket.age_hours") and op in ("gt", "ge") and isinstance(value, (int, float)):
            column = "updated_at" if fieldname == "ticket.idle_hours" else "created_at"
            filters[f"{column}__lte"] = now - dt.timedelta(hours=value)
    return filters


def run_scheduled(*, now: dt.datetime | None = None) -> int:
    """Run the scheduled rules that are due on the open tickets they match (at most once per ticket per
    rule version, SCHEDULED_BATCH tickets per rule per run); return how many firings."""
    from loopdesk.tickets.models import Ticket

    now = now or timezone.now()
    fired = 0
    for rule in Rule.objects.filter(active=True, trigger=Trigger.SCHEDULED).order_by("order", "id"):
        interval = dt.timedelta(minutes=rule.interval_minutes or 60)
        if rule.last_run_at and rule.last_run_at + interval > now:
            continue
        try:
            compiled = engine.compile_rule(rule)
        except conditions.ConditionError:
            continue
        done = RuleFiring.objects.filter(rule=rule, rule_version=rule.version, dry_run=False).values("ticket_id")
        candidates = (
            Ticket.objects.open().filter(**candidate_filter(rule.conditions, now)).exclude(pk__in=done)
            .select_related("company").order_by("id")[:SCHEDULED_BATCH]
        )
        for ticket in candidates:
            if not compiled.predicate(TicketFacts(ticket, now=now)):
                continue
            with transaction.atomic():
                fired += len(engine.process(ticket, Trigger.SCHEDULED, only=[compiled]))
        Rule.objects.filter(pk=rule.pk).update(last_run_at=now)
    return fired
