"""The agent's queues: mine, my groups', unassigned and everything I may see.

Built for millions of tickets: every page is one indexed, keyset-paginated query over
`Ticket.objects.visible_to(user)` (never OFFSET), and the tab counts are one aggregate over open
tickets only (closed tickets are never counted).
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Q, Subquery, Value
from django.db.models.functions import Concat
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from loopdesk.accounts.models import Group, User
from loopdesk.accounts.scope import scope_for
from loopdesk.core.customfields import definitions
from loopdesk.core.models import CustomField
from loopdesk.customers.models import Company

from ..choices import Priority
from ..forms import QueueFilterForm
from ..models import Category, Ticket, status_label
from .common import staff_only

PAGE_SIZE = 50
COUNT_CAP = 100  # a tab shows "100+" beyond this: an exact figure would mean counting every open row

# What a queue row shows: only these columns are read, as plain values (no model instances: fifty
# rows with four related objects each cost more to build than the query takes).
ROW_VALUES = (
    "id", "number", "title", "status", "priority", "created_at", "updated_at", "due_at", "is_open",
    "workflow_version_id", "company__name", "category_id", "category__name", "category__full_name", "group_id",
    "group__name", "assignee_id", "assignee__username", "assignee__display_name", "assignee__first_name",
    "assignee__last_name",
)

# sort key → (ORDER BY, the columns a keyset cursor carries)
SORTS: dict[str, tuple[str, ...]] = {
    "updated": ("-updated_at", "-id"),
    "created": ("-created_at", "-id"),
    # Most urgent first and, within a priority, first come first served (index tk_open_priority).
    "priority": ("priority", "id"),
    # Time to breach: soonest due first, tickets without a running clock last (see due_rows).
    "due": ("due_at", "id"),
}

# The "time to breach" filter: breached, or not yet breached but due within the window.
DUE_WINDOWS = {"1h": datetime.timedelta(hours=1), "4h": datetime.timedelta(hours=4)}
SOON = datetime.timedelta(hours=1)  # the row badge turns amber below this


def my_group_ids(user) -> list[int]:
    """The user's assignment groups, as a short literal list: the planner then walks tk_group_queue
    in order (a subquery would not). Branch staff's scope already knows them."""
    scope = scope_for(user)
    known = getattr(scope, "group_ids", None)
    if not scope.all and known is not None:
        return sorted(known)
    return list(Group.objects.filter(members=user).values_list("id", flat=True))


def tab_filter(tab: str, user, group_ids: list[int]) -> Q:
    if tab == "mine":
        return Q(assignee=user)
    if tab == "groups":
        return Q(group_id__in=group_ids)
    if tab == "unassigned":
        return Q(assignee__isnull=True)
    return Q()


def tab_counts(user, group_ids: list[int]) -> dict[str, int]:
    """Open tickets per tab, counted up to COUNT_CAP: each count reads at most COUNT_CAP index
    entries, so a headquarters queue with 100,000 open tickets costs what a small one does.
    The four capped counts travel in one statement (one round trip instead of four)."""
    base = Ticket.objects.visible_to(user).filter(is_open=True)
    parts, params, codes = [], [], []
    for code, _label in QueueFilterForm.TABS:
        if code == "groups" and not group_ids:
            continue
        sql, part_params = base.filter(tab_filter(code, user, group_ids)).values("id")[:COUNT_CAP].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{code})")
        params.extend(part_params)
        codes.append(code)
    counts = dict.fromkeys((code for code, _label in QueueFilterForm.TABS), 0)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counts.update(zip(codes, cursor.fetchone(), strict=True))
    return counts


def _custom_field_q(key: str, value: str) -> Q:
    """Match a custom field stored as JSON: compare as the field's type when it is known."""
    kinds = {d.kind for d in definitions("ticket") if d.key == key} or {CustomField.Kind.TEXT}
    lookup = f"custom_fields__{key}"
    q = Q(**{lookup: value})
    if CustomField.Kind.NUMBER in kinds:
        try:
            number = float(value)
            q |= Q(**{lookup: int(number) if number.is_integer() else number})
        except ValueError:
            pass
    if CustomField.Kind.BOOLEAN in kinds and value.lower() in {"true", "false", "1", "0", "是", "否", "yes", "no"}:
        q |= Q(**{lookup: value.lower() in {"true", "1", "是", "yes"}})
    return q


