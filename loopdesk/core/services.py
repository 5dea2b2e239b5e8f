"""Shared write helpers: the audit trail and named counters."""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.utils.translation import gettext as _

from .errors import ValidationFailed
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


def refuse_unknown(values: dict[str, Any], allowed: set[str]) -> None:
    """Bad input changes nothing: a field a service does not take is an error, never silently dropped."""
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in sorted(unknown)})


def refuse_nulls(model: type[models.Model], values: dict[str, Any]) -> None:
    """An explicit null for a column that cannot hold one is the caller's error, not the database's."""
    errors = {}
    for name, value in values.items():
        if value is None:
            field = model._meta.get_field(name)
            if not field.null:
                errors[name] = [_("This field cannot be empty.")]
    if errors:
        raise ValidationFailed(fields=errors)


def save_changes(*, actor: Any, obj: models.Model, values: dict[str, Any]) -> models.Model:
    """The tail of every simple update service: lock the row, apply `values`, save, and audit what
    changed as {field: [old, new]} (call inside the service's transaction)."""
    refuse_nulls(type(obj), values)
    type(obj)._default_manager.select_for_update().filter(pk=obj.pk).exists()
    changes = diff(obj, values)
    for field, value in values.items():
        setattr(obj, field, value)
    if changes:
        obj.save()
        record_audit(actor=actor, obj=obj, action="update", changes=changes)
    return obj


def jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def next_value(name: str, count: int = 1) -> int:
    """Increment the counter `name` by `count` (creating it at `count`) and return its new value: the
    last of the `count` values reserved.

    One upsert statement (PostgreSQL and SQLite ≥ 3.35 share this syntax): its row lock serialises
    concurrent callers until their transaction ends, so call it as late in the transaction as you can."""
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, value) VALUES (%s, %s) "
            f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + %s RETURNING value",
            [name, count, count],
        )
        return cursor.fetchone()[0]


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
