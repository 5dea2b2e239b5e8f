"""Knowledge endpoints, mounted by loopdesk.api.router: `router` at /api/v1/articles and
`search_router` at /api/v1/search. Authentication and the problem-details error format belong to
the API app; here domain errors are simply raised and `request.auth` is the caller."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db.models import Exists, OuterRef, Prefetch
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from loopdesk.assets.models import ProductVersion
from loopdesk.core.errors import Forbidden, NotFound, ValidationFailed

from . import rewards, services
from .attachments import url_of
from .diff import diff_revisions
from .models import (
    Article,
    ArticleAttachment,
    ArticleComment,
    ArticleFlag,
    ArticleRevision,
    ArticleStatus,
    ArticleTicket,
    ArticleType,
    Audience,
    VoteReason,
)
from .permissions import can_author, can_review
from .search import MAX_LIMIT, Filters, search

router = Router(tags=["knowledge"])
search_router = Router(tags=["knowledge"])

TypeName = Literal[tuple(ArticleType.values)]  # type: ignore[valid-type]
AudienceName = Literal[tuple(Audience.values)]  # type: ignore[valid-type]
StatusName = Literal[tuple(ArticleStatus.values)]  # type: ignore[valid-type]
Id = int


class Body(Schema):
    model_config = ConfigDict(extra="forbid")


class ArticleIn(Body):
    title: str = Field(max_length=200)
    type: TypeName = ArticleType.HOWTO.value
    audience: AudienceName = Audience.INTERNAL.value
    body: str = ""
    symptom: str = ""
    cause: str = ""
    resolution: str = ""
    workaround: str = ""
    product_ids: list[Id] = []
    version_ids: list[Id] = []
    category_id: Id | None = None
    tags: list[str] = []


class ArticlePatch(Body):
    title: str | None = Field(None, max_length=200)
    type: TypeName | None = None
    audience: AudienceName | None = None
    body: str | None = None
    symptom: str | None = None
    cause: str | None = None
    resolution: str | None = None
    workaround: str | None = None
    product_ids: list[Id] | None = None
    version_ids: list[Id] | None = None
    category_id: Id | None = None
    tags: list[str] | None = None


class ArticleTransitionIn(Body):
    to: StatusName
    note: str = Field("", max_length=500)
    reviewer_id: Id | None = Field(None, description="With to=review: the reviewer asked to approve.")


VoteReasonName = Literal[("", *VoteReason.values)]  # type: ignore[valid-type]


class VoteIn(Body):
    helpful: bool
    reason: VoteReasonName = Field("", description="Why not helpful: outdated, unclear, did_not_solve, wrong_product.")
    comment: str = Field("", max_length=500)


class RefOut(Schema):
    id: int
    name: str


class ArticleOut(Schema):
    id: int
    title: str
    type: str
    audience: str
    status: str
    body: str
    symptom: str
    cause: str
    resolution: str
    workaround: str
    products: list[RefOut]
    versions: list[RefOut]
    category: RefOut | None
    tags: list[str]
    author: RefOut
    reviewer: RefOut | None
    published_at: datetime.datetime | None
    updated_at: datetime.datetime
    helpful_count: int
    unhelpful_count: int
    version: int
    transitions: list[str]
    solved_count: int
    needs_update: bool


class KbCommentIn(Body):
    body: str = Field(max_length=5000)


class KbCommentOut(Schema):
    id: int
    author: RefOut | None
    body: str
    version: int
    created_at: datetime.datetime


class KbRevisionOut(Schema):
    version: int
    author: RefOut | None
    created_at: datetime.datetime
    published_at: datetime.datetime | None


class KbDiffOut(Schema):
    field: str
    label: str
    unified: str


class KbAttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str = Field(description="Use in the article's HTML (<img src>, <a href>); served to its readers only.")
    created_at: datetime.datetime


class KbFlagIn(Body):
    note: str = Field("", max_length=500)


class KbFlagOut(Schema):
    id: int
    reason: str
    note: str
    raised_by: RefOut | None
    created_at: datetime.datetime
    cleared_at: datetime.datetime | None


class KbTicketLinkIn(Body):
    ticket_id: Id
    kind: Literal["solved", "source"] = "solved"


class KbTicketLinkOut(Schema):
    ticket_id: int
    number: str
    title: str
    kind: str
    created_at: datetime.datetime


class KbLeaderOut(Schema):
    user: RefOut
    points: int
    published: int


class KbCommentList(Schema):
    items: list[KbCommentOut]


class KbRevisionList(Schema):
    items: list[KbRevisionOut]


class KbDiffList(Schema):
    items: list[KbDiffOut]


class KbAttachmentList(Schema):
    items: list[KbAttachmentOut]


class KbFlagList(Schema):
    items: list[KbFlagOut]


class KbTicketLinkList(Schema):
    items: list[KbTicketLinkOut]


class KbLeaderboard(Schema):
    items: list[KbLeaderOut]


class ArticlePage(Schema):
    items: list[ArticleOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class ArticleFilters(Schema):
    status: StatusName | None = None
    type: TypeName | None = None
    product_id: Id | None = None
    category_id: Id | None = None
    mine: bool = False
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


class HitOut(Schema):
    type: str
    id: int
    title: str
    title_html: str = Field(description="The title, HTML-escaped, with matches in <mark>.")
    snippet: str = Field(description="A window of the text around the first match, HTML-escaped, matches in <mark>.")
    score: float


class SearchOut(Schema):
    items: list[HitOut]


class SearchParams(Schema):
    q: str = Field(max_length=200)
    type: Literal["article", "ticket"] = "article"
    product_id: Id | None = None
    version_id: Id | None = None
    category_id: Id | None = None
    article_type: TypeName | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _ref(obj: Any) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def article_data(article: Article, user: Any) -> dict[str, Any]:
    data = {name: getattr(article, name) for name in (
        "id", "title", "type", "audience", "status", "body", "symptom", "cause", "resolution", "workaround",
        "tags", "published_at", "updated_at", "helpful_count", "unhelpful_count", "version")}
    data.update(
        products=[_ref(p) for p in article.products.all()],
        versions=[_ref(v) for v in (article.versions.all() if "versions" in getattr(
            article, "_prefetched_objects_cache", {}) else article.versions.select_related("product"))],
        category=_ref(article.category), author=_ref(article.author), reviewer=_ref(article.reviewer),
        transitions=services.allowed_transitions(article, user),
        solved_count=article.solved_count,
        needs_update=article.needs_update if hasattr(article, "needs_update") else ArticleFlag.objects.filter(
            article=article, cleared_at=None).exists(),
    )
    return data


def with_flags(qs: Any) -> Any:
    """Annotate `needs_update` (an open flag exists) in the same query."""
    return qs.annotate(needs_update=Exists(ArticleFlag.objects.filter(article=OuterRef("pk"), cleared_at=None)))


def _get(user: Any, article_id: int) -> Article:
    article = (Article.objects.visible_to(user).select_related("author", "reviewer", "category")
               .filter(pk=article_id).first())
    if article is None:
        raise NotFound(_("No such article, or you may not see it."))
    return article


def _refs(values: dict[str, Any]) -> dict[str, Any]:
    """Turn *_id / *_ids fields into objects; an unknown id is a 422 naming the field."""
    from loopdesk.assets.models import Product, ProductVersion
    from loopdesk.tickets.models import Category

    out = dict(values)
    errors: dict[str, list[str]] = {}
    for field, model, key in (("product_ids", Product, "products"), ("version_ids", ProductVersion, "versions")):
        if field in out:
            ids = list(dict.fromkeys(out.pop(field) or []))
            found = model.objects.in_bulk(ids)
            if len(found) != len(ids):
                errors[field] = [_("Unknown id.")]
            out[key] = [found[i] for i in ids if i in found]
    if "category_id" in out:
        category_id = out.pop("category_id")
        out["category"] = Category.objects.filter(pk=category_id).first() if category_id else None
        if category_id and out["category"] is None:
            errors["category_id"] = [_("Unknown id.")]
    if errors:
        raise ValidationFailed(fields=errors)
    return out


@router.get("", response=ArticlePage, summary="List articles")
def list_articles(request: HttpRequest, filters: Query[ArticleFilters]):
    """Articles the caller may read, newest first. Follow `next_cursor` for the next page."""
    user = _user(request)
    qs = with_flags(Article.objects.visible_to(user).select_related("author", "reviewer", "category"))
    exact = {"status": filters.status, "type": filters.type, "category_id": filters.category_id}
    qs = qs.filter(**{k: v for k, v in exact.items() if v is not None})
    if filters.product_id:
        qs = qs.filter(id__in=Article.products.through.objects.filter(
            product_id=filters.product_id).values("article_id"))
    if filters.mine:
        qs = qs.filter(author=user)
    if filters.cursor:
        if not filters.cursor.isdigit() or len(filters.cursor) > 18:
            raise ValidationFailed(fields={"cursor": [_("This cursor is invalid; start again without one.")]})
        qs = qs.filter(id__lt=int(filters.cursor))
    rows = list(qs.prefetch_related("products", Prefetch("versions", queryset=ProductVersion.objects.select_related(
        "product"))).order_by("-id")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {"items": [article_data(a, user) for a in rows],
            "next_cursor": str(rows[-1].pk) if more else None}


@router.post("", response={201: ArticleOut}, summary="Write an article (a draft)")
def create_article(request: HttpRequest, payload: ArticleIn):
    user = _user(request)
    article = services.create_article(actor=user, **_refs(payload.model_dump()))
    return Status(201, article_data(article, user))


@router.get("/{int:article_id}", response=ArticleOut, summary="Get an article")
def get_article(request: HttpRequest, article_id: int):
    user = _user(request)
    return article_data(_get(user, article_id), user)


@router.patch("/{int:article_id}", response=ArticleOut, summary="Edit an article")
def patch_article(request: HttpRequest, article_id: int, payload: ArticlePatch):
    """Only the fields sent change; each change makes a new version."""
    user = _user(request)
    values = _refs(payload.model_dump(exclude_unset=True))
    errors = {k: [_("This field cannot be empty.")] for k, v in values.items()
              if v is None and k not in ("category",)}
    if errors:
        raise ValidationFailed(fields=errors)
    article = services.update_article(actor=user, article=_get(user, article_id), **values)
    return article_data(article, user)


@router.post("/{int:article_id}/transition", response=ArticleOut, summary="Move an article in its lifecycle")
def transition_article(request: HttpRequest, article_id: int, payload: ArticleTransitionIn):
    """draft → review (author), review → published or back to draft (reviewer), published → retired
    (reviewer), retired → draft."""
    user = _user(request)
    reviewer = None
    if payload.reviewer_id is not None:
        from django.contrib.auth import get_user_model

        reviewer = get_user_model().objects.filter(pk=payload.reviewer_id, is_active=True).first()
        if reviewer is None:
            raise ValidationFailed(fields={"reviewer_id": [_("Unknown id.")]})
    article = services.transition_article(actor=user, article=_get(user, article_id), to=payload.to,
                                          note=payload.note, reviewer=reviewer)
    return article_data(article, user)


@router.post("/{int:article_id}/vote", response=ArticleOut, summary="Vote an article helpful or not")
def vote_article(request: HttpRequest, article_id: int, payload: VoteIn):
    user = _user(request)
    article = services.vote_article(actor=user, article=_get(user, article_id), helpful=payload.helpful,
                                    reason=payload.reason, comment=payload.comment)
    return article_data(article, user)


def _staff_article(user: Any, article_id: int) -> Article:
    """The article for the staff-only parts (review thread, revisions, flags, links): 404 for
    anyone who neither writes nor reviews knowledge, as for an article they cannot see."""
    if not (can_author(user) or can_review(user)):
        raise NotFound(_("No such article, or you may not see it."))
    return _get(user, article_id)


def _comment(c: ArticleComment) -> dict[str, Any]:
    return {"id": c.pk, "author": _ref(c.author), "body": c.body, "version": c.version, "created_at": c.created_at}


@router.get("/{int:article_id}/comments", response=KbCommentList, summary="The review thread")
def list_comments(request: HttpRequest, article_id: int):
    """Review comments, oldest first (staff who write or review knowledge)."""
    article = _staff_article(_user(request), article_id)
    return {"items": [_comment(c) for c in article.comments.select_related("author")]}


@router.post("/{int:article_id}/comments", response={201: KbCommentOut}, summary="Comment in the review thread")
def add_comment(request: HttpRequest, article_id: int, payload: KbCommentIn):
    user = _user(request)
    comment = services.add_review_comment(actor=user, article=_staff_article(user, article_id), body=payload.body)
    return Status(201, _comment(comment))


@router.get("/{int:article_id}/revisions", response=KbRevisionList, summary="The article's revisions")
def list_revisions(request: HttpRequest, article_id: int):
    """Every saved version, oldest first; `published_at` marks the versions that were published."""
    article = _staff_article(_user(request), article_id)
    rows = ArticleRevision.objects.filter(article=article).select_related("author").order_by("version")
    return {"items": [{"version": r.version, "author": _ref(r.author), "created_at": r.created_at,
                       "published_at": r.published_at} for r in rows]}


class KbDiffParams(Schema):
    from_version: int = Field(alias="from", ge=1)
    to_version: int = Field(alias="to", ge=1)


@router.get("/{int:article_id}/diff", response=KbDiffList, summary="What changed between two revisions")
def revision_diff(request: HttpRequest, article_id: int, params: Query[KbDiffParams]):
    """`?from=1&to=3`: for each field that differs, a unified diff of its text (markup left out)."""
    article = _staff_article(_user(request), article_id)
    found = {r.version: r for r in ArticleRevision.objects.filter(
        article=article, version__in=[params.from_version, params.to_version])}
    missing = {k: [_("No such version.")] for k, v in (("from", params.from_version), ("to", params.to_version))
               if v not in found}
    if missing:
        raise ValidationFailed(fields=missing)
    changes = diff_revisions(found[params.from_version], found[params.to_version])
    return {"items": [{"field": c["field"], "label": c["label"], "unified": c["unified"]} for c in changes]}


def _attachment(a: ArticleAttachment) -> dict[str, Any]:
    return {"id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type, "url": url_of(a),
            "created_at": a.created_at}


@router.get("/{int:article_id}/attachments", response=KbAttachmentList, summary="The article's images and files")
def list_attachments(request: HttpRequest, article_id: int):
    article = _get(_user(request), article_id)
    return {"items": [_attachment(a) for a in article.attachments.all()]}


@router.post("/{int:article_id}/attachments", response={201: KbAttachmentOut}, summary="Upload an image or file")
def upload_attachment(request: HttpRequest, article_id: int, file: File[UploadedFile]):
    """multipart/form-data with `file`. Size and type are checked like ticket attachments; put the
    returned `url` into the article's HTML to show an image."""
    user = _user(request)
    attachment = services.add_attachment(actor=user, article=_get(user, article_id), upload=file)
    return Status(201, _attachment(attachment))


