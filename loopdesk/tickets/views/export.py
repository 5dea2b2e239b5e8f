"""Export the queue as it is filtered: CSV (streamed) or Excel, only tickets the user may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import exports
from ..forms import QueueFilterForm
from .common import staff_only
from .queue import filtered_tickets, my_group_ids

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
@login_required
@staff_only
def export(request, fmt: str):
    """The queue's filters (tab, status, type, …) decide the rows; `visible_to` inside decides the scope."""
    p = QueueFilterForm(request.GET).params()
    qs = filtered_tickets(request.user, p, my_group_ids(request.user))
    name = f"tickets-{timezone.localtime():%Y%m%d-%H%M}"
    if fmt == "xlsx":
        response = HttpResponse(exports.xlsx_bytes(qs), content_type=XLSX)
    else:
        response = StreamingHttpResponse(exports.csv_stream(qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
