"""Writes for customers, contacts and sites."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.customfields import clean_custom_fields, definitions, merge_custom_fields
from loopdesk.core.errors import ValidationFailed
from loopdesk.core.services import diff, record_audit, record_audits, refuse_unknown, save_changes

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
    require(actor, Perm.CUSTOMER_EDIT)
    _require({"name": name, "code": code, "org": org}, "name", "code", "org")
    if Company.objects.filter(code=code).exists():
        raise ValidationFailed(fields={"code": [_("This customer code is already used.")]})
    refuse_unknown(values, COMPANY_FIELDS)
    company = Company.objects.create(
        name=name.strip(), code=code.strip(), org=org,
        custom_fields=clean_custom_fields("customer", custom_fields), **values,
    )
    record_audit(actor=actor, obj=company, action="create", changes={"name": name, "code": code})
    return company


@transaction.atomic
def update_company(*, actor: Any, company: Company, custom_fields: dict | None = None, **values: Any) -> Company:
    require(actor, Perm.CUSTOMER_EDIT)
    refuse_unknown(values, COMPANY_FIELDS)
    if "code" in values and Company.objects.filter(code=values["code"]).exclude(pk=company.pk).exists():
        raise ValidationFailed(fields={"code": [_("This customer code is already used.")]})
    if custom_fields is not None:
        values["custom_fields"] = merge_custom_fields("customer", company.custom_fields, custom_fields)
    return save_changes(actor=actor, obj=company, values=values)


@transaction.atomic
def create_contact(*, actor: Any, company: Company, name: str, **values: Any) -> Contact:
    require(actor, Perm.CUSTOMER_EDIT)
    _require({"name": name}, "name")
    refuse_unknown(values, CONTACT_FIELDS)
    contact = Contact.objects.create(company=company, name=name.strip(), **values)
    record_audit(actor=actor, obj=contact, action="create", changes={"name": name, "company": company.pk})
    return contact


@transaction.atomic
def update_contact(*, actor: Any, contact: Contact, **values: Any) -> Contact:
    require(actor, Perm.CUSTOMER_EDIT)
    refuse_unknown(values, CONTACT_FIELDS)
    return save_changes(actor=actor, obj=contact, values=values)


@transaction.atomic
def create_site(*, actor: Any, company: Company, name: str, **values: Any) -> Site:
    require(actor, Perm.CUSTOMER_EDIT)
    _require({"name": name}, "name")
    site = Site.objects.create(company=company, name=name.strip(), **values)
    record_audit(actor=actor, obj=site, action="create", changes={"name": name})
    return site


def add_serving_partner(*, company: Company, partner: Any) -> None:
    """Let a partner see this customer (called when a ticket of theirs is dispatched to it)."""
    company.partners.add(partner)


# Bulk writes, for the spreadsheet import: the same checks as the one-by-one services above, but one
# query per batch instead of several per row, so ten thousand rows take seconds.
BULK_BATCH = 500


def _chunks(items: list, size: int = BULK_BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


@transaction.atomic
def bulk_create_companies(*, actor: Any, rows: list[dict[str, Any]]) -> list[Company]:
    """Create many companies; each row holds create_company's arguments (name, code, org, custom_fields, …)."""
    require(actor, Perm.CUSTOMER_EDIT)
    defs = definitions("customer")
    codes = [str(r.get("code") or "").strip() for r in rows]
    taken: set[str] = set()
    for chunk in _chunks(codes):
        taken |= set(Company.objects.filter(code__in=chunk).values_list("code", flat=True))
    if taken or len(set(codes)) != len(codes):
        raise ValidationFailed(fields={"code": [_("This customer code is already used.")]})
    companies = []
    for row in rows:
        values = dict(row)
        custom = values.pop("custom_fields", None)
        _require(values, "name", "code")
        if not (values.get("org") or values.get("org_id")):
            _require(values, "org")
        unknown = set(values) - COMPANY_FIELDS - {"org_id", "designated_engineer_id"}
        if unknown:
            raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
        values["name"], values["code"] = values["name"].strip(), values["code"].strip()
        companies.append(Company(custom_fields=clean_custom_fields("customer", custom, fields=defs), **values))
    Company.objects.bulk_create(companies, batch_size=BULK_BATCH)
    record_audits(actor=actor, entries=[(c, "create", {"name": c.name, "code": c.code}) for c in companies])
    return companies


