"""Demo data for the rules engine: a handful of realistic automation rules and escalation tiers.

    create_demo_rules(*, actor=None) -> list[Rule]

Call it after the demo network exists (groups, categories) and before the tickets if they should be
routed by the rules (the demo's bulk tickets do not pass through the services, so the rules act on new
tickets). Idempotent: rules are matched by name; escalation tiers by group. Returns the rules created.
"""

from __future__ import annotations

from typing import Any

from loopdesk.accounts.models import Group
from loopdesk.rules import services
from loopdesk.rules.models import EscalationTier, Rule
from loopdesk.tickets.models import Category


def _category(path: str) -> Category | None:
    return Category.objects.filter(full_name=path, active=True).first()


def _tiers() -> None:
    groups = list(Group.objects.filter(active=True))
    third = next((g for g in groups if g.tier == 3), None)
    for first in (g for g in groups if g.tier == 1):
        city = first.name.removesuffix("一线热线")
        second = next((g for g in groups if g.name == f"{city}二线技术支持"), None)
        if second and not EscalationTier.objects.filter(group=first).exists():
            EscalationTier.objects.create(group=first, next_group=second)
        if second and third and not EscalationTier.objects.filter(group=second).exists():
            EscalationTier.objects.create(group=second, next_group=third)


def create_demo_rules(*, actor: Any = None) -> list[Rule]:
    _tiers()
    voucher, defect = _category("财务 › 凭证打印"), _category("产品缺陷 › 缺陷报告")
    login = _category("账号与权限 › 账号与密码")
    specs: list[dict[str, Any]] = [
        {
            "name": "VIP 客户故障升为 P2 并通知经理", "trigger": "created", "order": 10,
            "conditions": {"all": [{"field": "customer.vip", "op": "ge", "value": 2},
                                   {"field": "ticket.type", "op": "eq", "value": "incident"},
                                   {"field": "ticket.priority", "op": "ge", "value": 3}]},
            "actions": [{"type": "set_priority", "value": 2},
                        {"type": "notify", "to": "role", "role": "manager",
                         "subject": "VIP 客户故障 {number}：{title}", "body": "客户 {customer}，已升为 {priority}。"}],
        },
        {
            "name": "按标题关键词分类", "trigger": "created", "order": 20,
            "conditions": {"field": "ticket.category", "op": "is_empty"},
            "actions": [{"type": "classify", "map": [
                m for m in (
                    {"keywords": ["打印", "print"], "category": voucher.pk} if voucher else None,
                    {"keywords": ["密码", "登录", "锁定"], "category": login.pk} if login else None,
                ) if m
            ]}],
        },
        {
            "name": "24 小时内 5 个同类故障 → 问题单", "trigger": "created", "order": 30,
            "conditions": {"all": [{"field": "ticket.type", "op": "eq", "value": "incident"},
                                   {"not": {"field": "ticket.category", "op": "is_empty"}}]},
            "actions": [{"type": "problem_from_incidents", "threshold": 5, "hours": 24,
                         "match": ["category", "product_version"], "title": "同类故障集中出现：{title}"}],
        },
        {
            "name": "缺陷报告定责为产品缺陷", "trigger": "updated", "order": 40,
            "conditions": {"all": [{"field": "ticket.category.path", "op": "startswith", "value": "产品缺陷"},
                                   {"field": "ticket.responsibility", "op": "is_empty"}]},
            "actions": [{"type": "set_responsibility", "value": "product_defect"}],
        },
        {
            "name": "SLA 超时升级到下一线", "trigger": "sla_breach", "order": 10,
            "conditions": {"field": "ticket.is_open", "op": "eq", "value": True},
            "actions": [{"type": "escalate"},
                        {"type": "notify", "to": "group", "subject": "{number} 已超时并升级：{title}"}],
        },
        {
            "name": "等待客户超过 3 天提醒处理人", "trigger": "scheduled", "order": 10, "interval_minutes": 60,
            "conditions": {"all": [{"field": "ticket.status", "op": "eq", "value": "waiting_customer"},
                                   {"field": "ticket.idle_hours", "op": "ge", "value": 72}]},
            "actions": [{"type": "notify", "to": "assignee", "subject": "{number} 已等待客户 3 天以上，请跟进"}],
        },
    ]
    if defect is None:
        specs = [s for s in specs if s["name"] != "缺陷报告定责为产品缺陷"]
    existing = set(Rule.objects.values_list("name", flat=True))
    created = []
    for spec in specs:
        if spec["name"] in existing:
            continue
        if spec["name"] == "按标题关键词分类" and not spec["actions"][0]["map"]:
            continue
        created.append(services.create_rule(actor=actor, **spec))
    return created
