"""Ticket attachments: multipart upload, list, and a download streamed only to those who may see the
ticket. Internal attachments never reach a customer (not listed, 404 on download)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from loopdesk.accounts.scope import scope_for
from loopdesk.core.errors import NotFound
from loopdesk.tickets import services
from loopdesk.tickets.models import Attachment

from .auth import ApiRequest
from .schemas import ERRORS, WRITE_ERRORS, LocalDateTime, Out, Ref, ref
from .tickets import get_ticket

router = Router(tags=["tickets"])


class AttachmentOut(Out):
    id: int
    name: str
    size: int
    content_type: str
    internal: bool
    uploaded_by: Ref | None
    created_at: LocalDateTime
    download_url: str


class AttachmentList(Out):
    items: list[AttachmentOut]


def _data(request: ApiRequest, a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.name,
        "size": a.size,
        "content_type": a.content_type,
        "internal": a.internal,
        "uploaded_by": ref(a.uploaded_by),
        "created_at": a.created_at,
        "download_url": f"{request.path.split('/tickets/')[0]}/tickets/{a.ticket_id}/attachments/{a.pk}/download",
    }


def _visible(request: ApiRequest, ticket) -> Any:
    qs = Attachment.objects.filter(ticket=ticket).select_related("uploaded_by")
    if scope_for(request.auth).customer_only:
        qs = qs.filter(internal=False)
    return qs


@router.get(
    "/{int:ticket_id}/attachments", response={200: AttachmentList, **ERRORS}, summary="List attachments"
)
def list_attachments(request: ApiRequest, ticket_id: int):
    ticket = get_ticket(request, ticket_id)
    return {"items": [_data(request, a) for a in _visible(request, ticket)]}


@router.post(
    "/{int:ticket_id}/attachments", response={201: AttachmentOut, **WRITE_ERRORS}, summary="Upload a file"
)
def upload_attachment(
    request: ApiRequest, ticket_id: int, file: File[UploadedFile], internal: Form[bool] = False
):
    """multipart/form-data with `file` (and optionally `internal=true` for staff). Size and type are
    checked; a file larger than the limit is refused with 422 naming `file`."""
    ticket = get_ticket(request, ticket_id)
    attachment = services.add_attachment(actor=request.auth, ticket=ticket, upload=file, internal=internal)
    attachment.uploaded_by = request.auth
    return Status(201, _data(request, attachment))


@router.get(
    "/{int:ticket_id}/attachments/{int:attachment_id}/download",
    response={200: None, **ERRORS},
    summary="Download a file",
)
def download_attachment(request: ApiRequest, ticket_id: int, attachment_id: int):
    """The file's bytes, streamed; 404 unless the caller may see the ticket (and, for customers, the
    file is public)."""
    ticket = get_ticket(request, ticket_id)
    attachment = _visible(request, ticket).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such file on this ticket."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