@transaction.atomic
def bulk_update_companies(*, actor: Any, changes: dict[int, dict[str, Any]]) -> list[Company]:
    """Apply {company id: {field: value, "custom_fields": {…}}} to the locked companies; audit what changed."""
    require(actor, Perm.CUSTOMER_EDIT)
    defs = definitions("customer")
    companies: list[Company] = []
    for chunk in _chunks(sorted(changes)):
        companies += Company.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
    audits = []
    for company in companies:
        values = dict(changes[company.pk])
        custom = values.pop("custom_fields", None)
        unknown = set(values) - COMPANY_FIELDS - {"org_id", "designated_engineer_id"}
        if unknown or "code" in values:
            raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown | ({"code"} & set(values))})
        if custom:
            values["custom_fields"] = {
                **company.custom_fields, **clean_custom_fields("customer", custom, partial=True, fields=defs)
            }
        delta = diff(company, values)
        if delta:
            for field in delta:
                setattr(company, field, values[field])
            # One UPDATE of the changed columns per row: Django's bulk_update builds CASE expressions
            # whose cost grows with the batch and is slower here than plain updates.
            company.save(update_fields=[*delta, "updated_at"])
            audits.append((company, "update", delta))
    record_audits(actor=actor, entries=audits)
    return [c for c, _action, _delta in audits]


@transaction.atomic
def bulk_create_contacts(*, actor: Any, rows: list[dict[str, Any]]) -> list[Contact]:
    """Create many contacts; each row holds `company` (or `company_id`), `name` and CONTACT_FIELDS."""
    require(actor, Perm.CUSTOMER_EDIT)
    contacts = []
    for row in rows:
        values = dict(row)
        _require(values, "name")
        unknown = set(values) - CONTACT_FIELDS - {"company", "company_id"}
        if unknown:
            raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
        values["name"] = values["name"].strip()
        contact = Contact(**values)
        contact.fill_search_keys()  # bulk_create skips save(), which derives the phone search keys
        contacts.append(contact)
    Contact.objects.bulk_create(contacts, batch_size=BULK_BATCH)
    record_audits(actor=actor, entries=[(c, "create", {"name": c.name, "company": c.company_id}) for c in contacts])
    return contacts


@transaction.atomic
def bulk_update_contacts(*, actor: Any, changes: dict[int, dict[str, Any]]) -> list[Contact]:
    """Apply {contact id: {field: value}} to the locked contacts; audit what changed."""
    require(actor, Perm.CUSTOMER_EDIT)
    contacts: list[Contact] = []
    for chunk in _chunks(sorted(changes)):
        contacts += Contact.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
    audits = []
    for contact in contacts:
        values = changes[contact.pk]
        unknown = set(values) - CONTACT_FIELDS
        if unknown:
            raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
        delta = diff(contact, values)
        if delta:
            for field in delta:
                setattr(contact, field, values[field])
            contact.save(update_fields=[*delta, "updated_at"])  # save() keeps the phone search keys in step
            audits.append((contact, "update", delta))
    record_audits(actor=actor, entries=audits)
    return [c for c, _action, _delta in audits]


SITE_FIELDS = {"name", "province", "city", "address"}


@transaction.atomic
def update_site(*, actor: Any, site: Site, **values: Any) -> Site:
    """Edit a site's name or address."""
    require(actor, Perm.CUSTOMER_EDIT)
    refuse_unknown(values, SITE_FIELDS)
    if "name" in values:
        _require(values, "name")
        values["name"] = values["name"].strip()
    return save_changes(actor=actor, obj=site, values=values)


@transaction.atomic
def bulk_create_sites(*, actor: Any, sites: list[tuple[int, str]]) -> dict[tuple[int, str], Site]:
    """Create sites given as (company id, name); returns them keyed the same way."""
    require(actor, Perm.CUSTOMER_EDIT)
    objs = []
    for company_id, name in sites:
        _require({"name": name}, "name")
        objs.append(Site(company_id=company_id, name=name.strip()))
    Site.objects.bulk_create(objs, batch_size=BULK_BATCH)
    record_audits(actor=actor, entries=[(s, "create", {"name": s.name}) for s in objs])
    return {(s.company_id, s.name): s for s in objs}
