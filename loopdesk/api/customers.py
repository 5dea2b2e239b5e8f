"""Customer companies, their contacts and sites. Reads through `.visible_to(user)`; writes need the
customer.edit permission and go through loopdesk.customers.services."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from loopdesk.accounts.roles import Perm
from loopdesk.accounts.scope import scope_for
from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.customers import services
from loopdesk.customers.models import Company, Contact, Site

from .auth import ApiRequest
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from .refs import Resolver, get_or_404
from .schemas import (
    ERRORS,
    WRITE_ERRORS,
    Email,
    Id,
    JsonObject,
    LocalDateTime,
    Out,
    Page,
    Ref,
    Text,
    ref,
    text,
)
from .ticket_schemas import Body

router = Router(tags=["customers"])

Name200, Name128, Name64, Short32, Cursor = text(200), text(128), text(64), text(32), text(512)
Address = text(255)
VipLevel = Literal[0, 1, 2, 3]


def require_edit(request: ApiRequest) -> None:
    if not request.auth.can(Perm.CUSTOMER_EDIT):
        raise Forbidden(_("You may not change customer data."))


class ListParams(Schema):
    q: Name200 | None = Field(None, description="Name, code, or a contact's name, phone or e-mail.")
    company_id: Id | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Cursor | None = None


# --- companies ----------------------------------------------------------------------------------------


class CompanyIn(Body):
    name: Name200
    code: Short32
    org_id: Id = Field(description="The serving branch or service centre.")
    vip_level: VipLevel = 0
    industry: Name64 = ""
    region: Name64 = ""
    phone: Short32 = ""
    designated_engineer_id: Id | None = None
    notes: Text = ""
    custom_fields: JsonObject | None = None


class CompanyPatch(Body):
    name: Name200 | None = None
    code: Short32 | None = None
    org_id: Id | None = None
    vip_level: VipLevel | None = None
    industry: Name64 | None = None
    region: Name64 | None = None
    phone: Short32 | None = None
    designated_engineer_id: Id | None = None
    notes: Text | None = None
    custom_fields: JsonObject | None = None


class CompanyOut(Out):
    id: int
    name: str
    code: str
    org: Ref
    vip_level: int
    industry: str
    region: str
    phone: str
    designated_engineer: Ref | None
    custom_fields: dict[str, Any]
    notes: str
    created_at: LocalDateTime
    updated_at: LocalDateTime


class CompanyPage(Page):
    items: list[CompanyOut]


def _company(c: Company, user: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "code": c.code,
        "org": ref(c.org),
        "vip_level": c.vip_level,
        "industry": c.industry,
        "region": c.region,
        "phone": c.phone,
        "designated_engineer": ref(c.designated_engineer),
        "custom_fields": c.custom_fields or {},
        "notes": "" if scope_for(user).customer_only else c.notes,  # staff notes stay internal
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _companies(user: Any):
    return Company.objects.visible_to(user).select_related("org", "designated_engineer")


def not_blank(values: dict[str, Any], *names: str) -> None:
    """A PATCH may not blank a required text field (the services check this only on create)."""
    errors = {
        n: [_("This field is required.")] for n in names if n in values and not (values[n] or "").strip()
    }
    if errors:
        raise ValidationFailed(fields=errors)


def _company_values(request: ApiRequest, payload: Body) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True)
    not_blank(values, "name", "code")
    r = Resolver(request.auth)
    if "org_id" in values:
        values["org"] = r.organisation(values.pop("org_id"))
        if values["org"] is not None and values["org"].is_partner:
            r.errors["org_id"] = [_("A customer is served by a branch or service centre, not a partner.")]
    if "designated_engineer_id" in values:
        values["designated_engineer"] = r.staff_user(
            values.pop("designated_engineer_id"), "designated_engineer_id"
        )
    engineer = values.get("designated_engineer")
    if engineer is not None and engineer.is_customer_only:
        r.errors["designated_engineer_id"] = [_("Choose an active member of the service staff.")]
    r.check()
    if "org" in values and values["org"] is None:
        values.pop("org")  # org is required; null means "leave as is"
    return values


@router.get("/companies", response={200: CompanyPage, **ERRORS}, summary="List customers")
def list_companies(request: ApiRequest, params: Query[ListParams]):
    qs = _companies(request.auth)
    if params.q:
        qs = qs.search(params.q)
    rows, cursor = paginate(qs, order=["name", "id"], sort="name", cursor=params.cursor, limit=params.limit)
    return {"items": [_company(c, request.auth) for c in rows], "next_cursor": cursor}


@router.get("/companies/{int:company_id}", response={200: CompanyOut, **ERRORS}, summary="Get a customer")
def get_company(request: ApiRequest, company_id: int):
    return _company(get_or_404(_companies(request.auth), company_id), request.auth)


@router.post("/companies", response={201: CompanyOut, **WRITE_ERRORS}, summary="Create a customer")
def create_company(request: ApiRequest, payload: CompanyIn):
    require_edit(request)
    values = _company_values(request, payload)
    company = services.create_company(actor=request.auth, **values)
    return Status(201, _company(get_or_404(_companies(request.auth), company.pk), request.auth))


@router.patch(
    "/companies/{int:company_id}", response={200: CompanyOut, **WRITE_ERRORS}, summary="Edit a customer"
)
def patch_company(request: ApiRequest, company_id: int, payload: CompanyPatch):
    company = get_or_404(_companies(request.auth), company_id)
    require_edit(request)
    values = _company_values(request, payload)
    custom_fields = values.pop("custom_fields", None)
    services.update_company(actor=request.auth, company=company, custom_fields=custom_fields, **values)
    return _company(get_or_404(_companies(request.auth), company_id), request.auth)


# --- contacts -----------------------------------------------------------------------------------------


class ContactIn(Body):
    company_id: Id
    name: Name64
    title: Name64 = ""
    phone: Short32 = ""
    mobile: Short32 = ""
    email: Email = ""
    is_primary: bool = False


class ContactPatch(Body):
    name: Name64 | None = None
    title: Name64 | None = None
    phone: Short32 | None = None
    mobile: Short32 | None = None
    email: Email | None = None
    is_primary: bool | None = None


class ContactOut(Out):
    id: int
    company: Ref
    name: str
    title: str
    phone: str
    mobile: str
    email: str
    is_primary: bool
    created_at: LocalDateTime
    updated_at: LocalDateTime


class ContactPage(Page):
    items: list[ContactOut]


def _contact(c: Contact) -> dict[str, Any]:
    return {
        "id": c.pk,
        "company": ref(c.company),
        "name": c.name,
        "title": c.title,
        "phone": c.phone,
        "mobile": c.mobile,
        "email": c.email,
        "is_primary": c.is_primary,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _contacts(user: Any):
    return Contact.objects.visible_to(user).select_related("company")


def _drop_nulls(values: dict[str, Any]) -> dict[str, Any]:
    # Text columns are NOT NULL: a null in a PATCH means "leave as is".
    return {k: v for k, v in values.items() if v is not None}


@router.get("/contacts", response={200: ContactPage, **ERRORS}, summary="List contacts")
def list_contacts(request: ApiRequest, params: Query[ListParams]):
    qs = _contacts(request.auth)
    if params.company_id:
        qs = qs.filter(company_id=params.company_id)
    if params.q and params.q.strip():
        t = params.q.strip()
        qs = qs.filter(
            Q(name__icontains=t) | Q(phone__contains=t) | Q(mobile__contains=t) | Q(email__iexact=t)
        )
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=params.cursor, limit=params.limit)
    return {"items": [_contact(c) for c in rows], "next_cursor": cursor}


@router.get("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS}, summary="Get a contact")
def get_contact(request: ApiRequest, contact_id: int):
    return _contact(get_or_404(_contacts(request.auth), contact_id))


@router.post("/contacts", response={201: ContactOut, **WRITE_ERRORS}, summary="Create a contact")
def create_contact(request: ApiRequest, payload: ContactIn):
    require_edit(request)
    r = Resolver(request.auth)
    company = r.company(payload.company_id, "company_id")
    r.check()
    values = payload.model_dump(exclude={"company_id"})
    contact = services.create_contact(actor=request.auth, company=company, **values)
    return Status(201, _contact(contact))


@router.patch(
    "/contacts/{int:contact_id}", response={200: ContactOut, **WRITE_ERRORS}, summary="Edit a contact"
)
def patch_contact(request: ApiRequest, contact_id: int, payload: ContactPatch):
    contact = get_or_404(_contacts(request.auth), contact_id)
    require_edit(request)
    values = payload.model_dump(exclude_unset=True)
    not_blank(values, "name")
    services.update_contact(actor=request.auth, contact=contact, **_drop_nulls(values))
    return _contact(get_or_404(_contacts(request.auth), contact_id))


# --- sites --------------------------------------------------------------------------------------------


class SiteIn(Body):
    company_id: Id
    name: Name128
    province: Short32 = ""
    city: Short32 = ""
    address: Address = ""


class SitePatch(Body):
    name: Name128 | None = None
    province: Short32 | None = None
    city: Short32 | None = None
    address: Address | None = None


class SiteOut(Out):
    id: int
    company: Ref
    name: str
    province: str
    city: str
    address: str


class SitePage(Page):
    items: list[SiteOut]


def _site(s: Site) -> dict[str, Any]:
    return {
        "id": s.pk,
        "company": ref(s.company),
        "name": s.name,
        "province": s.province,
        "city": s.city,
        "address": s.address,
    }


def _sites(user: Any):
    return Site.objects.visible_to(user).select_related("company")


@router.get("/sites", response={200: SitePage, **ERRORS}, summary="List sites")
def list_sites(request: ApiRequest, params: Query[ListParams]):
    qs = _sites(request.auth)
    if params.company_id:
        qs = qs.filter(company_id=params.company_id)
    if params.q and params.q.strip():
        qs = qs.filter(name__icontains=params.q.strip())
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=params.cursor, limit=params.limit)
    return {"items": [_site(s) for s in rows], "next_cursor": cursor}


@router.get("/sites/{int:site_id}", response={200: SiteOut, **ERRORS}, summary="Get a site")
def get_site(request: ApiRequest, site_id: int):
    return _site(get_or_404(_sites(request.auth), site_id))


@router.post("/sites", response={201: SiteOut, **WRITE_ERRORS}, summary="Create a site")
def create_site(request: ApiRequest, payload: SiteIn):
    require_edit(request)
    r = Resolver(request.auth)
    company = r.company(payload.company_id, "company_id")
    r.check()
    site = services.create_site(
        actor=request.auth, company=company, **payload.model_dump(exclude={"company_id"})
    )
    return Status(201, _site(site))


@router.patch("/sites/{int:site_id}", response={200: SiteOut, **WRITE_ERRORS}, summary="Edit a site")
def patch_site(request: ApiRequest, site_id: int, payload: SitePatch):
    site = get_or_404(_sites(request.auth), site_id)
    require_edit(request)
    services.update_site(actor=request.auth, site=site, **_drop_nulls(payload.model_dump(exclude_unset=True)))
    return _site(get_or_404(_sites(request.auth), site_id))
