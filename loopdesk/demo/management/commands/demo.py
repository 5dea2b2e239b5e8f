"""`loopdesk demo`: fill an empty database with a realistic Chinese service network and its tickets.

    loopdesk demo --customers 500 --tickets 6000 [--seed 42] [--password PW]
    loopdesk demo --add --tickets 100000          # more tickets (and --customers) for an existing demo network
    loopdesk demo --logins [--set-password PW]   # print (or reset) the demo logins

On a database that already holds data the command refuses, unless --add says that adding to the demo
network there is deliberate: it never mixes demo data into a real deployment by accident.
"""

from __future__ import annotations

import os
import random
import secrets
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from loopdesk.accounts.models import User
from loopdesk.customers.models import Company
from loopdesk.demo.network import LOGIN_ORDER, build_customers, build_network, load_network
from loopdesk.demo.tickets import generate_tickets
from loopdesk.orgs.models import Organization
from loopdesk.tickets.models import Ticket

DEFAULT_CUSTOMERS = 500
# About seed 003's 466 requests a week over the 90 days of history.
DEFAULT_TICKETS = 6000

ROLE_HINTS = [
    ("admin", "超级管理员 · superuser (/admin/)"),
    ("manager", "总部服务经理 · service manager, sees the whole network"),
    ("agent", "北京分公司热线坐席 · hotline agent, Beijing branch queue"),
    ("engineer", "北京海淀服务中心工程师 · support engineer"),
    ("partner", "北京华信智达 (服务伙伴) · partner agent, dispatched tickets only"),
    ("customer", "客户联系人 · customer contact, portal (/portal/)"),
    ("dispatcher", "北京分公司调度员 · dispatcher"),
    ("field", "海淀现场工程师 · field engineer"),
    ("reviewer", "总部知识审核 · knowledge reviewer"),
    ("executive", "总部管理层 · executive, dashboards"),
]


def print_logins(write, password: str | None) -> None:
    """Print the demo logins as a small table (`write` is e.g. self.stdout.write)."""
    existing = set(User.objects.filter(username__in=LOGIN_ORDER, is_active=True).values_list("username", flat=True))
    write("Demo logins (user name / password):")
    for username, hint in ROLE_HINTS:
        if username in existing:
            write(f"  {username:<11} {password or '(password unknown)':<16} {hint}")


