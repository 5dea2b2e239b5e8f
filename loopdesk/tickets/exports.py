"""Ticket exports (CSV and Excel) of exactly what the user may see.

The caller passes a queryset already narrowed by `Ticket.objects.visible_to(user)`; rows stream in
chunks so a large export neither loads every ticket nor holds the whole file in memory (CSV).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.core.spreadsheets import safe_row

MAX_XLSX_ROWS = 100_000


def columns() -> list[tuple[str, str]]:
    return [
        ("number", _("Number")), ("title", _("Title")), ("type", _("Type")), ("status", _("Status")),
        ("priority", _("Priority")), ("channel", _("Channel")), ("company", _("Customer")),
        ("contact", _("Contact")), ("category", _("Category")), ("group", _("Assignment group")),
        ("assignee", _("Assignee")), ("created_at", _("Created at")), ("updated_at", _("Updated at")),
        ("resolved_at", _("Resolved at")), ("closed_at", _("Closed at")),
    ]


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def rows(queryset) -> Iterator[list[str]]:
    qs = queryset.select_related("company", "contact", "category", "group", "assignee").order_by("-created_at", "-id")
    for t in qs.iterator(chunk_size=2000):
        yield [
            t.number, t.title, t.get_type_display(), t.get_status_display(), t.get_priority_display(),
            t.get_channel_display(), t.company.name, t.contact.name if t.contact else "",
            str(t.category or ""), str(t.group or ""), str(t.assignee or ""), _local(t.created_at),
            _local(t.updated_at), _local(t.resolved_at), _local(t.closed_at),
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(queryset) -> Iterator[str]:
    """CSV with a UTF-8 BOM so Excel on Chinese Windows opens it without mojibake."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([label for _key, label in columns()])
    for row in rows(queryset):
        yield writer.writerow(safe_row(row))


def xlsx_bytes(queryset) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Tickets"))
    ws.append([label for _key, label in columns()])
    for i, row in enumerate(rows(queryset)):
        if i >= MAX_XLSX_ROWS:
            break
        ws.append(safe_row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


