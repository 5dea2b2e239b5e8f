"""Writes for SLA/OLA policies, their targets and escalation levels (Perm.SLA_ADMIN).

Every refusal is ValidationFailed naming the field and changes nothing. A policy edit applies to clocks
started afterwards and to clocks re-targeted afterwards (a priority, type, category, channel, group or
partner change); the running clocks of the policy keep their target but are re-planned at once, so
new or changed escalation levels take effect for them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import Conflict, ValidationFailed
from loopdesk.core.services import record_audit

from .models import Calendar, EscalationLevel, Metric, Party, Policy, Target

FIELDS = {
    "name", "code", "kind", "party", "description", "active", "order", "calendar", "contract_levels", "vip_levels",
    "ticket_types", "category_ids", "priorities", "channels", "group", "group_tiers", "partner_org",
    "pause_statuses", "on_reopen",
}
ACTION_TYPES = {"notify", "reassign", "raise_priority"}
NOTIFY_TO = {"assignee", "group_lead", "manager"}


def _choices() -> dict[str, set]:
    from loopdesk.catalog.models import Contract
    from loopdesk.customers.models import Company
    from loopdesk.tickets.choices import Channel, Priority, TicketType

    return {
        "contract_levels": set(Contract.Level.values), "vip_levels": set(Company.Vip.values),
        "ticket_types": set(TicketType.values), "priorities": set(Priority.values), "channels": set(Channel.values),
    }


def _check_list(name: str, value: Any, allowed: set | None, errors: dict) -> list:
    if not isinstance(value, list | tuple):
        errors[name] = [_("Give a list.")]
        return []
    bad = [v for v in value if allowed is not None and v not in allowed]
    if bad:
        errors[name] = [_("Unknown values: %(values)s.") % {"values": ", ".join(map(str, bad))}]
    return list(dict.fromkeys(value))


def _clean(values: dict, *, policy: Policy | None, errors: dict) -> dict:
    from loopdesk.accounts.models import Group
    from loopdesk.orgs.models import Organization
    from loopdesk.tickets.models import Category

    unknown = set(values) - FIELDS
    for name in sorted(unknown):
        errors[name] = [_("This field cannot be set.")]
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        clash = Policy.objects.filter(name=out["name"]).exclude(pk=getattr(policy, "pk", None))
        if not out["name"]:
            errors["name"] = [_("This field is required.")]
        elif clash.exists():
            errors["name"] = [_("A policy with this name already exists.")]
    if out.get("code"):
        if Policy.objects.filter(code=out["code"]).exclude(pk=getattr(policy, "pk", None)).exists():
            errors["code"] = [_("A policy with this code already exists.")]
    elif "code" in out:
        out["code"] = None
    if "kind" in out and out["kind"] not in Policy.Kind.values:
        errors["kind"] = [_("Choose sla or ola.")]
    if "on_reopen" in out and out["on_reopen"] not in Policy.OnReopen.values:
        errors["on_reopen"] = [_("Choose restart or continue.")]
    choices = _choices()
    for name in ("contract_levels", "vip_levels", "ticket_types", "priorities", "channels"):
        if name in out:
            out[name] = _check_list(name, out[name], choices[name], errors)
    if "category_ids" in out:
        out["category_ids"] = _check_list("category_ids", out["category_ids"], None, errors)
        missing = set(out["category_ids"]) - set(Category.objects.filter(pk__in=[
            c for c in out["category_ids"] if isinstance(c, int)]).values_list("pk", flat=True))
        if missing:
            errors["category_ids"] = [_("Unknown categories: %(values)s.") % {"values": ", ".join(map(str, missing))}]
    if "group_tiers" in out:
        out["group_tiers"] = _check_list("group_tiers", out["group_tiers"], set(range(1, 10)), errors)
    if "pause_statuses" in out:
        out["pause_statuses"] = _check_list("pause_statuses", out["pause_statuses"], None, errors)
        if any(not isinstance(s, str) or not s.strip() or len(s) > 24 for s in out["pause_statuses"]):
            errors["pause_statuses"] = [_("Give status keys (text of at most 24 characters).")]
    for name, model, extra in (("calendar", Calendar, {}), ("group", Group, {}),
                               ("partner_org", Organization, {"kind": Organization.Kind.PARTNER})):
        value = out.get(name)
        if value is not None and not isinstance(value, model):
            found = model.objects.filter(pk=value, **extra).first() if isinstance(value, int) else None
            if found is None:
                errors[name] = [_("Unknown %(name)s.") % {"name": name}]
            out[name] = found
    kind = out.get("kind", getattr(policy, "kind", Policy.Kind.SLA))
    party = out.get("party", getattr(policy, "party", None))
    if kind == Policy.Kind.SLA:
        if party not in (None, Party.CUSTOMER):
            errors["party"] = [_("An SLA applies to the customer.")]
        out["party"] = Party.CUSTOMER
    elif party not in (Party.GROUP, Party.PARTNER):
        errors["party"] = [_("An OLA applies to an assignment group or a partner.")]
    return out


def _clean_targets(targets: Iterable[dict], errors: dict) -> list[tuple[str, int | None, int]]:
    out, seen = [], set()
    for i, row in enumerate(targets):
        metric, priority, minutes = row.get("metric"), row.get("priority"), row.get("minutes")
        if metric not in Metric.values:
            errors[f"targets.{i}.metric"] = [_("Unknown metric.")]
            continue
        if priority is not None and priority not in (1, 2, 3, 4):
            errors[f"targets.{i}.priority"] = [_("Choose a priority from 1 to 4, or none for any.")]
            continue
        if not isinstance(minutes, int) or not 1 <= minutes <= 10 * 366 * 1440:
            errors[f"targets.{i}.minutes"] = [_("Give a whole number of business minutes above 0.")]
            continue
        if (metric, priority) in seen:
            errors[f"targets.{i}"] = [_("This metric and priority already have a target.")]
            continue
        seen.add((metric, priority))
        out.append((metric, priority, minutes))
    return out


def _clean_levels(levels: Iterable[dict], errors: dict) -> list[tuple[str, int, list]]:
    from loopdesk.accounts.models import Group

    out, seen = [], set()
    for i, row in enumerate(levels):
        metric, percent, actions = row.get("metric"), row.get("percent"), row.get("actions") or []
        if metric not in Metric.values:
            errors[f"levels.{i}.metric"] = [_("Unknown metric.")]
            continue
        if not isinstance(percent, int) or not 1 <= percent <= 1000:
            errors[f"levels.{i}.percent"] = [_("Give a percent from 1 to 1000.")]
            continue
        if (metric, percent) in seen:
            errors[f"levels.{i}"] = [_("This metric already has a level at this percent.")]
            continue
        seen.add((metric, percent))
        clean = []
        for action in actions if isinstance(actions, list) else [None]:
            kind = action.get("type") if isinstance(action, dict) else None
            if kind not in ACTION_TYPES:
                errors[f"levels.{i}.actions"] = [_("An action is notify, reassign or raise_priority.")]
            elif kind == "notify" and action.get("to") not in NOTIFY_TO:
                errors[f"levels.{i}.actions"] = [_("Notify the assignee, group_lead or manager.")]
            elif kind == "reassign" and not Group.objects.filter(pk=action.get("group_id") if isinstance(
                    action.get("group_id"), int) else None).exists():
                errors[f"levels.{i}.actions"] = [_("Reassign to an existing group (group_id).")]
            else:
                clean.append({k: action[k] for k in ("type", "to", "group_id") if k in action})
        out.append((metric, percent, clean))
    return out


def _write_children(policy: Policy, targets: list | None, levels: list | None) -> None:
    if targets is not None:
        policy.targets.all().delete()
        Target.objects.bulk_create([Target(policy=policy, metric=m, priority=p, minutes=n) for m, p, n in targets])
    if levels is not None:
        policy.levels.all().delete()
        EscalationLevel.objects.bulk_create([EscalationLevel(policy=policy, metric=m, percent=p, actions=a)
                                             for m, p, a in levels])


def describe(policy: Policy) -> dict:
    return {
        "targets": [f"{t.metric} P{t.priority or '*'} {t.minutes}" for t in policy.targets.all()],
        "levels": [f"{lv.metric} {lv.percent}% {lv.actions}" for lv in policy.levels.all()],
    }


@transaction.atomic
def create_policy(*, actor: Any, name: str, calendar: Any, targets: Iterable[dict] = (),
                  levels: Iterable[dict] = (), **values: Any) -> Policy:
    """A new SLA or OLA policy with its targets and escalation levels."""
    require(actor, Perm.SLA_ADMIN)
    errors: dict[str, list[str]] = {}
    values = _clean({"name": name, "calendar": calendar, **values}, policy=None, errors=errors)
    if values.get("calendar") is None and "calendar" not in errors:
        errors["calendar"] = [_("This field is required.")]
    clean_targets = _clean_targets(targets, errors)
    clean_levels = _clean_levels(levels, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    policy = Policy.objects.create(**values)
    _write_children(policy, clean_targets, clean_levels)
    record_audit(actor=actor, obj=policy, action="create", changes={"name": policy.name, **describe(policy)})
    return policy


@transaction.atomic
def update_policy(*, actor: Any, policy: Policy, targets: Iterable[dict] | None = None,
                  levels: Iterable[dict] | None = None, **values: Any) -> Policy:
    """Change fields; `targets` / `levels`, when given, replace all of them. Running clocks of the
    policy are re-planned (see the module docstring)."""
    require(actor, Perm.SLA_ADMIN)
    errors: dict[str, list[str]] = {}
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    values = _clean(values, policy=policy, errors=errors)
    if "calendar" in values and values["calendar"] is None and "calendar" not in errors:
        errors["calendar"] = [_("This field is required.")]
    clean_targets = _clean_targets(targets, errors) if targets is not None else None
    clean_levels = _clean_levels(levels, errors) if levels is not None else None
    if errors:
        raise ValidationFailed(fields=errors)
    before = {"fields": {k: str(getattr(policy, k)) for k in values}, **describe(policy)}
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    _write_children(policy, clean_targets, clean_levels)
    after = {"fields": {k: str(getattr(policy, k)) for k in values}, **describe(policy)}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    record_audit(actor=actor, obj=policy, action="update", changes=changes)
    from .policies import clear_cache
    from .replan import replan

    clear_cache()
    replan(policy_id=policy.pk)
    return policy


@transaction.atomic
def delete_policy(*, actor: Any, policy: Policy) -> None:
    """Delete a policy no clock ever used; otherwise refuse (deactivate it instead)."""
    require(actor, Perm.SLA_ADMIN)
    if policy.clocks.exists():
        raise Conflict(_("Clocks have used this policy; deactivate it instead."))
    record_audit(actor=actor, obj=policy, action="delete", changes={"name": policy.name})
    policy.delete()
