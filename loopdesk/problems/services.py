"""Writes of problem management: create a problem (from scratch or from incidents), link and unlink
incidents, record root cause and workaround, mark a known error and publish it to the knowledge base,
resolve a problem and tell its incidents.

A problem is a ticket of type `problem` with a ProblemRecord; an incident is linked with the ticket
link "is caused by" (incident → problem), written by loopdesk.tickets.services, so both timelines show
it. Every service takes `actor=` first (None is the system, e.g. the rules engine) and runs in one
transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from loopdesk.knowledge import services as kb
from loopdesk.knowledge.models import ArticleStatus, ArticleType, Audience
from loopdesk.knowledge.permissions import can_author, can_review
from loopdesk.tickets.choices import LinkKind, Status, TicketType
from loopdesk.tickets.models import Event, Link, Ticket
from loopdesk.tickets.services import (
    add_comment,
    create_ticket,
    link_tickets,
    transition_ticket,
    unlink_tickets,
)
from loopdesk.tickets.services.core import record_event

from .models import ProblemRecord

UNSET: Any = object()
MAX_TEXT = 20_000


# --- reads ----------------------------------------------------------------------------------------

def problems_visible_to(user: Any):
    """Problem tickets the user may see, with their records."""
    return Ticket.objects.visible_to(user).filter(type=TicketType.PROBLEM).select_related("problem_record")


def incidents_of(problem: Ticket):
    """The tickets linked to `problem` as caused by it."""
    return Ticket.objects.filter(links_out__target=problem, links_out__kind=LinkKind.CAUSED_BY)


def problems_of(incident: Ticket):
    """The problems `incident` is linked to (open ones first, then newest)."""
    return (Ticket.objects.filter(type=TicketType.PROBLEM, links_in__source=incident, links_in__kind=LinkKind.CAUSED_BY)
            .select_related("problem_record").order_by("-is_open", "-id"))


def record_of(problem: Ticket) -> ProblemRecord:
    """The problem's record (made on first use for a problem ticket created elsewhere)."""
    if problem.type != TicketType.PROBLEM:
        raise ValidationFailed(fields={"problem_id": [_("This ticket is not a problem.")]})
    record, _created = ProblemRecord.objects.get_or_create(ticket=problem)
    return record


# --- helpers --------------------------------------------------------------------------------------

def _text(name: str, value: Any, errors: dict[str, list[str]]) -> str:
    if not isinstance(value, str) or "\x00" in value or len(value) > MAX_TEXT:
        errors[name] = [_("Text of at most %(n)s characters.") % {"n": MAX_TEXT}]
        return ""
    return value.strip()


def _check_incident(incident: Ticket) -> None:
    if incident.type == TicketType.PROBLEM:
        raise ValidationFailed(fields={"incident_ids": [_("A problem cannot be an incident of another problem.")]})


def _link(actor: Any, problem: Ticket, incident: Ticket) -> bool:
    """Link `incident` → `problem` unless already linked; True if a link was made."""
    _check_incident(incident)
    if Link.objects.filter(source=incident, target=problem, kind=LinkKind.CAUSED_BY).exists():
        return False
    link_tickets(actor=actor, source=incident, target=problem, kind=LinkKind.CAUSED_BY)
    return True


# --- problems -------------------------------------------------------------------------------------

