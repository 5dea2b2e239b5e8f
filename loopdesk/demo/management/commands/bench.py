"""`loopdesk bench`: measure Loopdesk against its performance targets on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loopdesk_bench loopdesk bench [--tickets 1000000] [--reuse]

The database must be PostgreSQL and dedicated to benchmarking (its name contains "bench"): without
--reuse it is dropped, recreated, migrated and filled with `loopdesk demo` data (N tickets); with
--reuse the data already there is measured as it is. The real server (`loopdesk serve`: gunicorn,
2 workers) is started on a free loopback port, and one JSON line is printed per figure:

    {"name": ..., "value": ..., "unit": ..., "target": ..., "ok": true/false, ...details}
"""

from __future__ import annotations

import json
import random
import socket
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from bench import workloads
from bench.client import Client
from bench.server import Server
from loopdesk.accounts.models import User
from loopdesk.accounts.services import issue_token
from loopdesk.customers.models import Company
from loopdesk.sla.bench import due_time_rate, replan_open_tickets
from loopdesk.sla.bench_queue import queue_due_figures
from loopdesk.tickets.models import Ticket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark intake, queue and ticket pages, and worker memory on PostgreSQL (JSON lines)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the database (default 1,000,000)")
        parser.add_argument("--customers", type=int, default=None, help="customers (default: tickets / 50, at least 500)")
        parser.add_argument("--reuse", action="store_true", help="measure the data already in the bench database")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
        parser.add_argument("--clients", type=int, default=16, help="concurrent intake clients (default 16)")
        parser.add_argument("--seconds", type=float, default=20, help="intake duration in seconds (default 20)")
        parser.add_argument("--requests", type=int, default=200, help="measured GETs per page (default 200)")
        parser.add_argument("--batch", type=int, default=20,
                            help="tickets per POST /api/v1/tickets/batch in the batch intake figure (0: skip it)")
        parser.add_argument("--only", default="", help=(
            "comma-separated figure groups: pages, intake, memory, sla (the default four), and knowledge, rules, "
            "webhooks, workflows (only when named)"))

    def handle(self, *args, tickets, customers, reuse, workers, threads, clients, seconds, requests, only,
               batch, verbosity, **options) -> None:
        self._check_database()
        groups = {g for g in only.split(",") if g} or {"pages", "intake", "memory", "sla"}
        log = self.stderr.write if verbosity > 0 else (lambda *_a: None)
        if reuse:
            call_command("migrate", interactive=False, verbosity=0)
            if not Ticket.objects.exists():
                raise CommandError("--reuse: the bench database holds no tickets; run without --reuse to fill it.")
        else:
            self._recreate_database()
            call_command("migrate", interactive=False, verbosity=0)
            customers = customers or max(500, tickets // 50)
            log(f"Filling the bench database: {customers} customers, {tickets} tickets …")
            started = time.monotonic()
            call_command("demo", customers=customers, tickets=tickets, seed=1, verbosity=0)
            log(f"  filled in {time.monotonic() - started:.0f}s")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # fresh statistics, as autovacuum would leave them

        count = Ticket.objects.count()
        self._emit(workloads.figure("dataset_tickets", count, "tickets", tickets, higher_is_better=True,
                                    open=Ticket.objects.filter(is_open=True).count()))
        agent, manager = User.objects.get(username="agent"), User.objects.get(username="manager")
        token = issue_token(user=agent, name="bench")
        cookies = {u.username: self._session_cookie(u) for u in (agent, manager)}
        ticket_ids = self._sample_ticket_ids(agent, requests)
        customer_ids = list(Company.objects.visible_to(agent).order_by("pk").values_list("pk", flat=True)[:5000])

        if "sla" in groups:
            # Pure arithmetic on one core, measured before the server competes for the CPU.
            self._emit(workloads.figure("sla_due_time_rate", due_time_rate(3), "computations/s", 100_000,
                                        higher_is_better=True))
            self._emit(replan_open_tickets(100_000))  # re-plan 100,000 open tickets' clocks after a calendar edit
        if "rules" in groups:  # loopdesk.rules.bench (docs/rules.md): pure evaluation, before the server
            from loopdesk.rules.bench import figures as rules_figures

            for rules_figure in rules_figures():
                self._emit(rules_figure)
        if "webhooks" in groups:  # loopdesk.integrations.bench (docs/webhooks.md): own rows, removed after
            from loopdesk.integrations.bench import figures as webhook_figures

            for webhook_figure in webhook_figures():
                self._emit(webhook_figure)
        if "workflows" in groups:  # loopdesk.demo.bench_workflows (docs/workflows.md): in-process, rolled back
            from loopdesk.demo.bench_workflows import figures as workflow_figures

            company = Company.objects.visible_to(agent).order_by("pk").first()
            for wf_figure in workflow_figures(actor=agent, company=company, log=log):
                self._emit(wf_figure)
        if "knowledge" in groups:  # loopdesk.knowledge.bench / loopdesk.assist.bench (docs/self-service.md)
            from loopdesk.assist import bench as assist_bench
            from loopdesk.knowledge import bench as kb_bench

            kb_customer = User.objects.filter(username="customer").first()
            for kb_figure in kb_bench.large_figures(staff=agent, customer=kb_customer, log=log):
                self._emit(kb_figure)
            if kb_customer is not None:
                self._emit(assist_bench.suggestion_service_figure(kb_customer))
                cookies["customer"] = self._session_cookie(kb_customer)
            self._emit(assist_bench.next_question_figure())

        if groups & {"sla", "rules", "workflows", "knowledge"}:
            # Those figures write (the re-planning bench rewrites 100,000 tickets' due times): measure the
            # pages on fresh statistics and without their dead rows, as autovacuum would leave them.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        port = free_port()
        server_log = Path(settings.DATA_DIR) / "bench-server.log"
        log(f"Starting the server on 127.0.0.1:{port} ({workers} workers × {threads} threads; log {server_log})")
        with Server(port=port, workers=workers, threads=threads, log=server_log) as server:
            if "pages" in groups:
                self._pages(port, cookies, token, ticket_ids, requests)
            if "intake" in groups:
                for size in (0, batch) if batch else (0,):
                    figure, created = workloads.intake(port=port, token=token, customer_ids=customer_ids,
                                                       clients=clients, seconds=seconds, batch=size)
                    self._check_stored(figure, created)
                    self._emit(figure)
                    self._remove([c["id"] for c in created])
            if "knowledge" in groups and "customer" in cookies:
                from loopdesk.assist.bench import remove_bench_sessions
                from loopdesk.knowledge.bench import bench_queries

                since = timezone.now()
                ui = Client("127.0.0.1", port, {"Cookie": cookies["customer"]})
                paths = [f"/portal/new/suggest/?title={quote(q)}" for q in bench_queries(requests, seed=9)]
                self._emit(workloads.latency("portal_suggest_customer", ui, paths, target_ms=50))
                ui.close()
                remove_bench_sessions(User.objects.get(username="customer"), since)
            if "sla" in groups:
                for figure in queue_due_figures(port=port, cookies=cookies, token=token, requests=requests):
                    self._emit(figure)
            if "memory" in groups:
                self._emit(workloads.memory(server))

    # -- pieces -------------------------------------------------------------------------------------
    def _pages(self, port: int, cookies: dict[str, str], token: str, ticket_ids: list[int], n: int) -> None:
        api = Client("127.0.0.1", port, {"Authorization": f"Bearer {token}"})
        for username in ("agent", "manager"):
            ui = Client("127.0.0.1", port, {"Cookie": cookies[username]})
            self._emit(workloads.latency(f"queue_page_{username}", ui, ["/tickets/"] * n))
            ui.close()
        self._emit(workloads.latency("api_ticket_list_agent", api, ["/api/v1/tickets?limit=50"] * n))
        ui = Client("127.0.0.1", port, {"Cookie": cookies["agent"]})
        self._emit(workloads.latency("ticket_page_agent", ui, [f"/tickets/{pk}/" for pk in ticket_ids]))
        self._emit(workloads.latency("api_ticket_detail_agent", api, [f"/api/v1/tickets/{pk}" for pk in ticket_ids]))
        ui.close()
        api.close()

    def _remove(self, ids: list[int]) -> None:
        """Delete what the intake run created, so repeated `--reuse` runs measure the same data."""
        for start in range(0, len(ids), 2000):
            Ticket.objects.filter(pk__in=ids[start:start + 2000]).delete()

    def _check_stored(self, figure: dict, created: list[dict]) -> None:
        """Every acknowledged ticket must be in the database exactly once, with the number it was given."""
        ids = [c["id"] for c in created]
        stored = {}
        for start in range(0, len(ids), 5000):
            stored.update(Ticket.objects.filter(pk__in=ids[start:start + 5000]).values_list("pk", "number"))
        missing = [c for c in created if stored.get(c["id"]) != c["number"]]
        figure["stored"] = len(created) - len(missing)
        if missing:
            figure["ok"] = False
            figure["error"] = f"{len(missing)} acknowledged tickets are not stored as acknowledged"
        numbers = [c["number"] for c in created]
        if len(set(numbers)) != len(numbers):
            figure["ok"] = False
            figure["error"] = "duplicate ticket numbers were returned"

    def _sample_ticket_ids(self, user: User, n: int) -> list[int]:
        """n random tickets the user may open, spread over the whole table."""
        visible = Ticket.objects.visible_to(user)
        low = Ticket.objects.order_by("pk").values_list("pk", flat=True).first() or 0
        high = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        rng, ids = random.Random(2), []
        for _ in range(n * 2):
            pk = visible.filter(pk__gte=rng.randint(low, high)).order_by("pk").values_list("pk", flat=True).first()
            if pk is not None:
                ids.append(pk)
            if len(ids) >= n:
                break
        return ids

    def _session_cookie(self, user: User) -> str:
        """A signed-in session for `user`, as the login view would create it."""
        store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    def _check_database(self) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "loopdesk bench measures on PostgreSQL, not SQLite. Point DATABASE_URL at a dedicated database, "
                "e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/loopdesk_bench loopdesk bench"
            )
        if "bench" not in connection.settings_dict["NAME"]:
            raise CommandError(
                f"The database {connection.settings_dict['NAME']!r} is not a bench database: loopdesk bench drops "
                "and refills its database, so its name must contain 'bench' (e.g. loopdesk_bench)."
            )

    def _recreate_database(self) -> None:
        import psycopg
        from psycopg import sql

        s = connection.settings_dict
        name = s["NAME"]
        connection.close()
        params = {"host": s.get("HOST") or None, "port": s.get("PORT") or None, "user": s.get("USER") or None,
                  "password": s.get("PASSWORD") or None, "dbname": "postgres"}
        with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as maintenance:
            maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def _emit(self, figure: dict) -> None:
        self.stdout.write(json.dumps(figure, ensure_ascii=False))
        self.stdout.flush()
