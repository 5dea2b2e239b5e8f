"""What a rule does when it fires: validation of the actions JSON (errors with paths), and each action.

Every action runs through the ticket services with actor None (the system) and returns a short
JSON-friendly summary of what it did; `plan` describes what it would do without writing (dry run).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.models import Group, User
from loopdesk.accounts.roles import Role
from loopdesk.tickets.choices import Channel, Level, Priority, Responsibility, TicketType

log = logging.getLogger(__name__)

ACTION_TYPES = (
    "set_field", "classify", "set_priority", "assign", "add_watcher", "notify", "escalate",
    "problem_from_incidents", "set_responsibility", "webhook",
)  # fmt: skip
SET_FIELDS = ("type", "category", "impact", "urgency", "channel", "responsibility")
STRATEGIES = ("skills", "least_loaded", "round_robin")
NOTIFY_TO = ("assignee", "group", "user", "role", "watchers")
MATCH_KEYS = ("category", "product_version", "product", "customer")
CF_KEY = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_ACTIONS = 20
Errors = list[tuple[str, str]]


# ---------------------------------------------------------------- validation


def validate_actions(actions: Any) -> Errors:
    """Every error of an actions list as (path, message), paths like ``[2].group``. Ids are checked
    against the database (category, group, user, endpoint exist)."""
    if not isinstance(actions, list):
        return [("", _("Expected a list of actions."))]
    if len(actions) > MAX_ACTIONS:
        return [("", _("At most %(n)d actions.") % {"n": MAX_ACTIONS})]
    errors: Errors = []
    for i, action in enumerate(actions):
        path = f"[{i}]"
        if not isinstance(action, dict):
            errors.append((path, _("Expected an object.")))
            continue
        kind = action.get("type")
        if kind not in ACTION_TYPES:
            errors.append((f"{path}.type", _("Unknown action; expected one of: %(list)s.") % {"list": ", ".join(ACTION_TYPES)}))
            continue
        spec = _SPECS[kind]
        for key in sorted(action.keys() - spec.keys() - {"type"}):
            errors.append((f"{path}.{key}", _("Unknown key.")))
        for key, check in spec.items():
            message = check(action.get(key), key in action, action)
            if message:
                errors.append((f"{path}.{key}", message))
        if kind == "assign" and (message := _assign_whole(action)):
            errors.append((path, message))
    return errors


def _required(inner: Callable[[Any], str | None]) -> Callable[[Any, bool, dict], str | None]:
    def check(value, present, _action):
        if not present or value is None:
            return _("This field is required.")
        return inner(value)

    return check


def _optional(inner: Callable[[Any], str | None]) -> Callable[[Any, bool, dict], str | None]:
    def check(value, present, _action):
        if not present or value is None:
            return None
        return inner(value)

    return check


def _id_of(model: Any, message: str, **filters: Any) -> Callable[[Any], str | None]:
    def check(value):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return _("Expected an id.")
        if not model.objects.filter(pk=value, **filters).exists():
            return message
        return None

    return check


def _category(value):
    from loopdesk.tickets.models import Category

    return _id_of(Category, _("Unknown or inactive category."), active=True)(value)


def _endpoint(value):
    from loopdesk.integrations.models import Endpoint

    return _id_of(Endpoint, _("Unknown webhook endpoint."))(value)


def _choice(values) -> Callable[[Any], str | None]:
    def check(value):
        if value not in values:
            return _("Choose one of: %(list)s.") % {"list": ", ".join(str(v) for v in values)}
        return None

    return check


def _text(max_length: int) -> Callable[[Any], str | None]:
    def check(value):
        if not isinstance(value, str) or len(value) > max_length:
            return _("Expected text of at most %(n)d characters.") % {"n": max_length}
        return None

    return check


def _int_range(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return _("Expected a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        return None

    return check


def _set_field_field(value, present, _action):
    if not present:
        return _("This field is required.")
    if value in SET_FIELDS:
        return None
    if isinstance(value, str) and value.startswith("cf.") and CF_KEY.match(value[3:]):
        from loopdesk.core.models import CustomField

        if not CustomField.objects.filter(target=CustomField.Target.TICKET, key=value[3:], active=True).exists():
            return _("Unknown custom field.")
        return None
    return _("Choose one of: %(list)s, or cf.<key>.") % {"list": ", ".join(SET_FIELDS)}


def _set_field_value(value, present, action):
    field = action.get("field")
    if not present:
        return _("This field is required.")
    if field == "type":
        return _choice(TicketType.values)(value)
    if field == "category":
        return _category(value)
    if field in ("impact", "urgency"):
        return _choice(Level.values)(value)
    if field == "channel":
        return _choice(Channel.values)(value)
    if field == "responsibility":
        return _choice(["", *Responsibility.values])(value)
    if not isinstance(value, (str, int, float, bool, type(None))):
        return _("Expected a text, number, boolean or null value.")
    return None


def _classify_map(value, present, _action):
    if not present or not isinstance(value, list) or not value:
        return _("Expected a list of {keywords: [...], category: id}.")
    for i, entry in enumerate(value):
        if not isinstance(entry, dict) or set(entry) != {"keywords", "category"}:
            return _("Entry %(i)d: expected {keywords: [...], category: id}.") % {"i": i}
        words = entry["keywords"]
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            return _("Entry %(i)d: keywords must be a list of words.") % {"i": i}
        message = _category(entry["category"])
        if message:
            return _("Entry %(i)d: %(message)s") % {"i": i, "message": message}
    return None


def _classify_fields(value, present, _action):
    if not present:
        return None
    if not isinstance(value, list) or not value or not set(value) <= {"title", "description"}:
        return _("Expected a list of: title, description.")
    return None


def _assign_whole(action):
    if not any(action.get(k) is not None for k in ("group", "user", "strategy")):
        return _("Give a group, a user or a strategy.")
    return None


def _notify_to(value, present, action):
    if not present or value not in NOTIFY_TO:
        return _("Choose one of: %(list)s.") % {"list": ", ".join(NOTIFY_TO)}
    if value == "user" and action.get("user") is None:
        return _("Give the user to notify.")
    if value == "role" and action.get("role") is None:
        return _("Give the role to notify.")
    return None


def _match(value, present, _action):
    if not present:
        return None
    if not isinstance(value, list) or not value or not set(value) <= set(MATCH_KEYS):
        return _("Expected a list of: %(list)s.") % {"list": ", ".join(MATCH_KEYS)}
    return None


_SPECS: dict[str, dict[str, Callable[[Any, bool, dict], str | None]]] = {
    "set_field": {"field": _set_field_field, "value": _set_field_value},
    "classify": {"map": _classify_map, "fields": _classify_fields},
    "set_priority": {"value": _required(_choice(Priority.values))},
    "assign": {
        "group": _optional(_id_of(Group, _("Unknown or inactive group."), active=True)),
        "user": _optional(_id_of(User, _("Unknown or inactive user."), is_active=True)),
        "strategy": _optional(_choice(STRATEGIES)),
    },
    "add_watcher": {"user": _required(_id_of(User, _("Unknown or inactive user."), is_active=True))},
    "notify": {
        "to": _notify_to,
        "user": _optional(_id_of(User, _("Unknown or inactive user."), is_active=True)),
        "role": _optional(_choice([r for r in Role.values if r != Role.CUSTOMER])),
        "subject": _required(_text(200)),
        "body": _optional(_text(2000)),
    },
    "escalate": {},
    "problem_from_incidents": {
        "threshold": _required(_int_range(2, 1000)),
        "hours": _required(_int_range(1, 24 * 30)),
        "match": _match,
        "title": _optional(_text(200)),
    },
    "set_responsibility": {"value": _required(_choice(Responsibility.values))},
    "webhook": {"endpoint": _required(_endpoint)},
}


# ---------------------------------------------------------------- describing (dry run)


def describe(action: dict, ticket: Any) -> dict:
    """What `action` would do to `ticket`, without writing (the dry run's view of it)."""
    kind = action["type"]
    out = {"type": kind}
    if kind == "classify":
        category = _classify_pick(action, ticket)
        out["would"] = {"category": category} if category else "no keyword matched"
    elif kind == "problem_from_incidents":
        incidents = _similar_incidents(action, ticket)
        out["would"] = {"incidents": len(incidents), "threshold": action["threshold"],
                        "raise": len(incidents) >= action["threshold"]}
    else:
        out["would"] = {k: v for k, v in action.items() if k != "type"}
    return out


# ---------------------------------------------------------------- running


def run(action: dict, ticket: Any, *, rule: Any) -> tuple[Any, dict]:
    """Apply one action; return (the ticket as it is now, a summary). Raises domain errors."""
    kind = action["type"]
    return _RUNNERS[kind](action, ticket, rule)


def _update(ticket, **values):
    from loopdesk.tickets.services import update_ticket

    custom = values.pop("custom_fields", None)
    return update_ticket(actor=None, ticket=ticket, custom_fields=custom, **values)


def _run_set_field(action, ticket, rule):
    field, value = action["field"], action["value"]
    if field.startswith("cf."):
        ticket = _update(ticket, custom_fields={field[3:]: value})
    elif field == "category":
        ticket = _update(ticket, category=_category_row(value))
    else:
        ticket = _update(ticket, **{field: value})
    return ticket, {"type": "set_field", "field": field, "value": value}


def _classify_pick(action, ticket) -> int | None:
    fields = action.get("fields") or ["title", "description"]
    text = " ".join(getattr(ticket, f) or "" for f in fields).casefold()
    for entry in action["map"]:
        if any(word.strip().casefold() in text for word in entry["keywords"]):
            return entry["category"]
    return None


def _run_classify(action, ticket, rule):
    category_id = _classify_pick(action, ticket)
    if category_id is None:
        return ticket, {"type": "classify", "category": None}
    if category_id != ticket.category_id:
        ticket = _update(ticket, category=_category_row(category_id))
    return ticket, {"type": "classify", "category": category_id}


def _category_row(pk: int) -> Any:
    from loopdesk.tickets.models import reference_rows

    category = reference_rows("category").one(pk)
    if category is None:
        raise _refused(_("The category of this rule no longer exists."))
    return category


def _run_set_priority(action, ticket, rule):
    ticket = _update(ticket, priority=action["value"])
    return ticket, {"type": "set_priority", "value": action["value"]}


def _run_set_responsibility(action, ticket, rule):
    ticket = _update(ticket, responsibility=action["value"])
    return ticket, {"type": "set_responsibility", "value": action["value"]}


def _open_load(user_ids: list[int]) -> dict[int, int]:
    from loopdesk.tickets.models import Ticket

    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, is_open=True)
        .values("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n")
    )
    return dict(rows)


