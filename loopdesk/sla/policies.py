"""Which SLA and OLA policies apply to a ticket (docs/sla.md, "Choosing the policies").

The active policies with their targets and escalation levels are read once per process into plain,
immutable `PolicyInfo` records and kept until a policy, target, level or calendar is saved in this
process (signals clear the cache) or `CACHE_SECONDS` have passed (edits made by other processes).
Matching is then pure Python: the ticket's facts (contract level, VIP level, type, category and its
ancestors, priority, channel, group and its tier, partner) against each policy's conditions, where an
empty condition means "any".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .models import Calendar, EscalationLevel, Metric, Party, Policy, Target

CACHE_SECONDS = 15.0
LEVEL_ORDER = {"standard": 1, "gold": 2, "vip": 3}


@dataclass(frozen=True)
class PolicyInfo:
    """A policy as the clock engine uses it: conditions, targets and levels, no ORM."""

    id: int
    name: str
    kind: str
    party: str
    order: int
    calendar: Any  # the Calendar row (its updated_at keys the pure calendar's cache)
    contract_levels: frozenset
    vip_levels: frozenset
    ticket_types: frozenset
    category_ids: frozenset
    priorities: frozenset
    channels: frozenset
    group_id: int | None
    group_tiers: frozenset
    partner_org_id: int | None
    pause_statuses: frozenset
    on_reopen: str
    targets: dict = field(hash=False)  # {(metric, priority or None): minutes}
    levels: dict = field(hash=False)  # {metric: ((percent, actions), ...) ascending}

    def target(self, metric: str, priority: int | None) -> int | None:
        """The minutes for `metric` at `priority` (its own row, else the row for any priority)."""
        minutes = self.targets.get((metric, priority))
        return self.targets.get((metric, None)) if minutes is None else minutes

    def thresholds(self, metric: str) -> tuple[int, ...]:
        """The percents at which something fires for `metric`: each level's, and 100 (the breach)."""
        return tuple(sorted({p for p, _a in self.levels.get(metric, ())} | {100}))

    def level_at(self, metric: str, percent: int) -> tuple[int, list] | None:
        return next((lv for lv in self.levels.get(metric, ()) if lv[0] == percent), None)


@dataclass(frozen=True)
class Facts:
    """What policies are matched against."""

    contract_level: str | None
    vip_level: int
    type: str
    category_ids: frozenset
    priority: int
    channel: str
    group_id: int | None
    group_tier: int | None
    partner_org_id: int | None


_state: dict[str, Any] = {"at": 0.0, "policies": None, "by_id": {}, "category_parent": {}, "group_tier": {}}


def clear_cache(**_kwargs: Any) -> None:
    """Forget the cached policies, category tree and group tiers (a save in this process, a reference
    data check after a test's rollback, …)."""
    _state.update(at=0.0, policies=None, by_id={}, category_parent={}, group_tier={})
    forget_contract_levels()


def _connect_contract_signals() -> None:
    from loopdesk.catalog.models import Contract

    post_save.connect(forget_contract_levels, sender=Contract, dispatch_uid="sla-contract-levels-save")
    post_delete.connect(forget_contract_levels, sender=Contract, dispatch_uid="sla-contract-levels-delete")


for _model in (Policy, Target, EscalationLevel, Calendar):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"sla-policy-cache-save-{_model.__name__}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"sla-policy-cache-delete-{_model.__name__}")


def _info(policy: Policy, targets: list[Target], levels: list[EscalationLevel]) -> PolicyInfo:
    by_metric: dict[str, list] = {}
    for level in sorted(levels, key=lambda lv: lv.percent):
        by_metric.setdefault(level.metric, []).append((level.percent, list(level.actions or [])))
    return PolicyInfo(
        id=policy.pk, name=policy.name, kind=policy.kind, party=policy.party, order=policy.order,
        calendar=policy.calendar,
        contract_levels=frozenset(policy.contract_levels or ()), vip_levels=frozenset(policy.vip_levels or ()),
        ticket_types=frozenset(policy.ticket_types or ()), category_ids=frozenset(policy.category_ids or ()),
        priorities=frozenset(policy.priorities or ()), channels=frozenset(policy.channels or ()),
        group_id=policy.group_id, group_tiers=frozenset(policy.group_tiers or ()),
        partner_org_id=policy.partner_org_id, pause_statuses=frozenset(policy.pause_statuses or ()),
        on_reopen=policy.on_reopen,
        targets={(t.metric, t.priority): t.minutes for t in targets},
        levels={m: tuple(v) for m, v in by_metric.items()},
    )


