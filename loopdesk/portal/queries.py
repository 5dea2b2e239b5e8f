"""Reads for the portal: a contact's requests (filtered, searched, paged by keyset) and the public
side of one request. Everything starts from `.visible_to(user)`; nothing internal is ever selected."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from loopdesk.accounts.scope import scope_for
from loopdesk.assets.models import Asset
from loopdesk.assist.models import ArticleView
from loopdesk.assist.services import customer_company_id
from loopdesk.assist.training import predict
from loopdesk.customers.models import Company, Contact
from loopdesk.knowledge.models import Article
from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Attachment, Event, Ticket
from loopdesk.tickets.services import allowed_transitions

from .words import FINISHED_STATUSES, STATUS_CHANGE_WORDS, status_words

PAGE_SIZE = 25
STATES = ("all", "open", "finished")


def companies_of(user) -> QuerySet[Company]:
    """The companies the contact speaks for (usually one)."""
    return Company.objects.filter(id__in=scope_for(user).company_ids).order_by("name")


def assets_of(user) -> QuerySet[Asset]:
    """The installed products the contact may raise a request about."""
    return (
        Asset.objects.visible_to(user).filter(status=Asset.Status.ACTIVE)
        .select_related("company", "product_version__product").order_by("company__name", "product_version__product__name", "serial")
    )


def requests_of(user, *, state: str = "all", q: str = "") -> QuerySet[Ticket]:
    """The contact's requests, newest first, optionally only open/finished ones or matching `q`."""
    qs = Ticket.objects.visible_to(user).select_related("company", "asset__product_version__product")
    if state == "open":
        qs = qs.exclude(status__in=FINISHED_STATUSES)
    elif state == "finished":
        qs = qs.filter(status__in=FINISHED_STATUSES)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(title__icontains=q))
    return qs.order_by("-created_at", "-id")


def counts_of(user) -> dict[str, int]:
    """How many requests fall under each tab (two COUNT queries)."""
    base = Ticket.objects.visible_to(user)
    finished = base.filter(status__in=FINISHED_STATUSES).count()
    total = base.count()
    return {"all": total, "open": total - finished, "finished": finished}


def encode_cursor(ticket: Ticket) -> str:
    return f"{ticket.created_at.isoformat()}_{ticket.pk}"


def decode_cursor(raw: str) -> tuple[datetime.datetime, int] | None:
    """(created_at, id) of the last row of the previous page, or None if the cursor is unusable."""
    stamp, _sep, pk = (raw or "").rpartition("_")
    at = parse_datetime(stamp) if stamp else None
    if at is None or not pk.isdigit():
        return None
    if timezone.is_naive(at):
        at = timezone.make_aware(at, datetime.UTC)
    return at, int(pk)


@dataclass
class Page:
    rows: list[Ticket]
    next_cursor: str | None
    is_first: bool


def page_of(qs: QuerySet[Ticket], cursor: str = "", size: int | None = None) -> Page:
    """One page by keyset on (created_at, id): constant cost however deep the contact pages."""
    size = size or PAGE_SIZE
    after = decode_cursor(cursor)
    if after:
        at, pk = after
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_cursor=encode_cursor(rows[-1]) if more else None, is_first=after is None)


def get_request(user, pk: int) -> Ticket:
    """The request if the contact's companies own it; Ticket.DoesNotExist otherwise (→ 404)."""
    return (
        Ticket.objects.visible_to(user)
        .select_related("company", "contact", "asset__product_version__product", "merged_into")
        .get(pk=pk)
    )


@dataclass
class Entry:
    """One line of the public conversation."""

    kind: str  # created | comment | status | file | merged
    at: datetime.datetime
    who: str = ""
    from_customer: bool = False
    text: str = ""
    body: str = ""
    status: str = ""
    files: list[Attachment] = field(default_factory=list)


def _name(user: Any, customer_ids: set[int]) -> tuple[str, bool]:
    if user is None:
        return _("System"), False
    return str(user), user.pk in customer_ids


