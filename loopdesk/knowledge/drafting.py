"""Articles and tickets: draft an article from a resolved ticket in one click (customer data
stripped), and link articles to the tickets they solved (`Article.solved_count`, reward points)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from loopdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

from . import rewards
from .models import Article, ArticleStatus, ArticleTicket, ArticleType, Audience, RewardReason
from .permissions import can_author

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])")
_TICKET_NUMBER = re.compile(r"(?<!\d)20\d{11}(?!\d)")  # tickets are numbered YYYYMMDD + 5 digits
_PHONES = (
    re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),  # mobile
    re.compile(r"(?<![0-9A-Za-z])(?:\(0\d{2,3}\)|0\d{2,3})[- ]?\d{7,8}(?:-\d{1,5})?(?!\d)"),  # landline, extension
    re.compile(r"(?<![0-9A-Za-z])[48]00[- ]?\d{3}[- ]?\d{4}(?!\d)"),  # 400 / 800 service numbers
)
_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团", "公司")


def _company_names(name: str) -> list[str]:
    names = [name]
    for suffix in _COMPANY_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            names.append(name[: -len(suffix)])
            break
    return names


def strip_customer_data(text: str, ticket: Any) -> str:
    """`text` without the customer's data: the company's name (also without 有限公司 and the like),
    its contacts' names, phone numbers and e-mail addresses, any e-mail address, phone number,
    IP address or ticket number. Each is replaced by a placeholder such as “[客户]”."""
    if not text:
        return ""
    customer, contact, phone, email = _("[customer]"), _("[contact]"), _("[phone]"), _("[e-mail]")
    literals: list[tuple[str, str]] = []
    company = getattr(ticket, "company", None)
    if company is not None:
        literals += [(n, customer) for n in _company_names(company.name)]
        if company.phone:
            literals.append((company.phone, phone))
        people = list(company.contacts.values_list("name", "phone", "mobile", "email")[:500])
    else:
        people = []
    if getattr(ticket, "contact", None) is not None:
        c = ticket.contact
        people.append((c.name, c.phone, c.mobile, c.email))
    for name, tel, mobile, mail in people:
        literals += [(v, label) for v, label in ((mail, email), (tel, phone), (mobile, phone), (name, contact)) if v]
    text = _EMAIL.sub(email, text)
    if getattr(ticket, "number", ""):
        text = text.replace(ticket.number, _("[ticket]"))
    text = _TICKET_NUMBER.sub(_("[ticket]"), text)
    text = _IPV4.sub(_("[IP address]"), text)
    text = _IPV6.sub(_("[IP address]"), text)
    # Longest first, so a full company name goes before its short form and a name before a part of it.
    for value, label in sorted(set(literals), key=lambda item: -len(item[0])):
        if len(value.strip()) >= 2:
            text = text.replace(value.strip(), label)
    for pattern in _PHONES:
        text = pattern.sub(phone, text)
    return text


def _visible_ticket(actor: Any, ticket: Any) -> Any:
    from loopdesk.tickets.models import Ticket

    found = Ticket.objects.visible_to(actor).select_related(
        "company", "contact", "asset__product_version__product", "category").filter(pk=ticket.pk).first()
    if found is None:
        raise NotFound(_("No such ticket, or you may not see it."))
    return found


def _last_staff_reply(ticket: Any) -> str:
    from loopdesk.tickets.models import Comment

    for comment in Comment.objects.filter(ticket=ticket, internal=False).select_related("author").order_by(
            "-created_at", "-id")[:20]:
        if comment.author is not None and not comment.author.is_customer_only:
            return comment.body
    return ""


def ticket_draft_values(ticket: Any) -> dict[str, Any]:
    """What a draft from `ticket` is prefilled with (customer data already stripped)."""
    resolution = (ticket.resolution or "").strip()
    reply = _last_staff_reply(ticket).strip()
    if reply and reply != resolution:
        resolution = f"{resolution}\n\n{reply}" if resolution else reply
    version = getattr(ticket.asset, "product_version", None) if ticket.asset_id else None
    title = strip_customer_data(ticket.title, ticket).strip()[:200] or _("Article from a ticket")
    return {
        "title": title,
        "symptom": strip_customer_data(ticket.description or "", ticket),
        "cause": "",
        "resolution": strip_customer_data(resolution, ticket),
        "products": [version.product] if version else [],
        "versions": [version] if version else [],
        "category": ticket.category if ticket.category_id and ticket.category.active else None,
    }


@transaction.atomic
def draft_from_ticket(*, actor: Any, ticket: Any) -> Article:
    """A troubleshooting draft (internal audience) from a resolved or closed ticket the actor can
    see: title, symptom (description), resolution (the ticket's resolution and the last public staff
    reply), product and version of its asset, its category; customer data stripped. The ticket and
    the article are linked (kind "source")."""
    from .services import create_article

    if not can_author(actor):
        raise Forbidden(_("You may not write knowledge articles."))
    ticket = _visible_ticket(actor, ticket)
    if ticket.phase not in ("resolved", "closed"):
        raise Conflict(_("Only a resolved or closed ticket can become an article."))
    values = ticket_draft_values(ticket)
    article = create_article(actor=actor, type=ArticleType.TROUBLESHOOTING, audience=Audience.INTERNAL,
                             source_ticket=ticket, **values)
    ArticleTicket.objects.create(article=article, ticket=ticket, kind=ArticleTicket.Kind.SOURCE, created_by=actor)
    return article


@transaction.atomic
def link_ticket(*, actor: Any, article: Article, ticket: Any, kind: str = ArticleTicket.Kind.SOLVED) -> ArticleTicket:
    """Record that `article` solved `ticket` (or, kind "source", that it was drafted from it). A new
    "solved" link adds one to `Article.solved_count` and pays the author (once per ticket)."""
    if kind not in ArticleTicket.Kind.values:
        raise ValidationFailed(fields={"kind": [_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(ArticleTicket.Kind.values)}]})
    if not can_author(actor):
        raise Forbidden(_("You may not link articles to tickets."))
    ticket = _visible_ticket(actor, ticket)
    visible = Article.objects.visible_to(actor).filter(pk=article.pk)
    if kind == ArticleTicket.Kind.SOLVED:
        visible = visible.filter(status=ArticleStatus.PUBLISHED)
    if not visible.exists():
        raise NotFound(_("No such article, or you may not see it."))
    link, created = ArticleTicket.objects.get_or_create(article=article, ticket=ticket, kind=kind,
                                                        defaults={"created_by": actor})
    if created and kind == ArticleTicket.Kind.SOLVED:
        Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
        rewards.award(user=article.author, reason=RewardReason.SOLVED_TICKET, article=article,
                      source=f"ticket:{ticket.pk}")
    return link


@transaction.atomic
def unlink_ticket(*, actor: Any, article: Article, ticket: Any) -> bool:
    """Remove the "solved" link (count and points go back); returns whether there was one."""
    if not can_author(actor):
        raise Forbidden(_("You may not link articles to tickets."))
    ticket = _visible_ticket(actor, ticket)
    deleted, _rows = ArticleTicket.objects.filter(article=article, ticket=ticket,
                                                  kind=ArticleTicket.Kind.SOLVED).delete()
    if deleted:
        Article.objects.filter(pk=article.pk, solved_count__gt=0).update(solved_count=F("solved_count") - 1)
        rewards.revoke(reason=RewardReason.SOLVED_TICKET, article=article, source=f"ticket:{ticket.pk}")
    return bool(deleted)
