"""Writes for products, versions and assets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.core.customfields import clean_custom_fields
from loopdesk.core.errors import ValidationFailed
from loopdesk.core.services import diff, record_audit

from .models import Asset, Product, ProductVersion

ASSET_FIELDS = {"site", "product_version", "serial", "installed_on", "licences", "status"}


@transaction.atomic
def create_product(*, actor: Any, name: str, code: str, versions: list[str] = ()) -> Product:
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
    unknown = set(values) - ASSET_FIELDS
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
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
    unknown = set(values) - ASSET_FIELDS
    if unknown:
        raise ValidationFailed(fields={k: [_("Unknown field.")] for k in unknown})
    if custom_fields is not None:
        values["custom_fields"] = {**asset.custom_fields, **clean_custom_fields("asset", custom_fields, partial=True)}
    changes = diff(asset, values)
    for field, value in values.items():
        setattr(asset, field, value)
    asset.save()
    if changes:
        record_audit(actor=actor, obj=asset, action="update", changes=changes)
    return asset
