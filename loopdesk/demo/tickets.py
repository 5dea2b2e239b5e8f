"""Ninety days of tickets with their history, written in bulk but shaped like real traffic.

Each ticket gets a planned life (routed, accepted, worked, maybe dispatched to a partner, maybe waiting
for the customer, resolved, confirmed or auto-closed, or cancelled) with times drawn from the type and
priority; the plan is cut at "now", so old tickets are mostly closed and recent ones open. The ticket's
fields are derived from the events that happened (status, is_open, accepted/resolved/closed times,
assignment, updated_at), exactly as the services would have left them. Numbers follow
tickets.services (local date + 5-digit daily sequence) and the daily Counter rows are advanced so new
tickets continue the sequence.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import DateTimeField, F, JSONField
from django.db.models.functions import Greatest

from loopdesk.core.models import Counter
from loopdesk.customers.models import Company
from loopdesk.tickets.choices import OPEN_STATUSES, STATUS_PHASE, priority_for
from loopdesk.tickets.models import Comment, Event, Ticket

from . import vocab
from .network import Network

DAY, HOUR, MIN = 86400, 3600, 60
TZ_OFFSET = 8 * HOUR  # Asia/Shanghai: UTC+8 all year (no DST since 1991)
BATCH = 5000
UTC = datetime.UTC

# Median time from "in progress" to "resolved" by type, in hours (log-normal around it).
WORK_HOURS = {"consultation": 2, "incident": 10, "service_request": 24, "work_order": 48, "complaint": 24,
              "problem": 240}
TECHNICAL = {"IT 环境", "安装部署", "数据处理", "产品缺陷"}


@dataclass
class Step:
    at: float
    kind: str
    actor: int | None
    changes: dict
    data: dict
    internal: bool = False
    comment: tuple[str, bool] | None = None  # (body, internal) for a comment written with this event


def _business(t: float, rng: random.Random) -> float:
    """Move a time outside 08:00–19:00 local to the next morning (most teams have no night shift)."""
    local = t + TZ_OFFSET
    hour = (local % DAY) / HOUR
    if 8 <= hour < 19 or rng.random() < 0.15:
        return t
    day_start = local - local % DAY + (DAY if hour >= 19 else 0)
    return day_start + 8.5 * HOUR + rng.random() * 40 * MIN - TZ_OFFSET


def _created_times(rng: random.Random, count: int, start: float, end: float) -> list[float]:
    """`count` request times in [start, end), following the weekday and hour-of-day pattern."""
    slots, weights = [], []
    t = start - start % HOUR
    while t < end:
        local = t + TZ_OFFSET
        weekday = (int(local // DAY) + 3) % 7  # 1970-01-01 was a Thursday
        slots.append(t)
        weights.append(vocab.HOUR_WEIGHTS[int(local % DAY // HOUR)] * vocab.WEEKDAY_WEIGHTS[weekday])
        t += HOUR
    cum = list(itertools.accumulate(weights))
    times = [min(max(s + rng.random() * HOUR, start), end - 1 - rng.random() * 300)
             for s in rng.choices(slots, cum_weights=cum, k=count)]
    times.sort()
    return times


class TicketWriter:
    """Plans and writes tickets in batches for one network."""

    def __init__(self, net: Network, rng: random.Random, now: datetime.datetime) -> None:
        self.net, self.rng, self.now = net, rng, now.timestamp()
        self.companies = net.companies
        self.company_cum = list(itertools.accumulate(c.weight for c in net.companies))
        self.cat_cum = list(itertools.accumulate(w for _i, _t, w in net.categories))
        self.types, self.type_cum = zip(*vocab.TYPE_WEIGHTS, strict=True)
        self.type_cum = list(itertools.accumulate(self.type_cum))
        self.channels, self.channel_cum = zip(*vocab.CHANNEL_WEIGHTS, strict=True)
        self.channel_cum = list(itertools.accumulate(self.channel_cum))
        self.served: set[tuple[int, int]] = set()  # (company, partner) pairs to record
        self.days: dict[str, int] = {
            name.removeprefix("ticket:"): value
            for name, value in Counter.objects.filter(name__startswith="ticket:").values_list("name", "value")
        }
        self._day_names: dict[int, str] = {}
        self.tables = {model: Table(model) for model in (Ticket, Comment, Event)}

    # -- numbers ----------------------------------------------------------------------------------
    def number(self, t: float) -> str:
        d = int((t + TZ_OFFSET) // DAY)
        day = self._day_names.get(d)
        if day is None:
            day = self._day_names[d] = datetime.datetime.fromtimestamp(d * DAY, UTC).strftime("%Y%m%d")
        seq = self.days.get(day, 0) + 1
        if seq > 99_999:
            raise ValueError(f"more than 99,999 tickets on {day}: spread them over more days")
        self.days[day] = seq
        return f"{day}{seq:05d}"

    # -- one ticket ---------------------------------------------------------------------------------
    def plan(self, t0: float, company) -> tuple[dict, list[Step]]:
        rng, net = self.rng, self.net
        branch = net.branches[company.branch]
        ttype = self.types[bisect.bisect(self.type_cum, rng.random() * self.type_cum[-1])]
        channel = self.channels[bisect.bisect(self.channel_cum, rng.random() * self.channel_cum[-1])]
        cat_id, top, _w = net.categories[bisect.bisect(self.cat_cum, rng.random() * self.cat_cum[-1])]
        if top == "产品缺陷":
            ttype = "problem" if rng.random() < 0.5 else "incident"
        elif top == "投诉与建议":
            ttype = "complaint" if rng.random() < 0.7 else "consultation"
        contacts = company.contacts
        portal = [c for c in contacts if c[3]]
        if channel == "portal" and not portal:
            channel = "phone"
        contact = rng.choice(portal) if channel == "portal" else (rng.choice(contacts) if contacts else None)
        if company.id == net.customer_company_id and portal and rng.random() < 0.7:
            contact = portal[0]
        asset = rng.choice(company.assets) if company.assets and rng.random() < 0.75 else None
        product, version = (asset[1], asset[2]) if asset else company.product
        impact = rng.choices((1, 2, 3), (8, 52, 40))[0]
        urgency = rng.choices((1, 2, 3), (10, 55, 35))[0]
        if company.vip >= 2 and urgency > 1 and rng.random() < 0.5:
            urgency -= 1
        if ttype == "complaint":
            urgency = min(urgency, 2)
        priority = priority_for(impact, urgency)
        title = rng.choice(vocab.TITLES[top]).format(p=product, v=version)
        who = f"{contact[1]} {contact[2]}" if contact else "未留联系人"
        description = f"{title}。{rng.choice(vocab.DETAILS)}产品：{product} {version}。联系人：{who}。"
        customer_user = contact[3] if contact else None
        if channel in ("portal",):
            creator = customer_user
        elif channel in ("email", "api"):
            creator = None  # arrived by mail or integration: created by the system
        else:
            creator = rng.choice(branch.tier1)

        # Who handles it: field work at the service centre, technical issues at tier 2, problems at HQ.
        centre = branch.centre_groups.get(company.org_id)
        if ttype == "problem":
            group, handlers = net.hq_group, net.hq_experts
        elif centre and (ttype == "work_order" or rng.random() < 0.35):
            group, handlers = centre
        elif top in TECHNICAL or ttype == "incident" and rng.random() < 0.5:
            group, handlers = branch.tier2_group, branch.tier2
        else:
            group, handlers = branch.tier1_group, branch.tier1
        handler = creator if creator in handlers else rng.choice(handlers)
        router = creator if creator in branch.tier1 else rng.choice(branch.tier1)

        steps = [Step(t0, Event.Kind.CREATED, creator, {}, {"channel": channel, "priority": priority, "type": ttype})]
        t = t0
        quick = ttype == "consultation" and channel in ("phone", "chat", "wechat") and rng.random() < 0.5
        state = {"group": None, "assignee": None, "partner_org": None}

        def assign(at: float, actor: int | None, **new) -> None:
            changes = {k: [state[k], v] for k, v in new.items() if state[k] != v}
            state.update(new)
            data = {"group": net.group_names.get(state["group"], ""), "assignee": net.names.get(state["assignee"], ""),
                    "partner": net.org_names.get(state["partner_org"], "")}
            steps.append(Step(at, Event.Kind.ASSIGNED, actor, changes, data))

        def status(at: float, actor: int | None, old: str, new: str, data: dict | None = None) -> None:
            steps.append(Step(at, Event.Kind.STATUS, actor, {"status": [old, new]}, data or {}))

        if quick:  # first-contact resolution: answered and closed on the call
            handler = creator if creator in branch.tier1 else handler
            assign(t + rng.uniform(20, 60), handler, group=branch.tier1_group, assignee=handler)
            status(t + rng.uniform(60, 120), handler, "new", "in_progress")
            t_res = t + rng.uniform(3, 25) * MIN
            resolution = rng.choice(vocab.RESOLUTIONS.get(top, vocab.RESOLUTION_DEFAULT))
            status(t_res, handler, "in_progress", "resolved", {"resolution": resolution})
            status(t_res + rng.uniform(30, 300), handler, "resolved", "closed", {"reason": "confirmed_on_call"})
            return self._ticket(t0, company, ttype, channel, cat_id, contact, asset, impact, urgency, priority,
                                title, description, creator, steps, resolution), steps

        t = _business(t + rng.uniform(1, 20 if priority > 1 else 5) * MIN, rng)
        with_person = rng.random() < 0.5
        assign(t, router, group=group, **({"assignee": handler} if with_person else {}))
        accept_median = {1: 8, 2: 25, 3: 50, 4: 120}[priority] * MIN
        t = _business(t + rng.lognormvariate(0, 0.7) * accept_median, rng)
        if rng.random() < 0.03:  # withdrawn or a duplicate: cancelled before anyone started
            status(t, customer_user or router, "new", "cancelled", {"reason": "withdrawn"})
            return self._ticket(t0, company, ttype, channel, cat_id, contact, asset, impact, urgency, priority,
                                title, description, creator, steps, ""), steps
        if not with_person:
            assign(t, handler, assignee=handler)  # taken from the group queue when starting work
        if rng.random() < 0.6:
            status(t, handler, "new", "accepted")
            t += rng.uniform(1, 45) * MIN
            status(t, handler, "accepted", "in_progress")
        else:
            status(t, handler, "new", "in_progress")
        partners = branch.partners
        if partners and ttype != "problem" and rng.random() < 0.12:
            partner_org, agents = partners[0] if len(partners) == 1 else rng.choice(partners)
            t += rng.uniform(10, 180) * MIN
            assign(t, handler, partner_org=partner_org, assignee=rng.choice(agents))
            self.served.add((company.id, partner_org))
            handler = state["assignee"]
        if rng.random() < 0.35:
            t += rng.uniform(5, 90) * MIN
            body = rng.choice(vocab.REPLIES)
            steps.append(Step(t, Event.Kind.COMMENTED, handler, {}, {"internal": False, "body": body},
                              comment=(body, False)))
        if rng.random() < 0.2:
            t += rng.uniform(5, 120) * MIN
            body = rng.choice(vocab.NOTES)
            steps.append(Step(t, Event.Kind.COMMENTED, handler, {}, {"internal": True, "body": body}, internal=True,
                              comment=(body, True)))
        work = rng.lognormvariate(0, 1.25) * WORK_HOURS[ttype] * HOUR / {1: 3, 2: 1.5}.get(priority, 1)
        if rng.random() < 0.22:  # needs something from the customer first
            t += rng.uniform(0.1, 0.5) * work
            status(t, handler, "in_progress", "waiting_customer")
            t += rng.lognormvariate(0, 0.9) * 18 * HOUR
            if customer_user:
                body = "已按要求提供截图和日志，请查看。"
                steps.append(Step(t, Event.Kind.COMMENTED, customer_user, {}, {"internal": False, "body": body},
                                  comment=(body, False)))
                status(t, customer_user, "waiting_customer", "in_progress", {"reason": "customer_reply"})
            else:
                status(t, handler, "waiting_customer", "in_progress")
        t = _business(t + work, rng)
        resolution = rng.choice(vocab.RESOLUTIONS.get(top, vocab.RESOLUTION_DEFAULT))
        status(t, handler, "in_progress", "resolved", {"resolution": resolution})
        if rng.random() < 0.5:
            status(t + rng.uniform(1, 96) * HOUR, customer_user or handler, "resolved", "closed", {"reason": "confirmed"})
        else:  # nobody answered: the auto-close job (every 15 minutes) closes it after 7 days
            status(t + 7 * DAY + rng.uniform(0, 15) * MIN, None, "resolved", "closed", {"reason": "auto_close"})
        return self._ticket(t0, company, ttype, channel, cat_id, contact, asset, impact, urgency, priority, title,
                            description, creator, steps, resolution), steps

    def _ticket(self, t0, company, ttype, channel, cat_id, contact, asset, impact, urgency, priority, title,
                description, creator, steps: list[Step], resolution: str) -> dict:
        """Cut the plan at now and derive the ticket's fields from what happened."""
        now = self.now
        done = [s for s in steps if s.at <= now]
        steps[:] = done
        st, accepted, resolved, closed = "new", None, None, None
        assigned = {"group": None, "assignee": None, "partner_org": None}
        for s in done:
            if s.kind == Event.Kind.STATUS:
                st = s.changes["status"][1]
                if st in ("accepted", "in_progress") and accepted is None:
                    accepted = s.at
                elif st == "resolved":
                    resolved = s.at
                elif st == "closed":
                    closed = s.at
            elif s.kind == Event.Kind.ASSIGNED:
                assigned.update({k: v[1] for k, v in s.changes.items()})
        dt = _dt
        return {
            "number": self.number(t0), "type": ttype, "title": title, "description": description, "status": st,
            "is_open": st in OPEN_STATUSES, "phase": STATUS_PHASE[st], "impact": impact, "urgency": urgency,
            "priority": priority, "due_at": None,
            "channel": channel, "category_id": cat_id, "company_id": company.id,
            "contact_id": contact[0] if contact else None, "asset_id": asset[0] if asset else None,
            "owner_org_id": company.org_id, "partner_org_id": assigned["partner_org"], "group_id": assigned["group"],
            "assignee_id": assigned["assignee"], "created_by_id": creator, "resolution": resolution if resolved else "",
            "custom_fields": {}, "created_at": dt(t0), "updated_at": dt(done[-1].at), "accepted_at": dt(accepted),
            "resolved_at": dt(resolved), "closed_at": dt(closed),
        }

    # -- batches ------------------------------------------------------------------------------------
    def write(self, times: list[float], forced: set[int], offset: int) -> tuple[int, int]:
        """Plan and insert one batch; return (tickets, events) written.

        Rows go in as plain tuples (COPY on PostgreSQL) with ids reserved from the table's sequence:
        building and preparing a model instance per row would cost more than everything else."""
        rng, companies = self.rng, self.companies
        customer = next((c for c in companies if c.id == self.net.customer_company_id), None)
        planned = []
        for i, t0 in enumerate(times):
            if customer is not None and offset + i in forced:
                company = customer
            else:
                company = companies[bisect.bisect(self.company_cum, rng.random() * self.company_cum[-1])]
            planned.append(self.plan(t0, company))
        with transaction.atomic():
            ids = _reserve_ids(Ticket, len(planned))
            comments, events = [], []
            for pk, (ticket, _steps) in zip(ids, planned, strict=True):
                ticket["id"] = pk
            n_comments = sum(1 for _t, steps in planned for s in steps if s.comment)
            comment_ids = iter(_reserve_ids(Comment, n_comments))
            for ticket, steps in planned:
                for s in steps:
                    data = s.data
                    if s.comment:
                        cid = next(comment_ids)
                        comments.append({"id": cid, "ticket_id": ticket["id"], "author_id": s.actor,
                                         "body": s.comment[0], "internal": s.comment[1], "created_at": _dt(s.at)})
                        data = {"comment_id": cid, **data}
                    events.append({"ticket_id": ticket["id"], "at": _dt(s.at), "actor_id": s.actor, "kind": s.kind,
                                   "changes": s.changes, "data": data, "internal": s.internal})
            self.tables[Ticket].insert([t for t, _s in planned])
            self.tables[Comment].insert(comments)
            self.tables[Event].insert(events)
        return len(planned), len(events)

    def finish(self) -> None:
        """Record partner service relations and advance the daily number counters."""
        Through = Company.partners.through
        Through.objects.bulk_create(
            [Through(company_id=c, organization_id=p) for c, p in sorted(self.served)], ignore_conflicts=True
        )
        with transaction.atomic():
            existing = set(Counter.objects.filter(name__startswith="ticket:").values_list("name", flat=True))
            Counter.objects.bulk_create([Counter(name=f"ticket:{d}", value=v) for d, v in self.days.items()
                                         if f"ticket:{d}" not in existing])
            for day, value in self.days.items():
                if f"ticket:{day}" in existing:
                    Counter.objects.filter(name=f"ticket:{day}").update(value=Greatest(F("value"), value))