def load(ids: Any = None) -> list[PolicyInfo]:
    """PolicyInfo of the given policies (any state), or of every active one, three queries."""
    qs = Policy.objects.select_related("calendar")
    qs = qs.filter(pk__in=ids) if ids is not None else qs.filter(active=True)
    rows = list(qs.order_by("order", "id"))
    targets: dict[int, list] = {}
    levels: dict[int, list] = {}
    for t in Target.objects.filter(policy__in=[p.pk for p in rows]):
        targets.setdefault(t.policy_id, []).append(t)
    for lv in EscalationLevel.objects.filter(policy__in=[p.pk for p in rows]):
        levels.setdefault(lv.policy_id, []).append(lv)
    return [_info(p, targets.get(p.pk, []), levels.get(p.pk, [])) for p in rows]


def active_policies() -> list[PolicyInfo]:
    """The active policies by order, cached per process (see the module docstring)."""
    if _state["policies"] is None or time.monotonic() - _state["at"] > CACHE_SECONDS:
        policies = load()
        _state.update(at=time.monotonic(), policies=policies, by_id={p.id: p for p in policies})
    return _state["policies"]


def policy_info(policy_id: int) -> PolicyInfo:
    """Any policy by id (an inactive one is loaded on demand: its running clocks still need it)."""
    active_policies()
    info = _state["by_id"].get(policy_id)
    if info is None:
        info = load([policy_id])[0]
        _state["by_id"][policy_id] = info
    return info


# -- facts -------------------------------------------------------------------------------------------
def _category_chain(category_id: int | None) -> frozenset:
    if category_id is None:
        return frozenset()
    parents = _state["category_parent"]
    if category_id not in parents:
        from loopdesk.tickets.models import Category

        parents.clear()
        parents.update(Category.objects.values_list("id", "parent_id"))
    chain, seen = [], set()
    node = category_id
    while node is not None and node not in seen:
        seen.add(node)
        chain.append(node)
        node = parents.get(node)
    return frozenset(chain)


def _group_tier(group_id: int | None) -> int | None:
    if group_id is None:
        return None
    tiers = _state["group_tier"]
    if group_id not in tiers:
        from loopdesk.accounts.models import Group

        tiers.clear()
        tiers.update(Group.objects.values_list("id", "tier"))
    return tiers.get(group_id)


CONTRACT_CACHE_SECONDS = 60.0
_contract_levels: dict[tuple[int, Any], tuple[float, str | None]] = {}


def forget_contract_levels(**_kwargs: Any) -> None:
    _contract_levels.clear()


def contract_level(company_id: int, on: Any = None) -> str | None:
    """The highest level of the company's contracts in force on `on` (today), None without one.
    Cached per process for a minute (a contract saved in this process clears it at once)."""
    from loopdesk.catalog.models import Contract

    day = on or timezone.localdate()
    key = (company_id, day)
    hit = _contract_levels.get(key)
    if hit is not None and time.monotonic() - hit[0] < CONTRACT_CACHE_SECONDS:
        return hit[1]
    levels = Contract.objects.in_force(day).filter(company_id=company_id).values_list("level", flat=True)
    level = max(levels, key=lambda lv: LEVEL_ORDER.get(lv, 0), default=None)
    if len(_contract_levels) > 50_000:
        _contract_levels.clear()
    _contract_levels[key] = (time.monotonic(), level)
    return level


def preload_contract_levels(company_ids: set[int], on: Any = None) -> None:
    """Read the contract levels of many companies in one query into the cache (a batch intake)."""
    from loopdesk.catalog.models import Contract

    day = on or timezone.localdate()
    now = time.monotonic()
    wanted = {pk for pk in company_ids
              if (hit := _contract_levels.get((pk, day))) is None or now - hit[0] >= CONTRACT_CACHE_SECONDS}
    if not wanted:
        return
    found: dict[int, str | None] = dict.fromkeys(wanted)
    for company_id, level in Contract.objects.in_force(day).filter(company_id__in=wanted).values_list(
            "company_id", "level"):
        if LEVEL_ORDER.get(level, 0) > LEVEL_ORDER.get(found[company_id], 0):
            found[company_id] = level
    if len(_contract_levels) > 50_000:
        _contract_levels.clear()
    _contract_levels.update({(pk, day): (now, level) for pk, level in found.items()})


