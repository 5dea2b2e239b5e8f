"""Links between tickets, merging, watchers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import Conflict, ValidationFailed

from ..choices import OPEN_STATUSES, LinkKind, Status
from ..models import Comment, Event, Link, Ticket
from .core import record_event


def _lock_pair(a: Ticket, b: Ticket) -> tuple[Ticket, Ticket]:
    """Lock two tickets in id order, so two opposite merges cannot deadlock."""
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[a.pk, b.pk]).order_by("pk")}
    return locked[a.pk], locked[b.pk]


@transaction.atomic
def link_tickets(*, actor: Any, source: Ticket, target: Ticket, kind: str) -> Link:
    """Record `source` <kind> `target` (child of, duplicate of, caused by, related to)."""
    require(actor, Perm.TICKET_EDIT)
    if kind not in LinkKind.values:
        raise ValidationFailed(fields={"kind": [_("Unknown link kind.")]})
    if source.pk == target.pk:
        raise ValidationFailed(fields={"target_id": [_("A ticket cannot be linked to itself.")]})
    source, target = _lock_pair(source, target)
    if Link.objects.filter(source=source, target=target, kind=kind).exists():
        raise Conflict(_("These tickets are already linked this way."))
    if kind == LinkKind.CHILD_OF and _is_ancestor(source, of=target):
        raise ValidationFailed(fields={"target_id": [_("This would make a ticket its own ancestor.")]})
    link = Link.objects.create(source=source, target=target, kind=kind, created_by=actor)
    for ticket, other in ((source, target), (target, source)):
        record_event(ticket, actor=actor, kind=Event.Kind.LINKED,
                     data={"link_id": link.pk, "kind": kind, "other": other.number, "outgoing": ticket == source})
    return link


def _is_ancestor(ticket: Ticket, *, of: Ticket) -> bool:
    """True if `ticket` is `of` or one of its parents (walks child_of links upwards)."""
    seen, frontier = set(), {of.pk}
    while frontier:
        if ticket.pk in frontier:
            return True
        seen |= frontier
        frontier = set(
            Link.objects.filter(source_id__in=frontier, kind=LinkKind.CHILD_OF).values_list("target_id", flat=True)
        ) - seen
    return False


@transaction.atomic
def unlink_tickets(*, actor: Any, link: Link) -> None:
    require(actor, Perm.TICKET_EDIT)
    for ticket, other in ((link.source, link.target), (link.target, link.source)):
        record_event(ticket, actor=actor, kind=Event.Kind.UNLINKED, data={"kind": link.kind, "other": other.number})
    link.delete()


@transaction.atomic
def merge_tickets(*, actor: Any, source: Ticket, target: Ticket) -> Ticket:
    """Fold `source` into `target`: one request, one ticket. The source closes as a duplicate and its
    description, watchers and contact's follow-ups continue on the target."""
    require(actor, Perm.TICKET_MERGE)
    if source.pk == target.pk:
        raise ValidationFailed(fields={"target_id": [_("A ticket cannot be merged into itself.")]})
    source, target = _lock_pair(source, target)
    if source.company_id != target.company_id:
        raise ValidationFailed(fields={"target_id": [_("Only tickets of the same customer can be merged.")]})
    if source.merged_into_id or source.status not in OPEN_STATUSES:
        raise ValidationFailed(fields={"source_id": [_("Only an open ticket can be merged.")]})
    if target.status not in OPEN_STATUSES:
        raise ValidationFailed(fields={"target_id": [_("Merge into an open ticket.")]})
    now = timezone.now()
    Comment.objects.create(
        ticket=target, author=actor, internal=True,
        body=_("Merged from %(number)s: %(title)s\n\n%(description)s")
        % {"number": source.number, "title": source.title, "description": source.description},
    )
    target.watchers.add(*source.watchers.all())
    Link.objects.get_or_create(source=source, target=target, kind=LinkKind.DUPLICATE_OF, defaults={"created_by": actor})
    old_status = source.status
    source.status, source.merged_into, source.closed_at, source.updated_at = Status.CLOSED, target, now, now
    source.save()
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    record_event(source, actor=actor, kind=Event.Kind.MERGED, changes={"status": [old_status, Status.CLOSED]},
                 data={"into": target.number})
    record_event(target, actor=actor, kind=Event.Kind.MERGED, data={"from": source.number})
    return target


@transaction.atomic
def set_watcher(*, actor: Any, ticket: Ticket, user: Any, watching: bool) -> None:
    """Add or remove a watcher (anyone who can see the ticket may watch it themselves)."""
    if user != actor:
        require(actor, Perm.TICKET_EDIT)
    if watching:
        ticket.watchers.add(user)
    else:
        ticket.watchers.remove(user)
    record_event(ticket, actor=actor, kind=Event.Kind.WATCHERS, internal=True,
                 data={"user": str(user), "watching": watching})
