"""Article images and files: size and type checked like ticket attachments, stored on disk under
MEDIA_ROOT (`knowledge/<article id>/<token>`), served by `views.files.download` only to users who
may read the article."""

from __future__ import annotations

import secrets
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.core.services import record_audit

from .models import Article, ArticleAttachment


def _content_type(name: str, head: bytes) -> str:
    # The ticket app's check (allowed types from settings, content sniffed against the name).
    from loopdesk.tickets.services.attachments import _content_type as ticket_content_type

    return ticket_content_type(name, head)


@transaction.atomic
def add_attachment(*, actor: Any, article: Article, upload: Any) -> ArticleAttachment:
    """Store an uploaded image or file on an article the actor may edit."""
    from .services import _lock, can_edit

    article = _lock(article)
    if not can_edit(actor, article):
        raise Forbidden(_("You may not edit this article now."))
    size = upload.size
    limit = settings.LOOPDESK_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            fields={"file": [_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}]})
    if size == 0:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]})
    name = PurePath(upload.name or "file").name[:255]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = _content_type(name, head)
    attachment = ArticleAttachment(article=article, token=secrets.token_hex(16), name=name, size=size,
                                   content_type=content_type, uploaded_by=actor)
    attachment.file.save(attachment.token, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    record_audit(actor=actor, obj=article, action="attach", changes={"name": name, "size": size})
    return attachment


@transaction.atomic
def delete_attachment(*, actor: Any, attachment: ArticleAttachment) -> None:
    """Remove a file from an article the actor may edit (the file goes once the row is gone)."""
    from .services import can_edit

    if not can_edit(actor, attachment.article):
        raise Forbidden(_("You may not edit this article now."))
    record_audit(actor=actor, obj=attachment.article, action="detach", changes={"name": attachment.name})
    storage, path = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(path))


def url_of(attachment: ArticleAttachment) -> str:
    from django.urls import reverse

    return reverse("knowledge:file", args=[attachment.token])