def facts_for(ticket: Any, policies: list[PolicyInfo] | None = None) -> Facts:
    """The ticket's facts; the contract, category tree and group tiers are read only when an active
    policy has such a condition."""
    policies = active_policies() if policies is None else policies
    need_contract = any(p.contract_levels for p in policies)
    need_category = any(p.category_ids for p in policies)
    need_tier = any(p.group_tiers for p in policies)
    company = ticket.company if "company" in ticket._state.fields_cache else None
    vip = company.vip_level if company is not None else None
    if vip is None and any(p.vip_levels for p in policies):
        from loopdesk.customers.models import Company

        vip = Company.objects.filter(pk=ticket.company_id).values_list("vip_level", flat=True).first()
    return Facts(
        contract_level=contract_level(ticket.company_id) if need_contract else None,
        vip_level=vip or 0, type=ticket.type,
        category_ids=_category_chain(ticket.category_id) if need_category else frozenset(),
        priority=ticket.priority, channel=ticket.channel,
        group_id=ticket.group_id, group_tier=_group_tier(ticket.group_id) if need_tier else None,
        partner_org_id=ticket.partner_org_id,
    )


def matches(policy: PolicyInfo, facts: Facts) -> bool:
    """Whether every condition of `policy` holds for `facts` (an empty condition holds)."""
    if policy.contract_levels and facts.contract_level not in policy.contract_levels:
        return False
    if policy.vip_levels and facts.vip_level not in policy.vip_levels:
        return False
    if policy.ticket_types and facts.type not in policy.ticket_types:
        return False
    if policy.category_ids and not (policy.category_ids & facts.category_ids):
        return False
    if policy.priorities and facts.priority not in policy.priorities:
        return False
    if policy.channels and facts.channel not in policy.channels:
        return False
    if policy.party == Party.GROUP:
        if facts.group_id is None:
            return False
        if policy.group_id is not None and policy.group_id != facts.group_id:
            return False
        if policy.group_tiers and facts.group_tier not in policy.group_tiers:
            return False
    if policy.party == Party.PARTNER:
        if facts.partner_org_id is None:
            return False
        if policy.partner_org_id is not None and policy.partner_org_id != facts.partner_org_id:
            return False
    return True


def select(facts: Facts, policies: list[PolicyInfo] | None = None) -> dict[str, PolicyInfo | None]:
    """{party: the first matching policy by order or None} for customer (SLA), group and partner (OLA)."""
    policies = active_policies() if policies is None else policies
    out: dict[str, PolicyInfo | None] = {Party.CUSTOMER: None, Party.GROUP: None, Party.PARTNER: None}
    for policy in policies:
        party = Party.CUSTOMER if policy.kind == Policy.Kind.SLA else policy.party
        if party == Party.CUSTOMER and policy.kind != Policy.Kind.SLA:
            continue
        if out.get(party) is None and matches(policy, facts):
            out[party] = policy
    return out


def policies_for(ticket: Any) -> dict[str, PolicyInfo | None]:
    """The SLA and OLA policies that apply to `ticket` now."""
    policies = active_policies()
    return select(facts_for(ticket, policies), policies)


# -- shipped defaults --------------------------------------------------------------------------------
def _per_priority(p1: int, p2: int, p3: int, p4: int) -> dict[int | None, int]:
    return {1: p1, 2: p2, 3: p3, None: p4}  # P4 (and anything else) takes the "any" row


NOTIFY = {"assignee": {"type": "notify", "to": "assignee"}, "lead": {"type": "notify", "to": "group_lead"},
          "manager": {"type": "notify", "to": "manager"}}
SLA_LEVELS = {
    Metric.FIRST_RESPONSE: [(75, ["assignee"]), (100, ["assignee", "lead"]), (150, ["lead", "manager"])],
    Metric.RESOLUTION: [(50, ["assignee"]), (75, ["assignee", "lead"]), (100, ["lead", "manager"]),
                        (150, ["manager", "raise"])],
    Metric.NEXT_UPDATE: [(100, ["assignee"])],
    Metric.ONSITE_ARRIVAL: [(75, ["assignee"]), (100, ["lead", "manager"])],
}
OLA_LEVELS = {
    Metric.FIRST_RESPONSE: [(75, ["assignee"]), (100, ["lead"])],
    Metric.RESOLUTION: [(75, ["assignee"]), (100, ["lead", "manager"])],
    Metric.ONSITE_ARRIVAL: [(100, ["lead", "manager"])],
}