@router.get("/{int:article_id}/attachments/{int:attachment_id}/download", response={200: None},
            summary="Download an image or file")
def download_attachment(request: HttpRequest, article_id: int, attachment_id: int):
    """The file's bytes; 404 unless the caller may read the article."""
    article = _get(_user(request), article_id)
    attachment = article.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such file on this article."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is missing from storage.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@router.delete("/{int:article_id}/attachments/{int:attachment_id}", response={204: None},
               summary="Remove an image or file")
def delete_attachment(request: HttpRequest, article_id: int, attachment_id: int):
    user = _user(request)
    attachment = _get(user, article_id).attachments.filter(pk=attachment_id).select_related("article").first()
    if attachment is None:
        raise NotFound(_("No such file on this article."))
    services.delete_attachment(actor=user, attachment=attachment)
    return Status(204, None)


def _flag(f: ArticleFlag) -> dict[str, Any]:
    return {"id": f.pk, "reason": f.reason, "note": f.note, "raised_by": _ref(f.raised_by),
            "created_at": f.created_at, "cleared_at": f.cleared_at}


@router.get("/{int:article_id}/flags", response=KbFlagList, summary="\"Needs update\" flags")
def list_flags(request: HttpRequest, article_id: int):
    """Open and cleared flags, newest first (staff)."""
    article = _staff_article(_user(request), article_id)
    return {"items": [_flag(f) for f in article.flags.select_related("raised_by")]}