@transaction.atomic
def create_problem(*, actor: Any, title: str, description: str = "", company: Any = None,
                   incidents: Iterable[Ticket] = (), root_cause: str = "", workaround: str = "",
                   impact: int | None = None, urgency: int | None = None, group: Any = None,
                   assignee: Any = None) -> Ticket:
    """Open a problem, from scratch (`company` needed) or from incidents (the first incident's customer,
    branch and group, so whoever works the incident sees the problem), and link the incidents to it."""
    require(actor, Perm.PROBLEM_MANAGE)
    incidents = list(incidents)
    for incident in incidents:
        _check_incident(incident)
    if company is None and not incidents:
        raise ValidationFailed(fields={"company_id": [_("Choose a customer, or start from incidents.")]})
    errors: dict[str, list[str]] = {}
    root_cause = _text("root_cause", root_cause, errors)
    workaround = _text("workaround", workaround, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    first = incidents[0] if incidents else None
    description = (description or "").strip() or (
        _("Raised from incidents: %(list)s") % {"list": ", ".join(i.number for i in incidents)} if incidents
        else (title or "").strip())
    problem = create_ticket(
        actor=actor, title=title, description=description, type=TicketType.PROBLEM,
        company=company or first.company, owner_org=first.owner_org if company is None and first else None,
        impact=impact, urgency=urgency, group=group or (first.group if first else None), assignee=assignee,
        channel="agent",
    )
    ProblemRecord.objects.create(ticket=problem, root_cause=root_cause, workaround=workaround)
    for incident in incidents:
        _link(actor, problem, incident)
    return problem


@transaction.atomic
def problem_for_incidents(*, actor: Any, incidents: list[Ticket], title: str) -> Ticket:
    """The open problem already linked to any of `incidents` (the oldest if several), or a new problem
    titled `title`; every incident not yet linked to it is linked with "is caused by". Used by the
    rules engine (actor None = the system) and the "raise a problem" actions."""
    require(actor, Perm.PROBLEM_MANAGE)
    incidents = [i for i in incidents if i is not None]
    if not incidents:
        raise ValidationFailed(fields={"incident_ids": [_("Choose at least one incident.")]})
    for incident in incidents:
        _check_incident(incident)
    problem = (Ticket.objects.filter(type=TicketType.PROBLEM, is_open=True, links_in__kind=LinkKind.CAUSED_BY,
                                     links_in__source__in=incidents).order_by("pk").first())
    if problem is None:
        return create_problem(actor=actor, title=title, incidents=incidents)
    record_of(problem)
    for incident in incidents:
        _link(actor, problem, incident)
    return problem


@transaction.atomic
def link_incident(*, actor: Any, problem: Ticket, incident: Ticket) -> Link:
    require(actor, Perm.PROBLEM_MANAGE)
    record_of(problem)
    _check_incident(incident)
    if Link.objects.filter(source=incident, target=problem, kind=LinkKind.CAUSED_BY).exists():
        raise Conflict(_("This incident is already linked to the problem."))
    return link_tickets(actor=actor, source=incident, target=problem, kind=LinkKind.CAUSED_BY)


@transaction.atomic
def unlink_incident(*, actor: Any, problem: Ticket, incident: Ticket) -> None:
    require(actor, Perm.PROBLEM_MANAGE)
    record_of(problem)
    link = Link.objects.filter(source=incident, target=problem, kind=LinkKind.CAUSED_BY).first()
    if link is None:
        raise NotFound(_("This incident is not linked to the problem."))
    unlink_tickets(actor=actor, link=link)


@transaction.atomic
def update_problem(*, actor: Any, problem: Ticket, root_cause: Any = UNSET, workaround: Any = UNSET,
                   known_error: Any = UNSET, affected_versions: Any = UNSET) -> ProblemRecord:
    """Record root cause, workaround, affected versions; mark or unmark a known error."""
    require(actor, Perm.PROBLEM_MANAGE)
    record = record_of(problem)
    record = ProblemRecord.objects.select_for_update().get(pk=record.pk)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if root_cause is not UNSET:
        values["root_cause"] = _text("root_cause", root_cause, errors)
    if workaround is not UNSET:
        values["workaround"] = _text("workaround", workaround, errors)
    if known_error is not UNSET:
        if not isinstance(known_error, bool):
            errors["known_error"] = [_("Enter true or false.")]
        values["known_error"] = known_error
    if errors:
        raise ValidationFailed(fields=errors)
    changes = {k: [_short(getattr(record, k)), _short(v)] for k, v in values.items() if getattr(record, k) != v}
    for name, value in values.items():
        setattr(record, name, value)
    if "known_error" in changes:
        record.known_error_since = timezone.now() if record.known_error else None
    if affected_versions is not UNSET:
        before = sorted(record.affected_versions.values_list("pk", flat=True))
        after = sorted({v.pk for v in affected_versions})
        if before != after:
            record.affected_versions.set(list(affected_versions))
            changes["affected_versions"] = [before, after]
    if changes:
        record.save()
        record_event(problem, actor=actor, kind=Event.Kind.CHANGED, internal=True, changes=changes,
                     data={"problem": True})
    return record


def _short(value: Any) -> Any:
    return value[:80] + "…" if isinstance(value, str) and len(value) > 80 else value


# --- known errors in the knowledge base -----------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
REDACTED = "***"


def strip_customer_data(text: str, tickets: Iterable[Ticket]) -> str:
    """`text` without the names, codes, contacts, e-mail addresses and phone numbers of the customers
    of `tickets` (and any other e-mail address or Chinese phone number), for a knowledge article."""
    from loopdesk.customers.models import Contact

    company_ids = {t.company_id for t in tickets}
    words: set[str] = set()
    for ticket in tickets:
        words |= {ticket.company.name, ticket.company.code}
    for contact in Contact.objects.filter(company_id__in=company_ids).only("name", "email", "phone", "mobile"):
        words |= {contact.name, contact.email, contact.phone, contact.mobile}
    for word in sorted((w for w in words if w and len(w) >= 2), key=len, reverse=True):
        text = text.replace(word, REDACTED)
    return _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, text))