class Table:
    """Writes rows of one model as plain tuples: every concrete column, prepared the way the model's
    fields would prepare them, with field defaults for columns the generator does not set."""

    def __init__(self, model) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.defaults = {f.attname: self.prepare(f, f.get_default()) for f in self.fields if not f.primary_key}

    @staticmethod
    def prepare(field, value):
        if value is None:
            return None
        if isinstance(field, JSONField):
            return json.dumps(value)  # what JSONField stores (ensure_ascii as Django's default encoder)
        if isinstance(field, DateTimeField):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    def insert(self, rows: list[dict]) -> None:
        if not rows:
            return
        prep, defaults = self.prepare, self.defaults
        fields = [f for f in self.fields if not f.primary_key or f.attname in rows[0]]  # no id: the database's
        plan = [(f.attname, f) for f in fields]
        tuples = [tuple(prep(f, row[a]) if a in row else defaults[a] for a, f in plan) for row in rows]
        qn = connection.ops.quote_name
        table = qn(self.model._meta.db_table)
        columns = ", ".join(qn(f.column) for f in fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY streams the rows (Django's psycopg cursor would otherwise send one statement per row).
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in tuples:
                        copy.write_row(row)
                return
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
            cursor.executemany(sql, tuples)


def _reserve_ids(model, n: int) -> list[int]:
    """n primary keys the database will never hand out itself (call inside the writing transaction)."""
    if n == 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, n])
            return [row[0] for row in cursor.fetchall()]
        # SQLite AUTOINCREMENT: above both the highest id and the highest ever issued (sqlite_sequence).
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + n))


def _dt(t: float | None) -> datetime.datetime | None:
    return None if t is None else datetime.datetime.fromtimestamp(t, UTC)


def generate_tickets(*, net: Network, rng: random.Random, count: int, now: datetime.datetime, days: int = 90,
                     progress: Callable[[int, int, float], None] | None = None) -> tuple[int, int]:
    """Write `count` tickets over the last `days` days; return (tickets, events)."""
    if count <= 0:
        return 0, 0
    if not net.companies:
        raise ValueError("no customers to raise tickets for")
    writer = TicketWriter(net, rng, now)
    end = now.timestamp()
    times = _created_times(rng, count, end - days * DAY, end)
    # The `customer` login's company always has a history worth showing (about 0.25 %, at least 12).
    forced = set(rng.sample(range(count), min(count, max(12, count // 400)))) if net.customer_company_id else set()
    started, written, events = time.monotonic(), 0, 0
    for start in range(0, count, BATCH):
        n, e = writer.write(times[start:start + BATCH], forced, start)
        written, events = written + n, events + e
        if progress:
            progress(written, events, time.monotonic() - started)
    writer.finish()
    return written, events