# code: (name, kind, party, order, calendar, conditions, {metric: {priority: minutes}}, levels)
# Business minutes on the China standard calendar: 450 a day (09:00–12:00, 13:30–18:00).
DEFAULTS: list[tuple] = [
    ("gold-vip-p1", "金牌/VIP P1 7×24 (Gold/VIP P1, 24×7)", "sla", Party.CUSTOMER, 10, "24x7",
     {"contract_levels": ["gold", "vip"], "priorities": [1]},
     {Metric.FIRST_RESPONSE: {None: 15}, Metric.NEXT_UPDATE: {None: 60}, Metric.RESOLUTION: {None: 240},
      Metric.ONSITE_ARRIVAL: {None: 240}}, SLA_LEVELS),
    ("vip", "VIP", "sla", Party.CUSTOMER, 20, "cn", {"contract_levels": ["vip"]},
     {Metric.FIRST_RESPONSE: _per_priority(10, 15, 60, 120), Metric.NEXT_UPDATE: _per_priority(60, 120, 240, 450),
      Metric.RESOLUTION: _per_priority(240, 450, 900, 2250), Metric.ONSITE_ARRIVAL: {None: 450}}, SLA_LEVELS),
    ("gold", "金牌 (Gold)", "sla", Party.CUSTOMER, 30, "cn", {"contract_levels": ["gold"]},
     {Metric.FIRST_RESPONSE: _per_priority(15, 30, 120, 240), Metric.NEXT_UPDATE: _per_priority(120, 240, 450, 900),
      Metric.RESOLUTION: _per_priority(450, 900, 1350, 2250), Metric.ONSITE_ARRIVAL: {None: 900}}, SLA_LEVELS),
    ("standard", "标准 (Standard)", "sla", Party.CUSTOMER, 1000, "cn", {},
     {Metric.FIRST_RESPONSE: _per_priority(30, 60, 240, 450), Metric.NEXT_UPDATE: _per_priority(240, 450, 900, 1350),
      Metric.RESOLUTION: _per_priority(900, 1350, 2250, 4500), Metric.ONSITE_ARRIVAL: {None: 1350}}, SLA_LEVELS),
    ("ola-l2", "二线支持 OLA (second line)", "ola", Party.GROUP, 100, "cn", {"group_tiers": [2, 3]},
     {Metric.FIRST_RESPONSE: _per_priority(15, 60, 120, 240), Metric.RESOLUTION: _per_priority(450, 900, 1800, 2700)},
     OLA_LEVELS),
    ("ola-partner", "服务伙伴 OLA (partners)", "ola", Party.PARTNER, 100, "cn", {},
     {Metric.FIRST_RESPONSE: _per_priority(15, 30, 120, 240), Metric.RESOLUTION: _per_priority(450, 900, 1800, 2700),
      Metric.ONSITE_ARRIVAL: {None: 900}}, OLA_LEVELS),
]


def _actions(names: list[str]) -> list[dict]:
    return [{"type": "raise_priority"} if n == "raise" else NOTIFY[n] for n in names]


def ensure_default_policies(apps: Any = None) -> list[Any]:
    """The shipped policies, created when missing (by code); existing ones are left as edited."""
    from . import cn

    models_ = apps if apps is not None else None
    P = models_.get_model("sla", "Policy") if models_ else Policy
    T = models_.get_model("sla", "Target") if models_ else Target
    L = models_.get_model("sla", "EscalationLevel") if models_ else EscalationLevel
    C = models_.get_model("sla", "Calendar") if models_ else Calendar
    calendars = {"cn": C.objects.filter(name=cn.CHINA_STANDARD).first(), "24x7": C.objects.filter(name=cn.ALWAYS_OPEN).first()}
    if not all(calendars.values()):
        if models_ is not None:
            return []
        from .services import ensure_standard_calendars

        ensure_standard_calendars()
        calendars = {"cn": C.objects.get(name=cn.CHINA_STANDARD), "24x7": C.objects.get(name=cn.ALWAYS_OPEN)}
    out = []
    for code, name, kind, party, order, calendar, conditions, targets, levels in DEFAULTS:
        if P.objects.filter(code=code).exists() or P.objects.filter(name=name).exists():
            continue
        policy = P.objects.create(code=code, name=name, kind=kind, party=party, order=order,
                                  calendar=calendars[calendar], **conditions)
        T.objects.bulk_create([T(policy=policy, metric=str(m), priority=prio, minutes=minutes)
                               for m, per in targets.items() for prio, minutes in per.items()])
        L.objects.bulk_create([L(policy=policy, metric=str(m), percent=pct, actions=_actions(names))
                               for m, rows in levels.items() if m in targets for pct, names in rows])
        out.append(policy)
    if models_ is None:
        clear_cache()  # also after a rolled-back transaction (tests) that the save signals cannot see
    return out


_connect_contract_signals()
