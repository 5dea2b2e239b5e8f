"""The installed base (assets) and the read-only lookups programs and the UI need: products with
versions, categories, organisations, assignment groups."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from loopdesk.assets import services
from loopdesk.assets.models import Asset, Product, ProductVersion
from loopdesk.core.errors import ValidationFailed
from loopdesk.tickets.models import Category

from .auth import ApiRequest
from .customers import require_edit
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from .refs import Resolver, get_or_404, visible_groups, visible_organisations
from .schemas import ERRORS, WRITE_ERRORS, Id, JsonObject, LocalDateTime, Out, Page, Ref, ref, text
from .ticket_schemas import Body

router = Router(tags=["assets"])
lookups = Router(tags=["lookups"])

Serial, Search, Cursor = text(64), text(200), text(512)
AssetStatus = Literal[tuple(Asset.Status.values)]  # type: ignore[valid-type]


class ListParams(Schema):
    q: Search | None = None
    company_id: Id | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Cursor | None = None


# --- assets -------------------------------------------------------------------------------------------


class AssetIn(Body):
    company_id: Id
    product_version_id: Id
    site_id: Id | None = None
    serial: Serial = ""
    installed_on: datetime.date | None = None
    licences: int = Field(1, ge=0, le=2**31 - 1)
    status: AssetStatus = Asset.Status.ACTIVE.value
    custom_fields: JsonObject | None = None


class AssetPatch(Body):
    product_version_id: Id | None = None
    site_id: Id | None = None
    serial: Serial | None = None
    installed_on: datetime.date | None = None
    licences: int | None = Field(None, ge=0, le=2**31 - 1)
    status: AssetStatus | None = None
    custom_fields: JsonObject | None = None


class VersionRef(Out):
    id: int
    version: str


class AssetOut(Out):
    id: int
    label: str
    company: Ref
    site: Ref | None
    product: Ref
    product_version: VersionRef
    serial: str
    installed_on: datetime.date | None
    licences: int
    status: str
    custom_fields: dict[str, Any]
    created_at: LocalDateTime
    updated_at: LocalDateTime


class AssetPage(Page):
    items: list[AssetOut]


def _asset(a: Asset) -> dict[str, Any]:
    pv = a.product_version
    return {
        "id": a.pk,
        "label": str(a),
        "company": ref(a.company),
        "site": ref(a.site, a.site.name if a.site else None),
        "product": ref(pv.product),
        "product_version": {"id": pv.pk, "version": pv.version},
        "serial": a.serial,
        "installed_on": a.installed_on,
        "licences": a.licences,
        "status": a.status,
        "custom_fields": a.custom_fields or {},
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def _assets(user: Any):
    return Asset.objects.visible_to(user).select_related("company", "site", "product_version__product")


@router.get("/assets", response={200: AssetPage, **ERRORS}, summary="List assets")
def list_assets(request: ApiRequest, params: Query[ListParams]):
    qs = _assets(request.auth)
    if params.company_id:
        qs = qs.filter(company_id=params.company_id)
    if params.q and params.q.strip():
        t = params.q.strip()
        qs = qs.filter(Q(serial__icontains=t) | Q(product_version__product__name__icontains=t))
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=params.cursor, limit=params.limit)
    return {"items": [_asset(a) for a in rows], "next_cursor": cursor}


@router.get("/assets/{int:asset_id}", response={200: AssetOut, **ERRORS}, summary="Get an asset")
def get_asset(request: ApiRequest, asset_id: int):
    return _asset(get_or_404(_assets(request.auth), asset_id))


def _values(request: ApiRequest, values: dict[str, Any], company_id: int | None = None) -> dict[str, Any]:
    r = Resolver(request.auth)
    if company_id is not None:
        values["company"] = r.company(company_id, "company_id")
    if "product_version_id" in values:
        values["product_version"] = r.product_version(values.pop("product_version_id"))
    if "site_id" in values:
        values["site"] = r.site(values.pop("site_id"))
    r.check()
    for name in ("product_version", "serial", "licences", "status"):
        if name in values and values[name] is None:
            values.pop(name)  # required columns: null means "leave as is"
    return values


@router.post("/assets", response={201: AssetOut, **WRITE_ERRORS}, summary="Record an asset")
def create_asset(request: ApiRequest, payload: AssetIn):
    require_edit(request)
    values = _values(request, payload.model_dump(exclude={"company_id"}), payload.company_id)
    asset = services.create_asset(actor=request.auth, **values)
    return Status(201, _asset(get_or_404(_assets(request.auth), asset.pk)))


@router.patch("/assets/{int:asset_id}", response={200: AssetOut, **WRITE_ERRORS}, summary="Edit an asset")
def patch_asset(request: ApiRequest, asset_id: int, payload: AssetPatch):
    asset = get_or_404(_assets(request.auth), asset_id)
    require_edit(request)
    values = _values(request, payload.model_dump(exclude_unset=True))
    if values.get("site") is not None and values["site"].company_id != asset.company_id:
        raise ValidationFailed(fields={"site_id": [_("This site belongs to another customer.")]})
    custom_fields = values.pop("custom_fields", None)
    services.update_asset(actor=request.auth, asset=asset, custom_fields=custom_fields, **values)
    return _asset(get_or_404(_assets(request.auth), asset_id))


# --- lookups ------------------------------------------------------------------------------------------


class ProductOut(Out):
    id: int
    name: str
    code: str
    versions: list[VersionRef]


class ProductPage(Page):
    items: list[ProductOut]


class CategoryOut(Out):
    id: int
    name: str
    full_name: str
    parent_id: int | None


class CategoryPage(Page):
    items: list[CategoryOut]


class OrganisationOut(Out):
    id: int
    name: str
    code: str
    kind: str
    parent_id: int | None


class OrganisationPage(Page):
    items: list[OrganisationOut]


class GroupOut(Out):
    id: int
    name: str
    organisation: Ref
    tier: int


class GroupPage(Page):
    items: list[GroupOut]


class LookupParams(Schema):
    q: Search | None = None
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Cursor | None = None


def _search(qs, q: str | None, *fields: str):
    if q and q.strip():
        cond = Q()
        for f in fields:
            cond |= Q(**{f"{f}__icontains": q.strip()})
        qs = qs.filter(cond)
    return qs


@lookups.get("/products", response={200: ProductPage, **ERRORS}, summary="Products and their versions")
def list_products(request: ApiRequest, params: Query[LookupParams]):
    versions = Prefetch("versions", queryset=ProductVersion.objects.order_by("id"))
    qs = _search(Product.objects.filter(active=True).prefetch_related(versions), params.q, "name", "code")
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=params.cursor, limit=params.limit)
    items = [
        {
            "id": p.pk,
            "name": p.name,
            "code": p.code,
            "versions": [{"id": v.pk, "version": v.version} for v in p.versions.all()],
        }
        for p in rows
    ]
    return {"items": items, "next_cursor": cursor}


@lookups.get("/categories", response={200: CategoryPage, **ERRORS}, summary="Ticket categories")
def list_categories(request: ApiRequest, params: Query[LookupParams]):
    qs = _search(Category.objects.filter(active=True), params.q, "full_name")
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=params.cursor, limit=params.limit)
    items = [{"id": c.pk, "name": c.name, "full_name": c.full_name, "parent_id": c.parent_id} for c in rows]
    return {"items": items, "next_cursor": cursor}


@lookups.get("/organisations", response={200: OrganisationPage, **ERRORS}, summary="Organisations")
def list_organisations(request: ApiRequest, params: Query[LookupParams]):
    """The organisations the caller works in (all at headquarters), plus partners if they may dispatch."""
    qs = _search(visible_organisations(request.auth).filter(active=True), params.q, "name", "code")
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=params.cursor, limit=params.limit)
    items = [
        {"id": o.pk, "name": o.name, "code": o.code, "kind": o.kind, "parent_id": o.parent_id} for o in rows
    ]
    return {"items": items, "next_cursor": cursor}


@lookups.get("/groups", response={200: GroupPage, **ERRORS}, summary="Assignment groups")
def list_groups(request: ApiRequest, params: Query[LookupParams]):
    qs = _search(
        visible_groups(request.auth).filter(active=True).select_related("organization"), params.q, "name"
    )
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=params.cursor, limit=params.limit)
    items = [{"id": g.pk, "name": g.name, "organisation": ref(g.organization), "tier": g.tier} for g in rows]
    return {"items": items, "next_cursor": cursor}
