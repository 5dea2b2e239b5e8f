"""Rules engine figures for `loopdesk bench --only rules` (docs/rules.md, docs/performance.md).

`updates_figure()`: 100 active rules (a realistic mix, below) evaluated against 10,000 ticket updates.
What is timed, per update: building the ticket's facts (`TicketFacts`, with the update's changes) and
running the compiled condition trees of all 100 rules in order (stopping at a firing rule with
stop_processing), counting the rules that would fire. The tickets (up to 1,000 of the database, with
their customer, category, group, assignee, branch and asset rows, and the contracts in force) are read
before the clock starts, as the ticket service has the row in hand when it sends its event; actions are
not run (they are ordinary service calls, measured by the intake figures).

`create_overhead_figure()`: the receiver's extra cost per ticket creation with the same 100 rules
registered for the `created` trigger and none of them firing: facts + conditions, including the lazy
lookups the conditions need, on tickets as `POST /api/v1/tickets` leaves them (customer, category and
asset with its product resolved from the request body), so the one query left is the contract in
force. Milliseconds per creation (wall clock; `cpu_ms` is this process's CPU time).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from django.utils import timezone

from loopdesk.core import conditions

from .engine import CompiledRule, matching
from .facts import TicketFacts
from .models import Rule

WORDS = ["打印", "登录", "报表", "凭证", "工资", "发票", "库存", "结账", "license", "error", "慢", "无法"]
PATHS = ["财务", "财务 › 总账", "供应链", "人力资源", "硬件"]
VERSIONS = ["13.0", "16.5", "V16.1", "V15.0", "12.1"]


def realistic_rules(n: int = 100, *, seed: int = 3, trigger: str = "updated") -> list[Rule]:
    """`n` unsaved rules whose conditions look like what service desks write (see the module doc)."""
    rng = random.Random(seed)
    makers = [
        lambda: {"all": [{"field": "customer.vip", "op": "ge", "value": rng.choice([2, 3])},
                         {"field": "ticket.type", "op": "eq", "value": "incident"}]},
        lambda: {"field": "ticket.title", "op": "contains", "value": rng.choice(WORDS), "ignore_case": True},
        lambda: {"field": "ticket.category.path", "op": "startswith", "value": rng.choice(PATHS)},
        lambda: {"all": [{"field": "ticket.priority", "op": "in", "value": [1, 2]},
                         {"field": "ticket.status", "op": "changed", "to": "in_progress"}]},
        lambda: {"field": "ticket.title", "op": "regex", "value": r"(报错|错误|异常|error)\s*\d+", "ignore_case": True},
        lambda: {"any": [{"field": "contract.level", "op": "eq", "value": "vip"},
                         {"field": "customer.vip", "op": "eq", "value": 3}]},
        lambda: {"all": [{"field": "asset.product_version", "op": "in", "value": rng.sample(VERSIONS, 2)},
                         {"field": "ticket.urgency", "op": "changed"}]},
        lambda: {"all": [{"not": {"field": "ticket.assignee", "op": "is_empty"}},
                         {"field": "ticket.idle_hours", "op": "gt", "value": rng.choice([4, 24, 72])}]},
        lambda: {"field": "ticket.cf.erp_module", "op": "eq", "value": "总账"},
        lambda: {"all": [{"field": "ticket.impact", "op": "between", "value": [1, 2]},
                         {"field": "ticket.channel", "op": "in", "value": ["phone", "wechat"]},
                         {"not": {"field": "ticket.phase", "op": "eq", "value": "waiting"}}]},
    ]
    rules = []
    for i in range(n):
        rules.append(Rule(
            pk=i + 1, name=f"bench {i}", trigger=trigger, order=i, active=True, conditions=makers[i % len(makers)](),
            actions=[{"type": "set_priority", "value": 2}], stop_processing=rng.random() < 0.05,
        ))
    return rules


def _compiled(rules: list[Rule]) -> list[CompiledRule]:
    return [CompiledRule(rule=r, predicate=conditions.compile_tree(r.conditions, wrap=False)) for r in rules]


def _contracts(company_ids: set[int]) -> dict[int, Any]:
    from loopdesk.catalog.models import Contract

    out: dict[int, Any] = {}
    qs = (Contract.objects.in_force(timezone.localdate()).filter(company_id__in=company_ids)
          .prefetch_related("entitlements__product").order_by("-starts_on", "id"))
    for contract in qs:
        out.setdefault(contract.company_id, contract)
    return out


CHANGES = [
    {"priority": [3, 2]}, {"status": ["accepted", "in_progress"]}, {"urgency": [2, 1], "priority": [3, 2]},
    {"category": [None, 1]}, {"assignee": [None, 5]}, {"title": ["a", "b"]},
]


def updates_figure(updates: int = 10_000, rules: int = 100, *, tickets: int = 1000) -> dict:
    """The rules.updates_per_s figure (see the module doc for what is measured)."""
    from bench.workloads import figure
    from loopdesk.tickets.models import Ticket

    rows = list(
        Ticket.objects.select_related("company", "category", "group", "assignee", "owner_org",
                                      "asset__product_version__product").order_by("-id")[:tickets]
    )
    if not rows:
        return figure("rules.updates_per_s", None, "updates/s", 5000, higher_is_better=True,
                      error="no tickets in the database")
    contracts = _contracts({t.company_id for t in rows})
    compiled = _compiled(realistic_rules(rules))
    rng = random.Random(5)
    work = [(rows[i % len(rows)], rng.choice(CHANGES)) for i in range(updates)]
    now = timezone.now()
    for ticket, changes in work[:200]:  # warm up
        matching(compiled, TicketFacts(ticket, changes=changes, now=now, contract=contracts.get(ticket.company_id)))
    fired = 0
    began, cpu = time.perf_counter(), time.process_time()
    for ticket, changes in work:
        facts = TicketFacts(ticket, changes=changes, now=now, contract=contracts.get(ticket.company_id))
        fired += len(matching(compiled, facts))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    return figure(
        "rules.updates_per_s", updates / elapsed, "updates/s", 5000, higher_is_better=True,
        rules=rules, updates=updates, tickets=len(rows), would_fire=fired, per_cpu_second=round(updates / cpu, 1),
        load_average=round(os.getloadavg()[0], 1),
        measured="wall clock, one thread: facts + 100 compiled condition trees per update; tickets and related "
                 "rows preloaded; no actions",
    )


def create_overhead_figure(creates: int = 300, rules: int = 100) -> dict:
    """The rules.create_overhead_ms figure (see the module doc)."""
    from bench.workloads import figure
    from loopdesk.tickets.models import Ticket

    rows = list(Ticket.objects.select_related("company", "category", "asset__product_version__product")
                .order_by("-id")[:creates])
    if not rows:
        return figure("rules.create_overhead_ms", None, "ms", 1.0, higher_is_better=False,
                      error="no tickets in the database")
    # Conditions that hold for no ticket (each rule's own tree, then a test that always fails), so the
    # figure is the cost of deciding, not of acting; ten rules look at customer, contract and asset.
    never = {"field": "ticket.number", "op": "eq", "value": "-"}
    mix = realistic_rules(rules, trigger="created")
    for i, rule in enumerate(mix):
        if i < 10:
            rule.conditions = {"all": [{"any": [{"field": "customer.vip", "op": "ge", "value": 4},
                                                {"field": "contract.level", "op": "eq", "value": "-"},
                                                {"field": "asset.product_version", "op": "eq", "value": "-"}]},
                                       never]}
        else:
            rule.conditions = {"all": [rule.conditions, never]}
    compiled = _compiled(mix)
    began, cpu = time.perf_counter(), time.process_time()
    fired = 0
    for ticket in rows:
        fresh = Ticket(**{f.attname: getattr(ticket, f.attname) for f in Ticket._meta.concrete_fields})
        # as the API's create leaves it: customer, category and asset (with product) resolved from the body
        fresh.company, fresh.category, fresh.asset = ticket.company, ticket.category, ticket.asset
        fired += len(matching(compiled, TicketFacts(fresh, extra={"event.kind": "created"})))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    return figure(
        "rules.create_overhead_ms", elapsed / len(rows) * 1000, "ms", 1.0, higher_is_better=False,
        rules=rules, creates=len(rows), would_fire=fired, cpu_ms=round(cpu / len(rows) * 1000, 2),
        load_average=round(os.getloadavg()[0], 1),
        measured="facts + 100 compiled condition trees per created ticket, lazy customer/contract/asset lookups included",
    )


def figures() -> list[dict]:
    return [updates_figure(), create_overhead_figure()]