@transaction.atomic
def publish_known_error(*, actor: Any, problem: Ticket) -> Any:
    """Mark the problem a known error and put it in the knowledge base as a "known error" article
    (symptom, cause, workaround; customer data stripped), linked to the problem. A new article goes to
    review, or straight to published when the actor is a knowledge reviewer; an existing one is
    updated (and sent to review again if it was a draft)."""
    require(actor, Perm.PROBLEM_MANAGE)
    if not can_author(actor):
        raise Forbidden(_("You may not write knowledge articles."))
    record = record_of(problem)
    if not record.workaround:
        raise ValidationFailed(_("Record a workaround first."), fields={"workaround": [_("This field is required.")]})
    if not record.known_error:
        record = update_problem(actor=actor, problem=problem, known_error=True)
    tickets = [problem, *incidents_of(problem).select_related("company")]
    symptom = strip_customer_data("\n\n".join(p for p in (problem.title, problem.description) if p), tickets)
    fields = {"symptom": symptom, "cause": strip_customer_data(record.root_cause, tickets),
              "workaround": strip_customer_data(record.workaround, tickets)}
    title = strip_customer_data(problem.title, tickets)[:200]
    versions = list(record.affected_versions.select_related("product"))
    products = list({v.product_id: v.product for v in versions}.values())
    article = record.article
    if article is None:
        article = kb.create_article(actor=actor, title=title, type=ArticleType.KNOWN_ERROR,
                                    audience=Audience.PRODUCT if products else Audience.INTERNAL,
                                    products=products, versions=versions, source_ticket=problem, **fields)
        record.article = article
        record.save(update_fields=["article", "updated_at"])
    else:
        article = kb.update_article(actor=actor, article=article, title=title, **fields)
    if article.status == ArticleStatus.DRAFT:
        article = kb.transition_article(actor=actor, article=article, to=ArticleStatus.REVIEW)
    if article.status == ArticleStatus.REVIEW and can_review(actor):
        article = kb.transition_article(actor=actor, article=article, to=ArticleStatus.PUBLISHED)
    record_event(problem, actor=actor, kind=Event.Kind.CHANGED, internal=True,
                 data={"problem": True, "article_id": article.pk, "article_status": article.status})
    return article


# --- resolving ------------------------------------------------------------------------------------

@transaction.atomic
def resolve_problem(*, actor: Any, problem: Ticket, resolution: str, reply: str = "",
                    notify_incidents: bool = False, resolve_incidents: bool = False) -> dict[str, int]:
    """Resolve the problem; optionally post a public reply (default: the workaround) on each of its
    open incidents the actor may see, and resolve them too. Returns counts: replied, resolved, skipped
    (incidents that could not take the reply or the resolution now)."""
    require(actor, Perm.PROBLEM_MANAGE)
    record = record_of(problem)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(fields={"resolution": [_("Describe how the problem was resolved.")]})
    transition_ticket(actor=actor, ticket=problem, to=Status.RESOLVED, resolution=resolution)
    counts = {"replied": 0, "resolved": 0, "skipped": 0}
    if not (notify_incidents or resolve_incidents):
        return counts
    body = (reply or "").strip() or (
        _("This request is caused by a known problem (%(number)s).") % {"number": problem.number}
        + ("\n\n" + _("Workaround:") + "\n" + record.workaround if record.workaround else "")
        + "\n\n" + _("Resolution:") + "\n" + resolution
    )
    incidents = incidents_of(problem).filter(is_open=True).order_by("pk")
    if actor is not None:
        incidents = incidents.filter(pk__in=Ticket.objects.visible_to(actor).values("pk"))
    for incident in incidents:
        try:
            with transaction.atomic():
                if notify_incidents:
                    add_comment(actor=actor, ticket=incident, body=body, internal=False)
                if resolve_incidents:
                    transition_ticket(actor=actor, ticket=incident, to=Status.RESOLVED, resolution=resolution)
        except DomainError:
            counts["skipped"] += 1
            continue
        counts["replied"] += bool(notify_incidents)
        counts["resolved"] += bool(resolve_incidents)
    return counts
