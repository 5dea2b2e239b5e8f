"""Knowledge endpoints, mounted by loopdesk.api.router: `router` at /api/v1/articles and
`search_router` at /api/v1/search. Authentication and the problem-details error format belong to
the API app; here domain errors are simply raised and `request.auth` is the caller."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from loopdesk.core.errors import NotFound, ValidationFailed

from . import services
from .models import Article, ArticleStatus, ArticleType, Audience
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


class TransitionIn(Body):
    to: StatusName
    note: str = Field("", max_length=500)


class VoteIn(Body):
    helpful: bool


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
        versions=[_ref(v) for v in article.versions.select_related("product")],
        category=_ref(article.category), author=_ref(article.author), reviewer=_ref(article.reviewer),
        transitions=services.allowed_transitions(article, user),
    )
    return data


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
    qs = Article.objects.visible_to(user).select_related("author", "reviewer", "category")
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
    rows = list(qs.prefetch_related("products").order_by("-id")[: filters.limit + 1])
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
def transition_article(request: HttpRequest, article_id: int, payload: TransitionIn):
    """draft → review (author), review → published or back to draft (reviewer), published → retired
    (reviewer), retired → draft."""
    user = _user(request)
    article = services.transition_article(actor=user, article=_get(user, article_id), to=payload.to,
                                          note=payload.note)
    return article_data(article, user)


@router.post("/{int:article_id}/vote", response=ArticleOut, summary="Vote an article helpful or not")
def vote_article(request: HttpRequest, article_id: int, payload: VoteIn):
    user = _user(request)
    article = services.vote_article(actor=user, article=_get(user, article_id), helpful=payload.helpful)
    return article_data(article, user)


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