def filtered_tickets(user, p: dict[str, Any], group_ids: list[int]):
    """The queue's queryset (unordered, unpaginated) for the cleaned filter parameters `p`."""
    qs = Ticket.objects.visible_to(user).filter(tab_filter(p["tab"], user, group_ids))
    status = p["status"]
    if status == "open":
        qs = qs.filter(is_open=True)
    elif status and status != "all":
        qs = qs.filter(status=status)  # a state key the form offered (built-in or a workflow's own)
    for name in ("type", "channel", "priority"):
        if p.get(name):
            qs = qs.filter(**{name: p[name]})
    if p.get("category"):
        # The category and everything below it (full names are "parent › child" paths).
        prefix = Concat(Subquery(Category.objects.filter(pk=p["category"]).values("full_name")), Value(" › "))
        subtree = Category.objects.filter(Q(pk=p["category"]) | Q(full_name__startswith=prefix)).values("id")
        qs = qs.filter(category_id__in=subtree)
    if p.get("group"):
        qs = qs.filter(group_id=p["group"])
    assignee = p.get("assignee")
    if assignee == "me":
        qs = qs.filter(assignee=user)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if p.get("customer"):
        qs = qs.filter(company_id=p["customer"])
    text = (p.get("q") or "").strip()
    if text:
        # A whole number is a unique-index lookup; otherwise match the title or the start of a number.
        if text.isdigit() and len(text) >= 13:
            qs = qs.filter(number=text)
        else:
            qs = qs.filter(Q(title__icontains=text) | Q(number__startswith=text))
    if p.get("cf"):
        qs = qs.filter(_custom_field_q(*p["cf"]))
    due = p.get("due")
    if due:
        now = timezone.now()
        qs = qs.filter(is_open=True)
        if due == "breached":
            qs = qs.filter(due_at__lt=now)
        elif due in DUE_WINDOWS:
            qs = qs.filter(due_at__gte=now, due_at__lt=now + DUE_WINDOWS[due])
    return qs


def encode_cursor(row: dict[str, Any], sort: str) -> str:
    """The cursor after `row` (a ROW_VALUES dict) in the `sort` order."""
    values = [row["updated_at"].isoformat(), row["id"]]
    if sort == "created":
        values = [row["created_at"].isoformat(), row["id"]]
    elif sort == "priority":
        values = [row["priority"], row["id"]]
    elif sort == "due":
        values = [row["due_at"].isoformat() if row["due_at"] else None, row["id"]]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort == "priority":
            priority, pk = values
            return [int(priority), int(pk)]
        at, pk = values
        if sort == "due" and at is None:
            return [None, int(pk)]
        return [_when(at), int(pk)]
    except (ValueError, TypeError, json.JSONDecodeError):
        return None  # a tampered or stale cursor restarts at the first page


def _when(text: str) -> datetime.datetime:
    value = parse_datetime(text)
    if value is None:
        raise ValueError(text)
    return value


def after_cursor(qs, sort: str, cursor: str):
    """Keyset condition: rows strictly after the cursor row in the sort order."""
    values = _decode_cursor(cursor, sort) if cursor else None
    if values is None:
        return qs
    if sort == "priority":
        priority, pk = values
        return qs.filter(Q(priority__gt=priority) | Q(priority=priority, id__gt=pk))
    column = "created_at" if sort == "created" else "updated_at"
    at, pk = values
    return qs.filter(Q(**{f"{column}__lt": at}) | Q(**{column: at, "id__lt": pk}))


def due_rows(qs, cursor: str, n: int, *, with_undated: bool = True) -> list[dict[str, Any]]:
    """Up to n rows by time to breach: due tickets soonest first, then those without a running clock
    (due_at null) by id. Two index seeks on (…, due_at, id) rather than one ORDER BY … NULLS LAST with
    an OR in the keyset condition, which no index can seek; the second runs only when the due tickets
    run out within this page. Each picks its ids in a subquery and joins the row's tables to those
    only (joined first, PostgreSQL would join every open ticket of the scope before sorting)."""
    values = _decode_cursor(cursor, "due") if cursor else None
    rows: list[Ticket] = []
    if values is None or values[0] is not None:
        part = qs.filter(due_at__isnull=False)
        if values is not None:
            at, pk = values
            part = part.filter(Q(due_at__gte=at) & (Q(due_at__gt=at) | Q(id__gt=pk)))
        rows = _rows(part, SORTS["due"], n)
    if len(rows) < n and with_undated:
        part = qs.filter(due_at__isnull=True)
        if values is not None and values[0] is None:
            part = part.filter(id__gt=values[1])
        rows += _rows(part, ("id",), n - len(rows))
    return rows


def _rows(qs, order: tuple[str, ...], n: int) -> list[dict[str, Any]]:
    ids = qs.order_by(*order).values("id")[:n]
    return list(Ticket.objects.filter(pk__in=ids).values(*ROW_VALUES).order_by(*order))


