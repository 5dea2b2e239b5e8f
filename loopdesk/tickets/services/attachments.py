"""Attachments: size and type checked, stored on disk under an unguessable name."""

from __future__ import annotations

import mimetypes
import secrets
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import Forbidden, ValidationFailed

from ..models import Attachment, Comment, Event, Ticket
from .core import _is_customer, _lock, record_event

# Content sniffing for the types whose first bytes are well known: a renamed executable fails here.
_MAGIC = {
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "image/jpeg": [b"\xff\xd8\xff"],
    "image/gif": [b"GIF87a", b"GIF89a"],
    "application/pdf": [b"%PDF-"],
    "application/zip": [b"PK\x03\x04", b"PK\x05\x06"],
}
_OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _content_type(name: str, head: bytes) -> str:
    guessed = mimetypes.guess_type(name)[0] or ""
    allowed = settings.LOOPDESK_ATTACHMENT_TYPES
    if guessed not in allowed:
        raise ValidationFailed(
            fields={"file": [_("Files of this type are not accepted (%(type)s).") % {"type": guessed or PurePath(name).suffix or "?"}]}
        )
    magic = _MAGIC.get("application/zip" if guessed in _OOXML else guessed)
    if magic and not any(head.startswith(m) for m in magic):
        raise ValidationFailed(fields={"file": [_("The file's content does not match its name.")]})
    if guessed.startswith("text/") and b"\x00" in head:
        raise ValidationFailed(fields={"file": [_("The file's content does not match its name.")]})
    return guessed


@transaction.atomic
def add_attachment(*, actor: Any, ticket: Ticket, upload: Any, comment: Comment | None = None,
                   internal: bool = False) -> Attachment:
    """Store an uploaded file on the ticket. Customers' files are always public on their ticket."""
    if _is_customer(actor):
        internal = False
    elif internal and not actor.can(Perm.TICKET_INTERNAL):
        raise Forbidden(_("You may not add internal files."))
    size = upload.size
    limit = settings.LOOPDESK_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            fields={"file": [_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}]}
        )
    if size == 0:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]})
    name = PurePath(upload.name or "file").name[:255]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = _content_type(name, head)
    ticket = _lock(ticket)
    attachment = Attachment(
        ticket=ticket, comment=comment, token=secrets.token_hex(16), name=name, size=size,
        content_type=content_type, internal=internal, uploaded_by=actor,
    )
    attachment.file.save(attachment.token, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    record_event(
        ticket, actor=actor, kind=Event.Kind.ATTACHED, internal=internal,
        data={"attachment_id": attachment.pk, "name": name, "size": size},
    )
    return attachment