def _members(group: Group) -> list[User]:
    return list(group.members.filter(is_active=True).order_by("id"))


def pick_member(group: Group, strategy: str, ticket: Any) -> User | None:
    """Choose the group member for `ticket` by strategy (skills match, least loaded, round robin)."""
    from .models import RoundRobinPointer

    members = _members(group)
    if not members:
        return None
    if strategy == "round_robin":
        pointer, _created = RoundRobinPointer.objects.get_or_create(group=group)
        pointer = RoundRobinPointer.objects.select_for_update().get(pk=pointer.pk)
        ids = [m.pk for m in members]
        nxt = members[0]
        if pointer.last_user_id in ids:
            nxt = members[(ids.index(pointer.last_user_id) + 1) % len(members)]
        pointer.last_user = nxt
        pointer.save(update_fields=["last_user", "updated_at"])
        return nxt
    load = _open_load([m.pk for m in members])
    if strategy == "skills":
        words = _ticket_words(ticket)
        scored = [(-_skill_score(m, words), load.get(m.pk, 0), m.pk, m) for m in members]
        return min(scored)[3]
    return min((load.get(m.pk, 0), m.pk, m) for m in members)[2]  # least loaded, ties by id


def _ticket_words(ticket) -> str:
    parts = [ticket.title or "", ticket.description or ""]
    if ticket.category_id:
        parts.append(ticket.category.full_name)
    if ticket.asset_id and ticket.asset.product_version_id:
        version = ticket.asset.product_version
        parts += [version.product.name, version.product.code, version.version]
    return " ".join(parts).casefold()


