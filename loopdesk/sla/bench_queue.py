"""`queue_due_figures()`: the queues sorted by time to breach, measured against the real server
(wired into `loopdesk bench --only sla`; issue 3's target: p95 ≤ 50 ms with 1,000,000 tickets).

Figures: the staff queue page sorted by time to breach (`/tickets/?sort=due`) as a branch agent and as
headquarters' manager, the agent's "breached" filter, the API list sorted by `due_at`, and the
`/sla/` overview. Each is the p95 of sequential GETs over one keep-alive connection
(`bench.workloads.latency`).
"""

from __future__ import annotations

from bench import workloads
from bench.client import Client


def queue_due_figures(*, port: int, cookies: dict[str, str], token: str, requests: int = 200) -> list[dict]:
    """One figure dict per measurement; `cookies` maps "agent" and "manager" to a session cookie, `token`
    is the agent's API token."""
    figures = []
    for username in ("agent", "manager"):
        ui = Client("127.0.0.1", port, {"Cookie": cookies[username]})
        figures.append(workloads.latency(f"queue_due_page_{username}", ui, ["/tickets/?sort=due"] * requests))
        if username == "agent":
            figures.append(workloads.latency("queue_breached_page_agent", ui,
                                             ["/tickets/?due=breached&sort=due"] * requests))
            figures.append(workloads.latency("sla_overview_agent", ui, ["/sla/"] * requests))
        ui.close()
    api = Client("127.0.0.1", port, {"Authorization": f"Bearer {token}"})
    figures.append(workloads.latency("api_ticket_list_due_agent", api,
                                     ["/api/v1/tickets?sort=due_at&is_open=true&limit=50"] * requests))
    api.close()
    return figures
