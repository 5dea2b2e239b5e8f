"""Shared write helpers: the audit trail and named counters."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import F

from .models import AuditEvent, Counter


def record_audit(*, actor: Any, obj: models.Model, action: str, changes: dict[str, Any] | None = None) -> None:
    """Append an audit event for `obj` (call inside the service's transaction)."""
    AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        action=action,
        changes=changes or {},
    )


def diff(obj: models.Model, values: dict[str, Any]) -> dict[str, list[Any]]:
    """The {field: [old, new]} changes that setting `values` on `obj` would make (JSON-safe)."""
    changes = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [jsonable(old), jsonable(new)]
    return changes


def jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def next_value(name: str) -> int:
    """Increment and return the counter `name`; the row lock serialises concurrent callers."""
    with transaction.atomic():
        updated = Counter.objects.filter(name=name).update(value=F("value") + 1)
        if not updated:
            Counter.objects.get_or_create(name=name, defaults={"value": 0})
            Counter.objects.filter(name=name).update(value=F("value") + 1)
        return Counter.objects.values_list("value", flat=True).get(name=name)


def record_audits(*, actor: Any, entries: list[tuple[models.Model, str, dict[str, Any]]]) -> None:
    """Append many audit events in one INSERT per batch (bulk writes such as an import)."""
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(actor_id=actor_id, object_type=obj._meta.label_lower, object_id=str(obj.pk),
                       action=action, changes=changes or {})
            for obj, action, changes in entries
        ],
        batch_size=500,
    )