def public_timeline(ticket: Ticket) -> list[Entry]:
    """The request's story as the customer may see it: public replies and files, its creation and
    its status changes. Internal notes, internal files and internal events are filtered in the query."""
    customer_ids = set(
        Contact.objects.filter(company_id=ticket.company_id, user__isnull=False).values_list("user_id", flat=True)
    )
    files = list(ticket.attachments.filter(internal=False).select_related("uploaded_by"))
    files_by_comment: dict[int, list[Attachment]] = {}
    for f in files:
        if f.comment_id:
            files_by_comment.setdefault(f.comment_id, []).append(f)
    comments = {c.pk: c for c in ticket.comments.filter(internal=False).select_related("author")}
    events = ticket.events.filter(
        internal=False, kind__in=[Event.Kind.CREATED, Event.Kind.STATUS, Event.Kind.MERGED]
    ).select_related("actor")

    entries: list[Entry] = []
    shown_comments: set[int] = set()
    shown_files: set[int] = set()
    for ev in events:
        who, from_customer = _name(ev.actor, customer_ids)
        if ev.kind == Event.Kind.CREATED:
            entries.append(Entry("created", ev.at, who, from_customer, _("Request submitted.")))
            continue
        if ev.kind == Event.Kind.MERGED:
            if ev.data.get("into"):
                text = _("Merged into request %(number)s, where it continues.") % {"number": ev.data["into"]}
            else:
                text = _("Request %(number)s was merged into this one.") % {"number": ev.data.get("from", "")}
            entries.append(Entry("merged", ev.at, who, from_customer, text))
            continue
        old, new = (ev.changes.get("status") or [None, None])[:2]
        reason = ev.data.get("reason")
        if reason == "customer_reply":
            text = _("Back with the service team after your reply.")
        elif reason == "auto_close":
            text = _("Closed automatically: the resolution was not answered within %(days)d days.") % {
                "days": settings.LOOPDESK_AUTO_CLOSE_DAYS
            }
        elif new == Status.IN_PROGRESS and old in (Status.RESOLVED, Status.CLOSED):
            text = _("The request was reopened.")
        elif new == Status.CLOSED and old == Status.RESOLVED and from_customer:
            text = _("The resolution was confirmed and the request closed.")
        else:
            text = str(STATUS_CHANGE_WORDS.get(new, status_words(new)))
        body = ev.data.get("resolution", "")
        comment_id = ev.data.get("comment_id")
        if comment_id in comments:
            # A reason given with the change (e.g. why the customer reopened) belongs to this entry.
            body = "\n\n".join(x for x in (body, comments[comment_id].body) if x)
            shown_comments.add(comment_id)
        entries.append(Entry("status", ev.at, who, from_customer, text, body=body, status=new or ""))
    for c in comments.values():
        if c.pk in shown_comments:
            continue
        who, from_customer = _name(c.author, customer_ids)
        attached = files_by_comment.get(c.pk, [])
        shown_files.update(f.pk for f in attached)
        entries.append(Entry("comment", c.created_at, who, from_customer, body=c.body, files=attached))
    for f in files:
        if f.pk in shown_files:
            continue
        who, from_customer = _name(f.uploaded_by, customer_ids)
        entries.append(Entry("file", f.created_at, who, from_customer, files=[f]))
    entries.sort(key=lambda e: e.at)
    return entries


@dataclass
class Actions:
    """What the contact may do with the request right now."""

    confirm: bool
    reopen: bool
    withdraw: bool
    reply: bool
    reopen_until: datetime.datetime | None


def actions_for(ticket: Ticket, *, now: datetime.datetime | None = None) -> Actions:
    window = datetime.timedelta(days=settings.LOOPDESK_REOPEN_WINDOW_DAYS)
    allowed = allowed_transitions(ticket, actor=None, customer=True, now=now or timezone.now())
    return Actions(
        confirm=ticket.status == Status.RESOLVED and Status.CLOSED in allowed,
        reopen=Status.IN_PROGRESS in allowed,
        withdraw=Status.CANCELLED in allowed,
        reply=ticket.status not in FINISHED_STATUSES,
        reopen_until=ticket.resolved_at + window if ticket.resolved_at else None,
    )


# -- help centre -----------------------------------------------------------------------------------

POPULAR = 10


def visible_articles(user):
    return Article.objects.visible_to(user).filter(status="published")


def popular_articles(user, n: int = POPULAR) -> list[Article]:
    """The articles this contact may read that customers read most in the last 90 days, topped up
    with the most helpful ones."""
    visible = visible_articles(user)
    since = timezone.now() - datetime.timedelta(days=90)
    read = list(ArticleView.objects.filter(at__gte=since, article__in=visible.values("id"))
                .values("article_id").annotate(n=Count("id")).order_by("-n", "article_id")
                .values_list("article_id", flat=True)[:n])
    by_id = Article.objects.in_bulk(read)
    out = [by_id[i] for i in read if i in by_id]
    if len(out) < n:
        out += list(visible.exclude(pk__in=read).order_by("-helpful_count", "-published_at", "-id")[:n - len(out)])
    return out


def home_product_id(company_id: int | None) -> int | None:
    """The product the customer asked about last (else the one they run)."""
    if company_id is None:
        return None
    last = (Ticket.objects.filter(company_id=company_id, asset__isnull=False).order_by("-created_at")
            .values_list("asset__product_version__product_id", flat=True).first())
    if last:
        return last
    return (Asset.objects.filter(company_id=company_id, status="active")
            .values_list("product_version__product_id", flat=True).order_by("pk").first())


def next_questions(user) -> list:
    company_id = customer_company_id(user)
    return predict(company_id, home_product_id(company_id), user=user) if company_id else []


@dataclass
class Promise:
    """One target of the customer's SLA on a request, as the contact sees it (no OLA, no policy name)."""

    metric: str
    label: str
    state: str  # met / missed / paused / due / overdue
    due_at: datetime.datetime | None
    done_at: datetime.datetime | None


def service_levels(ticket: Ticket) -> list[Promise]:
    """The request's current SLA targets (first response, on-site arrival, resolution): met or missed
    once stopped, else when they are due, or paused while the team waits for the customer."""
    from loopdesk.sla.models import Clock, Metric, Party, Policy

    shown = (Metric.FIRST_RESPONSE, Metric.ONSITE_ARRIVAL, Metric.RESOLUTION)
    clocks = Clock.objects.filter(
        ticket=ticket, current=True, party=Party.CUSTOMER, kind=Policy.Kind.SLA, metric__in=shown,
    ).only("metric", "state", "due_at", "stopped_at", "met", "breached_at")
    now = timezone.now()
    promises = []
    for clock in sorted(clocks, key=lambda c: shown.index(c.metric)):
        if clock.state == Clock.State.STOPPED:
            state = "met" if clock.met else "missed"
        elif clock.state == Clock.State.PAUSED:
            state = "paused"
        else:
            state = "overdue" if clock.breached_at or (clock.due_at and clock.due_at < now) else "due"
        promises.append(Promise(clock.metric, Metric(clock.metric).label, state, clock.due_at, clock.stopped_at))
    return promises