def _skill_score(user: User, words: str) -> int:
    return sum(1 for s in (user.skills or []) if isinstance(s, str) and s.strip() and s.strip().casefold() in words)


def _run_assign(action, ticket, rule):
    from loopdesk.tickets.services import assign_ticket

    group = Group.objects.filter(pk=action["group"], active=True).first() if action.get("group") else None
    if action.get("group") and group is None:
        raise _refused(_("The group of this rule is no longer active."))
    target_group = group or (ticket.group if ticket.group_id else None)
    user = None
    if action.get("user"):
        user = User.objects.filter(pk=action["user"], is_active=True).first()
        if user is None:
            raise _refused(_("The user of this rule is no longer active."))
    elif action.get("strategy"):
        if target_group is None:
            raise _refused(_("The ticket has no group to choose a member from."))
        user = pick_member(target_group, action["strategy"], ticket)
    kwargs: dict[str, Any] = {}
    if group is not None:
        kwargs["group"] = group
    if user is not None or group is not None:
        kwargs["assignee"] = user
    ticket = assign_ticket(actor=None, ticket=ticket, **kwargs)
    return ticket, {
        "type": "assign", "group": ticket.group_id, "assignee": ticket.assignee_id,
        "strategy": action.get("strategy"),
    }


def _run_add_watcher(action, ticket, rule):
    from loopdesk.tickets.services import set_watcher

    user = User.objects.filter(pk=action["user"], is_active=True).first()
    if user is None:
        raise _refused(_("The user of this rule is no longer active."))
    set_watcher(actor=None, ticket=ticket, user=user, watching=True)
    return ticket, {"type": "add_watcher", "user": user.pk}


