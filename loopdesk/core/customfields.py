"""Validation of custom field values against their administrator-defined definitions."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .caches import ProcessCache
from .errors import ValidationFailed
from .models import CustomField

_definitions = ProcessCache("custom-fields")


def definitions(target: str, ticket_type: str = "") -> list[CustomField]:
    """The active definitions for `target` (and, for tickets, `ticket_type`). Read on every ticket
    create, so cached per process (core.caches: cleared on change here, within seconds elsewhere)."""
    fields = _definitions.get(target, lambda: list(CustomField.objects.filter(target=target, active=True)))
    if target == CustomField.Target.TICKET:
        fields = [f for f in fields if not f.ticket_type or f.ticket_type == ticket_type]
    return fields


def clean_custom_fields(
    target: str, values: dict[str, Any] | None, *, ticket_type: str = "", partial: bool = False,
    fields: list[CustomField] | None = None,
) -> dict[str, Any]:
    """Return the values converted to JSON-safe types; raise ValidationFailed naming each bad field.

    `fields` (from `definitions()`) saves the query when validating many values, e.g. an import."""
    values = dict(values or {})
    defs = {f.key: f for f in (fields if fields is not None else definitions(target, ticket_type))}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in values:
        if key not in defs:
            errors[f"custom_fields.{key}"] = [_("Unknown custom field.")]
    for key, field in defs.items():
        raw = values.get(key)
        if raw in (None, ""):
            if field.required and not partial:
                errors[f"custom_fields.{key}"] = [_("This field is required.")]
            continue
        try:
            cleaned[key] = _convert(field, raw)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = [str(exc)]
    if errors:
        raise ValidationFailed(_("Some custom fields are invalid."), fields=errors)
    return cleaned


def merge_custom_fields(
    target: str, current: dict[str, Any] | None, changes: dict[str, Any] | None, *, ticket_type: str = "",
) -> dict[str, Any]:
    """The values after an edit: each key of `changes` is validated and set, and a key given as None or
    "" is cleared (refused for a required field that has a value). Keys not in `changes` stay. (Imports
    keep the "blank cell keeps the value" rule and use `clean_custom_fields(partial=True)` instead.)"""
    current, changes = dict(current or {}), dict(changes or {})
    defs = {f.key: f for f in definitions(target, ticket_type)}
    cleared = {k for k, v in changes.items() if v in (None, "")}
    errors: dict[str, list[str]] = {}
    for key in cleared:
        if key not in defs:
            errors[f"custom_fields.{key}"] = [_("Unknown custom field.")]
        elif defs[key].required and current.get(key) not in (None, ""):
            errors[f"custom_fields.{key}"] = [_("This field is required.")]
    try:
        cleaned = clean_custom_fields(target, {k: v for k, v in changes.items() if k not in cleared},
                                      ticket_type=ticket_type, partial=True, fields=list(defs.values()))
    except ValidationFailed as err:
        errors |= err.fields or {}
        cleaned = {}
    if errors:
        raise ValidationFailed(_("Some custom fields are invalid."), fields=errors)
    return {**{k: v for k, v in current.items() if k not in cleared}, **cleaned}


def _convert(field: CustomField, raw: Any) -> Any:
    kind = field.kind
    if kind == CustomField.Kind.TEXT:
        if not isinstance(raw, (str, int, float)):
            raise ValueError(_("Enter text."))
        text = str(raw).strip()
        if len(text) > field.max_length:
            raise ValueError(_("At most %(n)d characters.") % {"n": field.max_length})
        return text
    if kind == CustomField.Kind.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.Kind.DATE:
        try:
            return datetime.date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == CustomField.Kind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "y", "是", "on"}:
            return True
        if text in {"0", "false", "no", "n", "否", "off"}:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind == CustomField.Kind.CHOICE:
        if str(raw) not in [str(c) for c in field.choices]:
            raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, field.choices))})
        return str(raw)
    raise ValueError(_("Unsupported field kind."))