@router.post("/{int:article_id}/flags", response={201: KbFlagOut}, summary="Flag an article as needing an update")
def raise_flag(request: HttpRequest, article_id: int, payload: KbFlagIn):
    user = _user(request)
    flag = services.flag_article(actor=user, article=_staff_article(user, article_id), note=payload.note)
    return Status(201, _flag(flag))


@router.post("/{int:article_id}/flags/{int:flag_id}/clear", response=KbFlagOut, summary="Clear a flag")
def clear_flag(request: HttpRequest, article_id: int, flag_id: int):
    """Reviewers clear any flag, authors the ones raised by hand on their article; publishing
    clears them all."""
    user = _user(request)
    flag = _staff_article(user, article_id).flags.filter(pk=flag_id).first()
    if flag is None:
        raise NotFound(_("No such flag."))
    return _flag(services.clear_flag(actor=user, flag=flag))


def _ticket_of(user: Any, ticket_id: int) -> Any:
    from loopdesk.tickets.models import Ticket

    ticket = Ticket.objects.visible_to(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket, or you may not see it."))
    return ticket


def _link(link: ArticleTicket) -> dict[str, Any]:
    return {"ticket_id": link.ticket_id, "number": link.ticket.number, "title": link.ticket.title,
            "kind": link.kind, "created_at": link.created_at}


@router.post("/from-ticket/{int:ticket_id}", response={201: ArticleOut}, summary="Draft an article from a ticket")
def draft_from_ticket(request: HttpRequest, ticket_id: int):
    """A troubleshooting draft prefilled from a resolved or closed ticket (customer data stripped),
    linked to it. 409 while the ticket is still open."""
    user = _user(request)
    article = services.draft_from_ticket(actor=user, ticket=_ticket_of(user, ticket_id))
    return Status(201, article_data(article, user))


@router.get("/{int:article_id}/tickets", response=KbTicketLinkList, summary="Tickets linked to the article")
def list_ticket_links(request: HttpRequest, article_id: int):
    """Only the tickets the caller may see are listed; `solved_count` on the article counts all."""
    from loopdesk.tickets.models import Ticket

    user = _user(request)
    article = _staff_article(user, article_id)
    links = article.ticket_links.filter(ticket__in=Ticket.objects.visible_to(user).values("id")).select_related(
        "ticket").order_by("-created_at")
    return {"items": [_link(link) for link in links]}


@router.post("/{int:article_id}/tickets", response={201: KbTicketLinkOut}, summary="Link the article to a ticket")
def link_ticket(request: HttpRequest, article_id: int, payload: KbTicketLinkIn):
    """kind `solved` (default): the article solved the ticket; counts once per ticket."""
    user = _user(request)
    link = services.link_ticket(actor=user, article=_staff_article(user, article_id),
                                ticket=_ticket_of(user, payload.ticket_id), kind=payload.kind)
    return Status(201, _link(link))


@router.delete("/{int:article_id}/tickets/{int:ticket_id}", response={204: None},
               summary="Remove a \"solved\" link")
def unlink_ticket(request: HttpRequest, article_id: int, ticket_id: int):
    user = _user(request)
    if not services.unlink_ticket(actor=user, article=_staff_article(user, article_id),
                                  ticket=_ticket_of(user, ticket_id)):
        raise NotFound(_("The article is not linked to this ticket."))
    return Status(204, None)


class KbLeaderboardParams(Schema):
    period: Literal["month", "quarter", "all"] = "month"
    limit: int = Field(20, ge=1, le=100)


@router.get("/leaderboard", response=KbLeaderboard, summary="Reward points leaderboard")
def leaderboard(request: HttpRequest, params: Query[KbLeaderboardParams]):
    """Points earned in the current month, quarter or ever, highest first (staff only)."""
    user = _user(request)
    if not (can_author(user) or can_review(user)):
        raise Forbidden(_("You may not see the leaderboard."))
    rows = rewards.leaderboard(period=params.period, limit=params.limit)
    return {"items": [{"user": _ref(r["user"]), "points": r["points"], "published": r["published"]} for r in rows]}


@search_router.get("", response=SearchOut, summary="Search articles or tickets")
def search_endpoint(request: HttpRequest, params: Query[SearchParams]):
    """Ranked hits among what the caller may see, with highlighted snippets. Chinese is segmented
    (product terms kept whole), English words match by prefix, synonyms count as the word."""
    if "\x00" in params.q:
        raise ValidationFailed(fields={"q": [_("Text may not contain NUL characters.")]})
    filters = Filters(product=params.product_id, version=params.version_id, category=params.category_id,
                      article_type=params.article_type, since=params.since, until=params.until)
    hits = search(_user(request), params.q, type=params.type, filters=filters, limit=params.limit)
    return {"items": [{"type": h.type, "id": h.id, "title": h.title, "title_html": h.title_html,
                       "snippet": h.snippet, "score": h.score} for h in hits]}