_PLACEHOLDER = re.compile(r"\{(number|title|priority|status|customer|rule)\}")


def render(text: str, ticket: Any, rule: Any) -> str:
    """Fill {number} {title} {priority} {status} {customer} {rule} (nothing else is interpreted)."""
    values = {
        "number": ticket.number, "title": ticket.title, "priority": f"P{ticket.priority}",
        "status": ticket.get_status_display(), "customer": str(ticket.company), "rule": rule.name,
    }
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text or "")


def notify_recipients(action: dict, ticket: Any) -> list[User]:
    to = action["to"]
    if to == "assignee":
        return [ticket.assignee] if ticket.assignee_id else []
    if to == "group":
        return _members(ticket.group) if ticket.group_id else []
    if to == "user":
        return list(User.objects.filter(pk=action["user"], is_active=True))
    if to == "watchers":
        return list(ticket.watchers.filter(is_active=True))
    # a role within the ticket's branch: the nearest organisation up the tree that has such people
    org = ticket.owner_org
    while org is not None:
        users = list(
            User.objects.filter(is_active=True, memberships__role=action["role"], memberships__organization=org)
            .distinct().order_by("id")
        )
        if users:
            return users
        org = org.parent
    return []


def _run_notify(action, ticket, rule):
    from django.urls import reverse

    from loopdesk.accounts.services import notify

    recipients = notify_recipients(action, ticket)
    try:
        url = reverse("tickets:detail", args=[ticket.pk])
    except Exception:  # noqa: BLE001 - the link is a convenience
        url = ""
    rows = notify(
        recipients, subject=render(action["subject"], ticket, rule), body=render(action.get("body") or "", ticket, rule),
        url=url, ticket_id=ticket.pk, kind="rule",
    )
    return ticket, {"type": "notify", "to": action["to"], "recipients": [r.recipient_id for r in rows]}


def _run_escalate(action, ticket, rule):
    from loopdesk.tickets.services import assign_ticket

    from .models import EscalationTier

    tier = EscalationTier.objects.select_related("next_group").filter(group_id=ticket.group_id).first()
    if ticket.group_id is None or tier is None or not tier.next_group.active:
        return ticket, {"type": "escalate", "to": None}
    ticket = assign_ticket(actor=None, ticket=ticket, group=tier.next_group, assignee=None)
    return ticket, {"type": "escalate", "from": tier.group_id, "to": tier.next_group_id}


