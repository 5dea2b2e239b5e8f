"""The facts a rule's conditions see: a flat dict of ticket, customer, contract and asset fields.

The ticket's own columns are read eagerly (no query). Everything behind a foreign key (category,
group, assignee, branch, customer, contract, asset) is loaded the first time a condition asks for a
field of that group, so a rule that only looks at the priority costs no query at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loopdesk.core.conditions import Facts

# field path → (type, description). `ticket.cf.<key>` / `customer.cf.<key>` take any custom field key.
FIELDS: dict[str, tuple[str, Any]] = {
    "ticket.id": ("number", _("ticket id")),
    "ticket.number": ("text", _("ticket number")),
    "ticket.type": ("text", _("type (incident, service_request, …)")),
    "ticket.title": ("text", _("title")),
    "ticket.description": ("text", _("description")),
    "ticket.status": ("text", _("status")),
    "ticket.phase": ("text", _("phase (open, working, waiting, resolved, closed)")),
    "ticket.is_open": ("boolean", _("open")),
    "ticket.priority": ("number", _("priority 1–4 (1 = P1)")),
    "ticket.impact": ("number", _("impact 1–3")),
    "ticket.urgency": ("number", _("urgency 1–3")),
    "ticket.channel": ("text", _("channel")),
    "ticket.responsibility": ("text", _("responsibility (定责)")),
    "ticket.category": ("number", _("category id")),
    "ticket.category.name": ("text", _("category name")),
    "ticket.category.path": ("text", _("category path, e.g. 财务 › 总账")),
    "ticket.group": ("number", _("assignment group id")),
    "ticket.group.name": ("text", _("assignment group name")),
    "ticket.group.tier": ("number", _("support tier of the group")),
    "ticket.assignee": ("number", _("assignee id")),
    "ticket.assignee.username": ("text", _("assignee user name")),
    "ticket.owner_org": ("number", _("responsible branch id")),
    "ticket.owner_org.code": ("text", _("responsible branch code")),
    "ticket.owner_org.path": ("text", _("branch path (for a subtree: startswith)")),
    "ticket.partner_org": ("number", _("partner id")),
    "ticket.created_at": ("datetime", _("created at")),
    "ticket.updated_at": ("datetime", _("updated at")),
    "ticket.due_at": ("datetime", _("SLA due")),
    "ticket.age_hours": ("number", _("hours since creation")),
    "ticket.idle_hours": ("number", _("hours since the last change")),
    "ticket.cf": ("any", _("custom field: ticket.cf.<key>")),
    "customer.id": ("number", _("customer id")),
    "customer.name": ("text", _("customer name")),
    "customer.code": ("text", _("customer code")),
    "customer.vip": ("number", _("VIP level 0–3")),
    "customer.industry": ("text", _("industry")),
    "customer.region": ("text", _("region")),
    "customer.org": ("number", _("serving branch id")),
    "customer.cf": ("any", _("custom field: customer.cf.<key>")),
    "contract.number": ("text", _("contract in force: number")),
    "contract.level": ("text", _("contract level (standard, gold, vip)")),
    "contract.ends_on": ("date", _("contract end")),
    "contract.products": ("list", _("service product codes of the contract")),
    "asset.id": ("number", _("asset id")),
    "asset.product": ("text", _("product code")),
    "asset.product.name": ("text", _("product name")),
    "asset.product_version": ("text", _("product version, e.g. V16.1")),
    "asset.serial": ("text", _("serial / licence number")),
    "asset.status": ("text", _("asset status")),
    "event.kind": ("text", _("history event kind")),
    "event.by_customer": ("boolean", _("the change was made by a customer contact")),
    "event.by_system": ("boolean", _("the change was made by the system")),
    "sla.percent": ("number", _("SLA triggers: percent of the target used")),
    "sla.metric": ("text", _("SLA triggers: the clock's metric (first_response, resolution, …)")),
    "sla.kind": ("text", _("SLA triggers: sla or ola")),
    "sla.level": ("text", _("SLA triggers: the escalation level, e.g. “Resolution 75%”")),
}


def _hours(since: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if since is None else round((now - since).total_seconds() / 3600, 2)


def _changes(ticket_changes: dict | None) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for name, pair in (ticket_changes or {}).items():
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            key = "ticket.partner_org" if name == "partner_org" else f"ticket.{name}"
            out[key] = (pair[0], pair[1])
    return out


class TicketFacts(Facts):
    """The facts of one ticket. A missing key loads its lazy group on first use (`__missing__`);
    `complete()` loads them all."""

    def __init__(self, ticket: Any, *, changes: dict | None = None, extra: dict | None = None,
                 now: dt.datetime | None = None, contract: Any = ...) -> None:
        super().__init__()
        self.ticket = ticket
        self._loaded: set[str] = set()
        self._contract = contract  # `...` = look it up when asked; None or a Contract = prefetched
        now = now or timezone.now()
        t = ticket
        self.update({
            "ticket.id": t.pk, "ticket.number": t.number, "ticket.type": t.type, "ticket.title": t.title,
            "ticket.description": t.description, "ticket.status": t.status, "ticket.phase": t.phase,
            "ticket.is_open": t.is_open, "ticket.priority": t.priority, "ticket.impact": t.impact,
            "ticket.urgency": t.urgency, "ticket.channel": t.channel, "ticket.responsibility": t.responsibility,
            "ticket.category": t.category_id, "ticket.group": t.group_id, "ticket.assignee": t.assignee_id,
            "ticket.owner_org": t.owner_org_id, "ticket.partner_org": t.partner_org_id,
            "ticket.created_at": t.created_at, "ticket.updated_at": t.updated_at, "ticket.due_at": t.due_at,
            "ticket.age_hours": _hours(t.created_at, now), "ticket.idle_hours": _hours(t.updated_at, now),
            "customer.id": t.company_id,
            "changes": _changes(changes),
        })
        for key, value in (t.custom_fields or {}).items():
            self[f"ticket.cf.{key}"] = value
        if extra:
            self.update(extra)

    def __missing__(self, key: str) -> Any:
        group = _group(key)
        if group is not None and group not in self._loaded:
            self._loaded.add(group)
            _LOADERS[group](self)
            if dict.__contains__(self, key):
                return dict.__getitem__(self, key)
        dict.__setitem__(self, key, None)  # the next look-up of an absent fact takes the fast path
        return None

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        value = self[key]
        return default if value is None else value

    def complete(self) -> TicketFacts:
        """Load every group (for a dry run's display)."""
        for group in _LOADERS:
            if group not in self._loaded:
                self._loaded.add(group)
                _LOADERS[group](self)
        return self

    def public(self) -> dict[str, Any]:
        """The facts as JSON-friendly values (changes as [old, new])."""
        out: dict[str, Any] = {}
        for key, value in sorted((k, v) for k, v in self.complete().items() if isinstance(k, str)):
            if key == "changes":
                out[key] = {k: list(v) for k, v in value.items()}
            elif isinstance(value, (dt.datetime, dt.date)):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out


def _group(key: str) -> str | None:
    if key == "contract.products":
        return key
    head, _dot, rest = key.partition(".")
    if head == "ticket":
        sub = rest.partition(".")[0]
        name = f"ticket.{sub}"
        return name if name in _LOADERS else None
    return head if head in _LOADERS else None


def _load_category(f: TicketFacts) -> None:
    c = f.ticket.category if f.ticket.category_id else None
    f["ticket.category.name"] = c.name if c else None
    f["ticket.category.path"] = c.full_name if c else None


def _load_group(f: TicketFacts) -> None:
    g = f.ticket.group if f.ticket.group_id else None
    f["ticket.group.name"] = g.name if g else None
    f["ticket.group.tier"] = g.tier if g else None


def _load_assignee(f: TicketFacts) -> None:
    u = f.ticket.assignee if f.ticket.assignee_id else None
    f["ticket.assignee.username"] = u.username if u else None


def _load_owner_org(f: TicketFacts) -> None:
    o = f.ticket.owner_org if f.ticket.owner_org_id else None
    f["ticket.owner_org.code"] = o.code if o else None
    f["ticket.owner_org.path"] = o.path if o else None


def _load_customer(f: TicketFacts) -> None:
    c = f.ticket.company
    f.update({
        "customer.name": c.name, "customer.code": c.code, "customer.vip": c.vip_level,
        "customer.industry": c.industry, "customer.region": c.region, "customer.org": c.org_id,
    })
    for key, value in (c.custom_fields or {}).items():
        f[f"customer.cf.{key}"] = value


def _load_contract(f: TicketFacts) -> None:
    contract = f._contract
    if contract is ...:
        contract = contract_in_force(f.ticket)
    f["contract.number"] = contract.number if contract else None
    f["contract.level"] = contract.level if contract else None
    f["contract.ends_on"] = contract.ends_on if contract else None
    f._contract = contract


def contract_in_force(ticket: Any) -> Any:
    """The contract in force for the ticket's customer today (the one for its asset first), as a
    namespace with id, number, level, ends_on, asset_id (one light query, no model instances)."""
    from types import SimpleNamespace

    from loopdesk.catalog.models import Contract

    today = timezone.localdate()
    rows = (
        Contract.objects.in_force(today).filter(company_id=ticket.company_id)
        .order_by("-starts_on", "id").values_list("id", "number", "level", "ends_on", "asset_id")[:5]
    )
    contracts = [SimpleNamespace(pk=r[0], number=r[1], level=r[2], ends_on=r[3], asset_id=r[4]) for r in rows]
    for contract in contracts:
        if ticket.asset_id and contract.asset_id == ticket.asset_id:
            return contract
    return next((c for c in contracts if c.asset_id is None), contracts[0] if contracts else None)


def _load_asset(f: TicketFacts) -> None:
    t = f.ticket
    a = None
    if t.asset_id and type(t).asset.is_cached(t):
        a = t.asset
    elif t.asset_id:
        from loopdesk.assets.models import Asset

        a = (Asset.objects.select_related("product_version__product")
             .only("id", "serial", "status", "product_version__version", "product_version__product__code",
                   "product_version__product__name").filter(pk=t.asset_id).first())
    version = a.product_version if a else None
    product = version.product if version else None
    f.update({
        "asset.id": a.pk if a else None, "asset.serial": a.serial if a else None,
        "asset.status": a.status if a else None,
        "asset.product": product.code if product else None,
        "asset.product.name": product.name if product else None,
        "asset.product_version": version.version if version else None,
    })


def _load_contract_products(f: TicketFacts) -> None:
    contract = f["contract.number"] and f._contract
    if not contract:
        f["contract.products"] = []
        return
    from loopdesk.catalog.models import Entitlement

    f["contract.products"] = list(
        Entitlement.objects.filter(contract_id=contract.pk).order_by("product__code")
        .values_list("product__code", flat=True)
    )


_LOADERS = {
    "contract.products": _load_contract_products,
    "ticket.category": _load_category,
    "ticket.group": _load_group,
    "ticket.assignee": _load_assignee,
    "ticket.owner_org": _load_owner_org,
    "customer": _load_customer,
    "contract": _load_contract,
    "asset": _load_asset,
}


def ticket_facts(ticket: Any, changes: dict | None = None, **kwargs: Any) -> TicketFacts:
    """The facts of `ticket`; `changes` is an event's {field: [old, new]} (for the `changed` operator)."""
    return TicketFacts(ticket, changes=changes, **kwargs)
