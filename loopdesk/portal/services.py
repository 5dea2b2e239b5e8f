"""The portal's writes. Each one composes ticket services in a single transaction, so a request
with a rejected attachment, or a reply whose file is refused, leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.core.errors import ValidationFailed
from loopdesk.tickets import services as tickets
from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Attachment, Comment, Ticket

from .words import status_words

MAX_FILES = 10


def _attach_all(*, actor: Any, ticket: Ticket, uploads: Iterable[Any], comment: Comment | None = None) -> None:
    """Attach every upload or none: the files already written to disk are removed if a later one fails
    (the database rows go with the enclosing transaction's rollback)."""
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            stored.append(tickets.add_attachment(actor=actor, ticket=ticket, upload=upload, comment=comment))
    except Exception:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise


def _check_count(uploads: list[Any]) -> None:
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(fields={"file": [_("At most %(n)d files at a time.") % {"n": MAX_FILES}]})


@transaction.atomic
def submit_request(
    *, actor: Any, company: Any, title: str, description: str, type: str, asset: Any = None,
    urgency: int | None = None, custom_fields: dict | None = None, uploads: Iterable[Any] = (),
) -> Ticket:
    """A contact submits a request on the portal, with its files."""
    uploads = list(uploads)
    _check_count(uploads)
    ticket = tickets.create_ticket(
        actor=actor, company=company, title=title, description=description, type=type, asset=asset,
        urgency=urgency, custom_fields=custom_fields,
    )
    _attach_all(actor=actor, ticket=ticket, uploads=uploads)
    return ticket


@transaction.atomic
def reply(*, actor: Any, ticket: Ticket, body: str, uploads: Iterable[Any] = ()) -> Comment | None:
    """A public reply, optionally with files; files alone are a valid reply too."""
    uploads = list(uploads)
    _check_count(uploads)
    comment = None
    if (body or "").strip() or not uploads:
        comment = tickets.add_comment(actor=actor, ticket=ticket, body=body)
    elif ticket.status in (Status.CLOSED, Status.CANCELLED):
        raise ValidationFailed(_("This request is finished; open a new one or reopen it."))
    _attach_all(actor=actor, ticket=ticket, uploads=uploads, comment=comment)
    return comment


def _transition(*, actor: Any, ticket: Ticket, to: str, comment: str = "") -> Ticket:
    """transition_ticket, with a refused move explained in the customer's words (the service's own
    message speaks of internal statuses and lists status codes)."""
    try:
        return tickets.transition_ticket(actor=actor, ticket=ticket, to=to, comment=comment)
    except ValidationFailed as exc:
        if "to" not in exc.fields:
            raise
        ticket.refresh_from_db(fields=["status"])
        raise ValidationFailed(
            _("This is not possible now: the request is “%(status)s”.") % {"status": status_words(ticket.status)}
        ) from exc


def confirm_resolution(*, actor: Any, ticket: Ticket) -> Ticket:
    """The contact agrees the request is solved: it closes."""
    if ticket.status != Status.RESOLVED:
        raise ValidationFailed(_("Only a resolved request can be confirmed."))
    return _transition(actor=actor, ticket=ticket, to=Status.CLOSED)


def reopen_request(*, actor: Any, ticket: Ticket, reason: str) -> Ticket:
    """The contact says the resolution did not solve it (within the reopen window); a reason is required
    so the engineer knows what is still wrong."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Tell us what is still not working.")]})
    return _transition(actor=actor, ticket=ticket, to=Status.IN_PROGRESS, comment=reason)


def withdraw_request(*, actor: Any, ticket: Ticket, reason: str = "") -> Ticket:
    """The contact withdraws a request nobody has started working on."""
    return _transition(actor=actor, ticket=ticket, to=Status.CANCELLED, comment=reason or "")
