"""Attachment downloads: the file is served only through the ticket's visibility check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from loopdesk.accounts.scope import scope_for

from ..models import Attachment, Ticket


@require_GET
@login_required
def download(request, pk: int):
    """Stream the file under its original name (FileResponse writes RFC 5987 `filename*` for
    Chinese names). 404 when the ticket is not visible, or the file is internal and the user a customer."""
    qs = Attachment.objects.filter(pk=pk, ticket__in=Ticket.objects.visible_to(request.user).values("id"))
    if scope_for(request.user).customer_only:
        qs = qs.filter(internal=False)
    attachment = qs.first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response
