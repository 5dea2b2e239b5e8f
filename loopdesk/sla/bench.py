"""`due_time_rate()`: due-time computations per second on one core (wired into `loopdesk bench`)."""

from __future__ import annotations

import datetime as dt
import random
import time

from . import cn
from .calendar import BusinessCalendar


def china_standard() -> BusinessCalendar:
    """The shipped China standard calendar, built without the database."""
    holidays = [day for day, kind, _name in cn.days() if kind == "holiday"]
    workdays = [day for day, kind, _name in cn.days() if kind == "workday"]
    weekly = [cn.STANDARD_HOURS if w in cn.STANDARD_DAYS else () for w in range(1, 8)]
    return BusinessCalendar(zone="Asia/Shanghai", weekly=weekly, holidays=holidays, workdays=workdays)


def due_time_rate(seconds: float = 3.0, *, seed: int = 7) -> float:
    """Computations per second of `add()` on the China standard calendar: random starts over 2025–2026
    (any minute, so many outside hours), targets from 8 business hours to 5 business days (450-minute
    days), one in five with a pause."""
    calendar = china_standard()
    rng = random.Random(seed)
    origin = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    cases = []
    for _ in range(2000):
        start = origin + dt.timedelta(minutes=rng.randrange(2 * 365 * 1440))
        pauses = ()
        if rng.random() < 0.2:
            begin = start + dt.timedelta(minutes=rng.randrange(2000))
            pauses = ((begin, begin + dt.timedelta(minutes=rng.randrange(10, 600))),)
        cases.append((start, rng.choice((480, 900, 1350, 2250)), pauses))
    for start, minutes, pauses in cases:  # warm the per-day cache, as a long-running process has it
        calendar.add(start, minutes, pauses)
    done, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        for start, minutes, pauses in cases:
            calendar.add(start, minutes, pauses)
        done += len(cases)
    return done / elapsed


def replan_open_tickets(n: int = 100_000) -> dict:
    """Insert `n` open tickets (bulk, not through services) with running clocks on the China standard
    calendar, time re-planning every running clock on that calendar after an edit (as
    `services.calendar_changed` does), then remove them. Returns a bench figure."""
    from django.utils import timezone

    from loopdesk.customers.models import Company
    from loopdesk.tickets.models import Ticket

    from .bulk import start_clocks_in_bulk
    from .models import Calendar, CalendarDay, Clock
    from .replan import replan_calendar
    from .services import ensure_standard_calendars, to_business_calendar

    ensure_standard_calendars()
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    company = Company.objects.order_by("pk").first()
    if company is None:
        raise RuntimeError("the bench database has no customer; fill it first (loopdesk demo)")
    rng = random.Random(11)
    now = timezone.now()
    prefix = f"B{int(time.time()) % 100000:05d}-"
    rows = [Ticket(number=f"{prefix}{i:07d}", title="bench", description="bench", company_id=company.pk,
                   owner_org_id=company.org_id, priority=rng.choice((1, 2, 3, 4)), status="in_progress",
                   phase="working", is_open=True, created_at=now - dt.timedelta(minutes=rng.randrange(1, 4 * 1440)),
                   updated_at=now) for i in range(n)]
    Ticket.objects.bulk_create(rows, batch_size=5000)
    mine = Ticket.objects.filter(number__startswith=prefix)
    try:
        start_clocks_in_bulk(mine, now=now)
        running = Clock.objects.filter(calendar=china, state="running").count()
        # The edit: tomorrow's first working day becomes a holiday, so almost every due time moves.
        business = to_business_calendar(china)
        day = business.next_opening(now + dt.timedelta(days=1)).astimezone(business.tz).date()
        while china.days.filter(date=day).exists() or not business.periods_on(day):
            day += dt.timedelta(days=1)
        holiday = CalendarDay.objects.create(calendar=china, date=day, kind="holiday", name="bench")
        china.save(update_fields=["updated_at"])
        began = time.perf_counter()
        replanned = replan_calendar(china.pk)
        seconds = time.perf_counter() - began
        holiday.delete()
        china.save(update_fields=["updated_at"])
        replan_calendar(china.pk)  # put the other clocks back as they were
    finally:
        Clock.objects.filter(ticket_id__in=mine.values("pk"))._raw_delete(Clock.objects.db)
        mine._raw_delete(Ticket.objects.db)
    return {"name": "sla.replan_100k_open_tickets", "value": round(seconds, 2), "unit": "s", "target": 60,
            "ok": seconds <= 60, "tickets": n, "clocks": replanned, "running_on_calendar": running}


def receiver_cost(n: int = 200) -> dict:
    """Milliseconds per `create_ticket` with and without the SLA clock receiver (`n` creates a batch, five batches each, alternating, in
    a transaction that is rolled back). A measuring script, not a test: run it on a filled database."""
    from django.db import transaction

    from loopdesk.customers.models import Company
    from loopdesk.tickets import services as tickets
    from loopdesk.tickets.signals import ticket_event, tickets_created

    from .clocks import on_ticket_event, on_tickets_created

    companies = list(Company.objects.select_related("org").order_by("pk")[:50])

    def run() -> float:
        began = time.perf_counter()
        for i in range(n):
            tickets.create_ticket(actor=None, title=f"bench {i}", description="bench", company=companies[i % len(companies)],
                                  priority=1 + i % 4)
        return (time.perf_counter() - began) * 1000 / n

    import statistics

    def batch(connected: bool) -> float:
        if not connected:
            ticket_event.disconnect(dispatch_uid="sla-clocks")
            tickets_created.disconnect(dispatch_uid="sla-clocks-start")
        try:
            with transaction.atomic():
                ms = run()
                transaction.set_rollback(True)
        finally:
            ticket_event.connect(on_ticket_event, dispatch_uid="sla-clocks")
            tickets_created.connect(on_tickets_created, dispatch_uid="sla-clocks-start")
        return ms

    batch(True)  # warm the caches
    rounds = 5
    with_, without = [], []
    for _ in range(rounds):  # alternate, so that load from elsewhere hits both alike
        with_.append(batch(True))
        without.append(batch(False))
    extra = statistics.median(w - o for w, o in zip(with_, without, strict=True))
    return {"name": "sla.receiver_cost_per_create", "value": round(extra, 3), "unit": "ms", "n": n * rounds,
            "with_ms": round(statistics.median(with_), 3), "without_ms": round(statistics.median(without), 3)}
