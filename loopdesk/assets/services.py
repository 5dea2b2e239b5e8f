"""Writes for products, versions and assets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.customfields import clean_custom_fields, definitions, merge_custom_fields
from loopdesk.core.errors import ValidationFailed
from loopdesk.core.services import diff, record_audit, record_audits, refuse_unknown, save_changes

from .models import Asset, Product, ProductVersion

ASSET_FIELDS = {"site", "product_version", "serial", "installed_on", "licences", "status"}


@transaction.atomic
def create_product(*, actor: Any, name: str, code: str, versions: list[str] = ()) -> Product:
    require(actor, Perm.ORG_ADMIN)
    if Product.objects.filter(code=code).exists():
        raise ValidationFailed(fields={"code": [_("This product code is already used.")]})
    product = Product.objects.create(name=name, code=code)
    for version in versions:
        ProductVersion.objects.create(product=product, version=version)
    record_audit(actor=actor, obj=product, action="create", changes={"name": name, "versions": list(versions)})
    return product


@transaction.atomic
def create_asset(*, actor: Any, company: Any, product_version: ProductVersion, custom_fields: dict | None = None,
                 **values: Any) -> Asset:
    """Record that `company` runs `product_version` (at `site`, when given)."""
    require(actor, Perm.CUSTOMER_EDIT)
    refuse_unknown(values, ASSET_FIELDS)
    site = values.get("site")
    if site is not None and site.company_id != company.pk:
        raise ValidationFailed(fields={"site_id": [_("This site belongs to another customer.")]})
    asset = Asset.objects.create(
        company=company, product_version=product_version,
        custom_fields=clean_custom_fields("asset", custom_fields), **values,
    )
    record_audit(actor=actor, obj=asset, action="create", changes={"company": company.pk, "version": product_version.pk})
    return asset


@transaction.atomic
def update_asset(*, actor: Any, asset: Asset, custom_fields: dict | None = None, **values: Any) -> Asset:
    require(actor, Perm.CUSTOMER_EDIT)
    refuse_unknown(values, ASSET_FIELDS)
    if custom_fields is not None:
        values["custom_fields"] = merge_custom_fields("asset", asset.custom_fields, custom_fields)
    return save_changes(actor=actor, obj=asset, values=values)


# Bulk writes, for the spreadsheet import: create_asset's checks, one query per batch instead of per row.
BULK_BATCH = 500
_BULK_FIELDS = ASSET_FIELDS | {"site_id", "product_version_id"}


@transaction.atomic
def bulk_create_assets(*, actor: Any, rows: list[dict[str, Any]]) -> list[Asset]:
    """Create many assets; each row holds `company_id`, `product_version_id` and ASSET_FIELDS (+ custom_fields).

    Every `site_id` must belong to the row's company."""
    require(actor, Perm.CUSTOMER_EDIT)
    from loopdesk.customers.models import Site

    defs = definitions("asset")
    site_ids = {r["site_id"] for r in rows if r.get("site_id")}
    site_company = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "company_id")) if site_ids else {}
    assets = []
    for row in rows:
        values = dict(row)
        custom = values.pop("custom_fields", None)
        company_id, version_id = values.pop("company_id"), values.pop("product_version_id")
        unknown = set(values) - _BULK_FIELDS
        if unknown:
            raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
        if values.get("site_id") and site_company.get(values["site_id"]) != company_id:
            raise ValidationFailed(fields={"site_id": [_("This site belongs to another customer.")]})
        assets.append(Asset(company_id=company_id, product_version_id=version_id,
                            custom_fields=clean_custom_fields("asset", custom, fields=defs), **values))
    Asset.objects.bulk_create(assets, batch_size=BULK_BATCH)
    record_audits(actor=actor, entries=[
        (a, "create", {"company": a.company_id, "version": a.product_version_id}) for a in assets
    ])
    return assets


@transaction.atomic
def bulk_update_assets(*, actor: Any, changes: dict[int, dict[str, Any]]) -> list[Asset]:
    """Apply {asset id: {field: value, "custom_fields": {…}}} to the locked assets; audit what changed."""
    require(actor, Perm.CUSTOMER_EDIT)
    from loopdesk.customers.models import Site

    defs = definitions("asset")
    ids = sorted(changes)
    assets: list[Asset] = []
    for start in range(0, len(ids), BULK_BATCH):
        assets += Asset.objects.select_for_update().filter(pk__in=ids[start:start + BULK_BATCH]).order_by("pk")
    site_ids = {v["site_id"] for v in changes.values() if v.get("site_id")}
    site_company = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "company_id")) if site_ids else {}
    audits = []
    for asset in assets:
        values = dict(changes[asset.pk])
        custom = values.pop("custom_fields", None)
        unknown = set(values) - _BULK_FIELDS
        if unknown:
            raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
        if values.get("site_id") and site_company.get(values["site_id"]) != asset.company_id:
            raise ValidationFailed(fields={"site_id": [_("This site belongs to another customer.")]})
        if custom:
            values["custom_fields"] = {
                **asset.custom_fields, **clean_custom_fields("asset", custom, partial=True, fields=defs)
            }
        delta = diff(asset, values)
        if delta:
            for field in delta:
                setattr(asset, field, values[field])
            asset.save(update_fields=[*delta, "updated_at"])  # one UPDATE of the changed columns
            audits.append((asset, "update", delta))
    record_audits(actor=actor, entries=audits)
    return [a for a, _action, _delta in audits]
