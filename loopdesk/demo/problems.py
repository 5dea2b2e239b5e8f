"""Demo data for problem management and webhooks.

    seed_problems(*, count=3) -> dict

Call it after the demo tickets exist. It groups open incidents of the same customer into `count`
problems (two to four incidents each), gives the first a root cause and workaround and publishes it as
a known error (a knowledge article, published when a superuser exists to act as reviewer), and adds two
webhook endpoints, "销售 CRM（线索到回款）" and "研发缺陷系统", pointing at 127.0.0.1 receivers that do
not exist, inactive so nothing is sent until an administrator points them somewhere real. Returns
{"problems": n, "incidents": n, "endpoints": n}. Idempotent: it does nothing once the endpoints exist.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction

from loopdesk.integrations.models import Endpoint
from loopdesk.integrations.services import create_endpoint
from loopdesk.problems import services
from loopdesk.tickets.choices import TicketType
from loopdesk.tickets.models import Ticket

ENDPOINTS = [
    {"name": "销售 CRM（线索到回款）", "kind": "lead_to_cash", "url": "http://127.0.0.1:9101/loopdesk/opportunities"},
    {"name": "研发缺陷系统", "kind": "rnd", "url": "http://127.0.0.1:9102/loopdesk/issues"},
]
ROOT_CAUSE = "U8 16.5 的凭证打印组件在打印机驱动返回空纸张尺寸时没有处理，进程崩溃。"
WORKAROUND = "在打印设置中手动指定纸张为 A4，或重启“U8 打印服务”后重新打印。补丁发布前可用此办法。"


@transaction.atomic
def seed_problems(*, count: int = 3) -> dict[str, int]:
    if Endpoint.objects.filter(name=ENDPOINTS[0]["name"]).exists():
        return {"problems": 0, "incidents": 0, "endpoints": 0}
    for values in ENDPOINTS:
        create_endpoint(actor=None, active=False, **values)
    by_company: dict[int, list[Ticket]] = defaultdict(list)
    candidates = (Ticket.objects.filter(type=TicketType.INCIDENT, is_open=True).select_related("company")
                  .order_by("-id")[:2000])
    for ticket in candidates:
        by_company[ticket.company_id].append(ticket)
    groups = [tickets[:4] for tickets in by_company.values() if len(tickets) >= 2][:count]
    reviewer = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    linked = 0
    for n, incidents in enumerate(groups):
        problem = services.problem_for_incidents(actor=None, incidents=incidents,
                                                 title=f"反复出现：{incidents[0].title}"[:200])
        linked += len(incidents)
        if n == 0:
            versions = [i.asset.product_version for i in incidents if i.asset_id][:1]
            services.update_problem(actor=None, problem=problem, root_cause=ROOT_CAUSE, workaround=WORKAROUND,
                                    known_error=True, affected_versions=versions)
            if reviewer is not None:
                services.publish_known_error(actor=reviewer, problem=problem)
    return {"problems": len(groups), "incidents": linked, "endpoints": len(ENDPOINTS)}
