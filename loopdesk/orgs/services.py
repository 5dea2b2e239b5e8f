"""Writes to the organisation tree."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.core.errors import ValidationFailed
from loopdesk.core.services import record_audit

from .models import Organization


@transaction.atomic
def create_organization(
    *, name: str, code: str, kind: str, parent: Organization | None = None, actor: Any = None, **extra: Any
) -> Organization:
    """Create an organisation under `parent` and compute its path."""
    if kind not in Organization.Kind.values:
        raise ValidationFailed(fields={"kind": [_("Unknown organisation kind.")]})
    if kind == Organization.Kind.HEADQUARTERS and parent is not None:
        raise ValidationFailed(fields={"parent": [_("Headquarters has no parent.")]})
    if kind != Organization.Kind.HEADQUARTERS and parent is None:
        raise ValidationFailed(fields={"parent": [_("Choose the parent organisation.")]})
    if Organization.objects.filter(code=code).exists():
        raise ValidationFailed(fields={"code": [_("This code is already used.")]})
    org = Organization.objects.create(name=name, code=code, kind=kind, parent=parent, **extra)
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.save(update_fields=["path"])
    record_audit(actor=actor, obj=org, action="create", changes={"name": name, "kind": kind})
    return org