def _similar_incidents(action, ticket) -> list[Any]:
    from loopdesk.tickets.models import Ticket

    since = timezone.now() - dt.timedelta(hours=action["hours"])
    q = Q(type=TicketType.INCIDENT, created_at__gte=since)
    for key in action.get("match") or ["category", "product_version"]:
        if key == "category":
            if not ticket.category_id:
                return []
            q &= Q(category_id=ticket.category_id)
        elif key == "customer":
            q &= Q(company_id=ticket.company_id)
        else:
            version = ticket.asset.product_version if ticket.asset_id else None
            if version is None:
                return []
            q &= (Q(asset__product_version_id=version.pk) if key == "product_version"
                  else Q(asset__product_version__product_id=version.product_id))
    return list(Ticket.objects.filter(q).order_by("created_at", "id")[:500])


def _run_problem(action, ticket, rule):
    from loopdesk.problems.services import problem_for_incidents

    incidents = _similar_incidents(action, ticket)
    if len(incidents) < action["threshold"]:
        return ticket, {"type": "problem_from_incidents", "incidents": len(incidents), "problem": None}
    title = render(action.get("title") or _("Repeated incidents: {title}"), ticket, rule)[:200]
    problem = problem_for_incidents(actor=None, incidents=incidents, title=title)
    return ticket, {"type": "problem_from_incidents", "incidents": len(incidents), "problem": problem.pk,
                    "problem_number": problem.number}


def _run_webhook(action, ticket, rule):
    from loopdesk.integrations.models import Endpoint
    from loopdesk.integrations.services import send, ticket_payload

    endpoint = Endpoint.objects.filter(pk=action["endpoint"]).first()
    if endpoint is None:
        raise _refused(_("The webhook endpoint of this rule no longer exists."))
    payload = {"rule": {"id": rule.pk, "name": rule.name}, "ticket": ticket_payload(ticket)}
    delivery = send(endpoint=endpoint, event="rule.fired", ticket=ticket, payload=payload)
    return ticket, {"type": "webhook", "endpoint": endpoint.pk, "delivery": delivery.pk}


def _refused(message: str):
    from loopdesk.core.errors import ValidationFailed

    return ValidationFailed(message)


_RUNNERS = {
    "set_field": _run_set_field,
    "classify": _run_classify,
    "set_priority": _run_set_priority,
    "assign": _run_assign,
    "add_watcher": _run_add_watcher,
    "notify": _run_notify,
    "escalate": _run_escalate,
    "problem_from_incidents": _run_problem,
    "set_responsibility": _run_set_responsibility,
    "webhook": _run_webhook,
}


def run_safely(action: dict, ticket: Any, *, rule: Any) -> tuple[Any, dict]:
    """Run one action in a savepoint: a failing action is recorded, never breaks the ticket's change.
    The ticket's fields are put back too, since a service may have changed the very instance (a ticket
    being created is not re-read) before the savepoint was rolled back."""
    from loopdesk.core.errors import DomainError

    fields = [f.attname for f in type(ticket)._meta.concrete_fields]
    before = {name: getattr(ticket, name) for name in fields}
    try:
        # A ticket not yet stored is changed in memory only: there is nothing to roll back but its fields.
        with transaction.atomic() if ticket.pk is not None else contextlib.nullcontext():
            return run(action, ticket, rule=rule)
    except DomainError as error:
        _restore(ticket, before)
        detail = error.detail
        if error.fields:
            detail += " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        return ticket, {"type": action["type"], "error": detail}
    except Exception as error:  # noqa: BLE001 - an automation must not break the change that triggered it
        _restore(ticket, before)
        log.exception("rule %s: action %s failed", getattr(rule, "pk", None), action.get("type"))
        return ticket, {"type": action["type"], "error": type(error).__name__}


def _restore(ticket: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(ticket, name, value)
