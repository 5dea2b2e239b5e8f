"""Knowledge articles, their revisions and votes, the search documents, and the search terms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .visibility import ArticleQuerySet


class ArticleType(models.TextChoices):
    HOWTO = "howto", _("How-to")
    TROUBLESHOOTING = "troubleshooting", _("Troubleshooting")
    FAQ = "faq", _("FAQ")
    KNOWN_ERROR = "known_error", _("Known error")
    ANNOUNCEMENT = "announcement", _("Announcement")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRODUCT = "product", _("Customers of the product")
    PARTNERS = "partners", _("Partners")
    INTERNAL = "internal", _("Internal")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Article(models.Model):
    """A knowledge article. Troubleshooting articles fill symptom / cause / resolution, known errors
    add a workaround; the other types use `body`. `version` counts edits (one revision each)."""

    title = models.CharField(_("title"), max_length=200)
    type = models.CharField(_("type"), max_length=24, choices=ArticleType.choices, default=ArticleType.HOWTO)
    body = models.TextField(_("body"), blank=True)
    symptom = models.TextField(_("symptom"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    products = models.ManyToManyField(
        "assets.Product", blank=True, related_name="articles", verbose_name=_("products")
    )
    versions = models.ManyToManyField(
        "assets.ProductVersion", blank=True, related_name="articles", verbose_name=_("product versions")
    )
    category = models.ForeignKey(
        "tickets.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="articles",
        verbose_name=_("category"),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.INTERNAL)
    status = models.CharField(_("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles", verbose_name=_("author")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("reviewer"),
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("drafted from ticket"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    unhelpful_count = models.PositiveIntegerField(_("unhelpful votes"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="kb_status_updated"),
            models.Index(fields=["author", "status"], name="kb_author_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def text(self) -> str:
        """The article's searchable body: every text field, in reading order."""
        parts = (self.symptom, self.cause, self.resolution, self.workaround, self.body)
        return "\n".join(p for p in parts if p)


class ArticleRevision(models.Model):
    """A snapshot of an article after each change (append-only)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        ordering = ["article", "version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="kb_revision_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class ArticleVote(models.Model):
    """One user's helpful / not helpful vote on an article; a second vote replaces the first."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    at = models.DateTimeField(_("at"), auto_now=True)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_vote_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.user_id} {'+' if self.helpful else '-'}"


class SearchDoc(models.Model):
    """The segmented text of one article or ticket, as space-joined tokens.

    PostgreSQL adds a `vector tsvector` column with a GIN index (migration 0002); SQLite keeps a
    parallel FTS5 table `knowledge_fts` whose rowid is this row's id. `fresh_day` (days since
    1970-01-01) and `quality` (smoothed helpful share, 0..1) feed the ranking boosts."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        TICKET = "ticket", _("Ticket")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField()
    title = models.TextField()
    body = models.TextField()
    chars = models.TextField()
    fresh_day = models.IntegerField(default=0)
    quality = models.FloatField(default=0.5)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="kb_searchdoc_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class Term(models.Model):
    """A word the segmenter must keep whole (a product name, module or code such as "T+" or
    "凭证打印"), with optional synonyms searched in its place ("加密锁" ↔ "加密狗", "软件狗")."""

    word = models.CharField(_("word"), max_length=64, unique=True)
    synonyms = models.JSONField(_("synonyms"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word
