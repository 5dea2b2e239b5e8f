"""/api/v1/assist: deflection figures, a ticket's similar tickets and articles, next questions.

    GET /deflection?period=day|week|month&since=&until=&article_id=   (Perm.REPORT_VIEW, own scope)
    GET /tickets/{id}/similar                                          (staff; the ticket must be visible)
    GET /next-questions?company_id=&product_id=                        (the company must be visible)
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import BaseModel, Field

from loopdesk.accounts.roles import Perm, require
from loopdesk.assets.models import Product
from loopdesk.core.errors import Forbidden, NotFound
from loopdesk.customers.models import Company
from loopdesk.tickets.models import Ticket

from . import figures
from .similar import excerpt, similar
from .training import predict

router = Router(tags=["assist"])

MAX_ID = 2**63 - 1


class DeflectionParams(Schema):
    period: Literal["day", "week", "month"] = "week"
    since: datetime.date | None = None
    until: datetime.date | None = None
    article_id: int | None = Field(None, ge=1, le=MAX_ID)


class DeflectionRow(BaseModel):
    period: datetime.date
    article_id: int
    title: str
    shown: int
    opened: int
    deflections: int
    deflection_rate: float
    open_rate: float


class DeflectionPage(BaseModel):
    items: list[DeflectionRow]
    next_cursor: str | None = None


@router.get("/deflection", response=DeflectionPage, summary="Deflection figures per article and period")
def deflection(request: Any, params: Query[DeflectionParams]):
    """Per article and period (the day, ISO week or month the article was shown): times shown in a
    request-form session, opened, deflections (opened, then no request within 30 minutes) and the
    rates. Only sessions of customers the caller may see; needs the report permission."""
    require(request.auth, Perm.REPORT_VIEW)
    rows = figures.deflection(request.auth, period=params.period, since=params.since, until=params.until,
                              article_id=params.article_id)
    return {"items": [r.as_dict() for r in rows], "next_cursor": None}


class SimilarTicket(BaseModel):
    id: int
    number: str
    title: str
    title_html: str
    resolution: str
    score: float


class SimilarArticle(BaseModel):
    id: int
    title: str
    title_html: str
    snippet: str
    score: float


class NextQuestion(BaseModel):
    kind: Literal["article", "category"]
    text: str
    article_id: int | None
    category_id: int | None
    score: float


class SimilarOut(BaseModel):
    query: str
    tickets: list[SimilarTicket]
    articles: list[SimilarArticle]
    next_questions: list[NextQuestion]


def _product_id(ticket: Ticket) -> int | None:
    asset = ticket.asset
    return asset.product_version.product_id if asset is not None and asset.product_version_id else None


@router.get("/tickets/{int:ticket_id}/similar", response=SimilarOut, summary="Similar tickets and articles")
def ticket_similar(request: Any, ticket_id: int):
    """Resolved tickets like this one (from the caller's scope, with their resolution), articles,
    and the customer's likely next questions. For service staff."""
    user = request.auth
    ticket = Ticket.objects.visible_to(user).select_related("asset__product_version").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    if user.is_customer_only:
        raise Forbidden(_("Agent assist is for service staff."))
    found = similar(user, ticket)
    questions = predict(ticket.company_id, _product_id(ticket), user=user)
    return {
        "query": found.query,
        "tickets": [{"id": h.id, "number": h.obj.number, "title": h.title, "title_html": h.title_html,
                     "resolution": excerpt(h.obj.resolution, 500), "score": h.score} for h in found.tickets],
        "articles": [{"id": h.id, "title": h.title, "title_html": h.title_html, "snippet": h.snippet,
                      "score": h.score} for h in found.articles],
        "next_questions": [q.as_dict() for q in questions],
    }


class NextParams(Schema):
    company_id: int = Field(ge=1, le=MAX_ID)
    product_id: int | None = Field(None, ge=1, le=MAX_ID)


class NextPage(BaseModel):
    items: list[NextQuestion]
    next_cursor: str | None = None


@router.get("/next-questions", response=NextPage, summary="A customer's likely next questions")
def next_questions(request: Any, params: Query[NextParams]):
    """The 3 most likely next questions of the customer (about the product), only articles the caller
    may read. The customer must be one the caller may see."""
    user = request.auth
    if not Company.objects.visible_to(user).filter(pk=params.company_id).exists():
        raise NotFound(_("No such customer."))
    if params.product_id is not None and not Product.objects.filter(pk=params.product_id).exists():
        raise NotFound(_("No such product."))
    questions = predict(params.company_id, params.product_id, user=user)
    return {"items": [q.as_dict() for q in questions], "next_cursor": None}