class Command(BaseCommand):
    help = "Generate a realistic demo service network with customers and 90 days of tickets."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=None,
                            help=f"customer companies to create (default {DEFAULT_CUSTOMERS}; 0 with --add)")
        parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, help="tickets to create")
        parser.add_argument("--days", type=int, default=90, help="history length in days (default 90)")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for reproducible data")
        parser.add_argument("--password", default=None,
                            help="password of every demo user (default: $LOOPDESK_DEMO_PASSWORD or a random one)")
        parser.add_argument("--add", action="store_true",
                            help="add customers/tickets to the demo network already in this database")
        parser.add_argument("--logins", action="store_true", help="only print the demo logins")
        parser.add_argument("--set-password", default=None, help="with --logins: give every demo login this password")
        parser.add_argument("--now", default=None, help="the moment the history ends (ISO 8601; default: now)")

    def handle(self, *args, customers, tickets, days, seed, password, add, logins, set_password, now, verbosity,
               **options) -> None:
        say = self.stdout.write if verbosity > 0 else (lambda *_a, **_k: None)
        if logins:
            if set_password:
                self._set_password(set_password)
            print_logins(self.stdout.write, set_password or password)
            return
        if tickets < 0 or (customers or 0) < 0 or days < 1:
            raise CommandError("--tickets and --customers must not be negative; --days at least 1.")
        moment = parse_datetime(now) if now else timezone.now()
        if moment is None:
            raise CommandError(f"--now: not an ISO 8601 date-time: {now!r}")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if seed is None:
            seed = random.SystemRandom().randrange(1_000_000)
        rng = random.Random(seed)
        # The shipped reference data (catalogue, calendars, SLA policies, workflows) must be there, and no
        # process cache may remember rows of a database that was flushed since.
        from loopdesk.core.caches import clear_all
        from loopdesk.core.reference import ensure_all

        ensure_all()
        clear_all()
        generated_password = not (password or os.environ.get("LOOPDESK_DEMO_PASSWORD"))
        password = password or os.environ.get("LOOPDESK_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        # Spread beyond one day's 99,999 numbers if asked for very many tickets over few days.
        if tickets / days > 60_000:
            raise CommandError(f"{tickets} tickets over {days} days exceeds the daily number range; use more --days.")

        if add:
            if customers is None:
                customers = 0
            try:
                load_network()
            except LookupError:
                raise CommandError("--add needs the demo network in this database; run `loopdesk demo` on an empty "
                                   "database first.") from None
            if customers:
                build_customers(rng=rng, count=customers, password=password, now=moment, customer_login=False)
        else:
            counts = {"users": User.objects.count(), "organisations": Organization.objects.count(),
                      "customers": Company.objects.count(), "tickets": Ticket.objects.count()}
            if any(counts.values()):
                found = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
                raise CommandError(
                    f"This database is not empty ({found}). `loopdesk demo` only fills an empty database; use "
                    "--add to add customers and tickets to an existing demo network deliberately, or point "
                    "DATABASE_URL / LOOPDESK_DATA_DIR at an empty one."
                )
            customers = DEFAULT_CUSTOMERS if customers is None else customers
            if customers < 1:
                raise CommandError("A new demo network needs at least one customer.")
            say(f"Building the service network (seed {seed}) …")
            build_network(rng=rng, password=password, now=moment)
            build_customers(rng=rng, count=customers, password=password, now=moment, customer_login=True)

        net = load_network()
        say(f"{len(net.companies)} customers; writing {tickets} tickets over {days} days …")

        def progress(done: int, events: int, seconds: float) -> None:
            if verbosity > 1 or (verbosity > 0 and done % 50_000 < 5000):
                say(f"  {done} tickets, {events} history events, {done / max(seconds, 1e-6):,.0f} tickets/s")

        written, events = generate_tickets(net=net, rng=rng, count=tickets, now=moment, days=days, progress=progress)
        say(self.style.SUCCESS(f"Done: {written} tickets with {events} history events (seed {seed})."))
        if not add:
            fill_the_rest(rng=rng, now=moment, say=say)
            if generated_password:
                say(f"Generated password for all demo users: {password}")
            print_logins(say, password)

    def _set_password(self, password: str) -> None:
        """Give every demo login `password` (one hash, like the generator)."""
        with transaction.atomic():
            updated = User.objects.filter(username__in=LOGIN_ORDER).update(password=make_password(password))
        if not updated:
            raise CommandError("No demo logins in this database.")


def fill_the_rest(*, rng: random.Random, now, say) -> None:
    """What the other capabilities show on a fresh demo: contracts, workflows bound, SLA clocks, knowledge
    articles, automation rules, problems and webhooks, self-service history. Each step is idempotent."""
    from loopdesk.demo.assist import build_assist_history
    from loopdesk.demo.contracts import seed_contracts
    from loopdesk.demo.knowledge_articles import create_knowledge_articles
    from loopdesk.demo.problems import seed_problems
    from loopdesk.demo.rules import create_demo_rules
    from loopdesk.demo.sla import seed_clocks
    from loopdesk.workflows.services import bind_unbound_tickets

    steps = [
        ("contracts", lambda: seed_contracts(rng=rng, now=now)),
        ("tickets bound to their workflows", bind_unbound_tickets),
        ("SLA clocks", lambda: seed_clocks(now=now)),
        ("knowledge articles", lambda: create_knowledge_articles(rng=rng)),
        ("automation rules", lambda: len(create_demo_rules())),
        ("problems", lambda: seed_problems(count=3)["problems"]),
        ("self-service history", lambda: build_assist_history(rng=rng, now=now)["views"]),
    ]
    for name, step in steps:
        started = time.monotonic()
        done = step()
        say(f"  {name}: {done} ({time.monotonic() - started:.1f}s)")