def time_to_breach(due_at: datetime.datetime | None, is_open: bool, now: datetime.datetime) -> tuple[str, str]:
    """The row badge: its class (overdue / soon (< 1 h) / ok) and text; empty when no clock runs."""
    if due_at is None or not is_open:
        return "", ""
    if due_at <= now:
        return "overdue", _("%(time)s overdue") % {"time": _span(now - due_at, now, depth=1)}
    return ("soon" if due_at - now < SOON else "ok"), _span(due_at - now, now, depth=2)


def _span(delta: datetime.timedelta, now: datetime.datetime, *, depth: int) -> str:
    """Django's timesince text for a duration, remembered per language: below four weeks it depends
    only on the whole minutes; beyond, only the days count (two adjacent units of weeks or months
    never reach hours), the months from today's date."""
    if delta < datetime.timedelta(days=28):
        return _span_text(get_language(), None, int(delta.total_seconds() // 60), depth)
    return _span_text(get_language(), now.date(), delta.days * 1440, depth)


@functools.lru_cache(maxsize=4096)
def _span_text(language: str, today: datetime.date | None, minutes: int, depth: int) -> str:
    end = timezone.now()
    return timesince(end - datetime.timedelta(minutes=minutes), end, depth=depth)


def _local(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def row_view(row: dict[str, Any], now: datetime.datetime, labels: dict[str, Any]) -> dict[str, Any]:
    """What a queue row shows, as plain strings (ROW_VALUES in): the template then only looks up
    dict keys, which costs a fraction of resolving model attributes, filters and {% url %} fifty
    times a page."""
    ttb_class, ttb_text = time_to_breach(row["due_at"], row["is_open"], now)
    return {
        "pk": row["id"], "number": row["number"], "url": labels["url"].replace("/0/", f"/{row['id']}/"),
        "title": row["title"], "status": row["status"],
        "status_label": status_label(row["status"], row["workflow_version_id"]),
        "priority": row["priority"], "priority_label": labels["priority"].get(row["priority"], row["priority"]),
        "company": row["company__name"],
        "category": (row["category__full_name"] or row["category__name"]) if row["category_id"] else "—",
        "group": row["group__name"] if row["group_id"] else "—",
        "assignee": User.label(row["assignee__display_name"], row["assignee__first_name"],
                               row["assignee__last_name"], row["assignee__username"]) if row["assignee_id"] else "—",
        "updated": _local(row["updated_at"]), "ttb_class": ttb_class, "ttb_text": ttb_text,
        "ttb_title": f"{labels['due']} {_local(row['due_at'])}" if ttb_class else "",
    }


def queue_page(user, p: dict[str, Any], group_ids: list[int]) -> tuple[list[dict[str, Any]], str]:
    """One page of rows (row_view dicts) and the cursor of the next page ("" when this is the last)."""
    sort = p["sort"]
    qs = filtered_tickets(user, p, group_ids)
    if sort == "due":
        rows = due_rows(qs, p.get("cursor") or "", PAGE_SIZE + 1, with_undated=not p.get("due"))
    else:
        qs = after_cursor(qs, sort, p.get("cursor") or "")
        rows = list(qs.values(*ROW_VALUES).order_by(*SORTS[sort])[: PAGE_SIZE + 1])
    next_cursor = encode_cursor(rows[PAGE_SIZE - 1], sort) if len(rows) > PAGE_SIZE else ""
    # Labels translated once per page, not once per row (get_FOO_display re-evaluates every choice).
    labels = {
        "priority": {code: str(label) for code, label in Priority.choices}, "due": _("Due"),
        "url": reverse("tickets:detail", args=[0]),  # one reverse() per page, the row's id put in its place
    }
    now = timezone.now()
    return [row_view(row, now, labels) for row in rows[:PAGE_SIZE]], next_cursor


@require_GET
@login_required
@staff_only
def queue(request):
    """The queue page; htmx requests get only the results (or only the next rows for "load more")."""
    form = QueueFilterForm(request.GET)
    p = form.params()
    group_ids = my_group_ids(request.user)
    rows, next_cursor = queue_page(request.user, p, group_ids)
    context = {
        "form": form, "p": p, "rows": rows, "next_cursor": next_cursor,
        "customer": (
            Company.objects.visible_to(request.user).filter(pk=p["customer"]).only("name").first()
            if p.get("customer") else None
        ),
    }
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target == "load-more-row":
        template = "tickets/_queue_rows.html"
    else:
        counts = tab_counts(request.user, group_ids)
        context["tabs"] = [(code, label, counts[code]) for code, label in QueueFilterForm.TABS]
        context["count_cap"] = COUNT_CAP
        wants_fragment = htmx and not htmx.history_restore_request and htmx.target == "queue-results"
        template = "tickets/_queue_results.html" if wants_fragment else "tickets/queue.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
