"""Writes for customers, contacts and sites."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.core.customfields import clean_custom_fields
from loopdesk.core.errors import ValidationFailed
from loopdesk.core.services import diff, record_audit

from .models import Company, Contact, Site

COMPANY_FIELDS = {"name", "code", "org", "vip_level", "industry", "region", "phone", "designated_engineer", "notes"}
CONTACT_FIELDS = {"name", "title", "phone", "mobile", "email", "user", "is_primary"}


def _require(values: dict[str, Any], *names: str) -> None:
    missing = {n: [_("This field is required.")] for n in names if not str(values.get(n) or "").strip()}
    if missing:
        raise ValidationFailed(fields=missing)


@transaction.atomic
def create_company(*, actor: Any, name: str, code: str, org: Any, custom_fields: dict | None = None, **values: Any) -> Company:
    """Create a customer company served by branch `org`."""
    _require({"name": name, "code": code, "org": org}, "name", "code", "org")
    if Company.objects.filter(code=code).exists():
        raise ValidationFailed(fields={"code": [_("This customer code is already used.")]})
    unknown = set(values) - COMPANY_FIELDS
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
    company = Company.objects.create(
        name=name.strip(), code=code.strip(), org=org,
        custom_fields=clean_custom_fields("customer", custom_fields), **values,
    )
    record_audit(actor=actor, obj=company, action="create", changes={"name": name, "code": code})
    return company


@transaction.atomic
def update_company(*, actor: Any, company: Company, custom_fields: dict | None = None, **values: Any) -> Company:
    unknown = set(values) - COMPANY_FIELDS
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
    if "code" in values and Company.objects.filter(code=values["code"]).exclude(pk=company.pk).exists():
        raise ValidationFailed(fields={"code": [_("This customer code is already used.")]})
    if custom_fields is not None:
        values["custom_fields"] = {**company.custom_fields, **clean_custom_fields("customer", custom_fields, partial=True)}
    changes = diff(company, values)
    for field, value in values.items():
        setattr(company, field, value)
    company.save()
    if changes:
        record_audit(actor=actor, obj=company, action="update", changes=changes)
    return company


@transaction.atomic
def create_contact(*, actor: Any, company: Company, name: str, **values: Any) -> Contact:
    _require({"name": name}, "name")
    unknown = set(values) - CONTACT_FIELDS
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
    contact = Contact.objects.create(company=company, name=name.strip(), **values)
    record_audit(actor=actor, obj=contact, action="create", changes={"name": name, "company": company.pk})
    return contact


@transaction.atomic
def update_contact(*, actor: Any, contact: Contact, **values: Any) -> Contact:
    unknown = set(values) - CONTACT_FIELDS
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
    changes = diff(contact, values)
    for field, value in values.items():
        setattr(contact, field, value)
    contact.save()
    if changes:
        record_audit(actor=actor, obj=contact, action="update", changes=changes)
    return contact


@transaction.atomic
def create_site(*, actor: Any, company: Company, name: str, **values: Any) -> Site:
    _require({"name": name}, "name")
    site = Site.objects.create(company=company, name=name.strip(), **values)
    record_audit(actor=actor, obj=site, action="create", changes={"name": name})
    return site


def add_serving_partner(*, company: Company, partner: Any) -> None:
    """Let a partner see this customer (called when a ticket of theirs is dispatched to it)."""
    company.partners.add(partner)
