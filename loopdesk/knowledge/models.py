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
    solved_count = models.PositiveIntegerField(_("tickets solved"), default=0)
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
        """The article's searchable body as plain text: every text field, in reading order (the
        fields hold sanitised HTML; tags are dropped and entities decoded)."""
        from .sanitize import plain_text

        parts = (self.symptom, self.cause, self.resolution, self.workaround, self.body)
        return "\n".join(plain_text(p) for p in parts if p)


class ArticleRevision(models.Model):
    """A snapshot of an article after each change (append-only)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        ordering = ["article", "version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="kb_revision_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class VoteReason(models.TextChoices):
    OUTDATED = "outdated", _("Outdated")
    UNCLEAR = "unclear", _("Unclear")
    DID_NOT_SOLVE = "did_not_solve", _("Did not solve my problem")
    WRONG_PRODUCT = "wrong_product", _("Wrong product or version")


class ArticleVote(models.Model):
    """One user's helpful / not helpful vote on an article; a second vote replaces the first.
    A "not helpful" vote may say why (`reason`) and add a remark."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    reason = models.CharField(_("reason"), max_length=16, choices=VoteReason.choices, blank=True)
    comment = models.CharField(_("remark"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), auto_now=True)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_vote_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.user_id} {'+' if self.helpful else '-'}"


def attachment_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{instance.token}"


class ArticleAttachment(models.Model):
    """An image or file of an article, on disk under MEDIA_ROOT, served only to users who may read
    the article (`/knowledge/files/<token>/`)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=128)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ArticleComment(models.Model):
    """A remark in an article's review thread (staff only; customers never see it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("text"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.article_id}#{self.pk}"


class FlagReason(models.TextChoices):
    VERSION_CHANGED = "version_changed", _("A product version it applies to changed")
    NEW_VERSION = "new_version", _("A new version of its product was released")
    VOTES = "votes", _("Readers voted it not helpful")
    MANUAL = "manual", _("Reported by staff")


class ArticleFlag(models.Model):
    """A "needs update" flag. Open while `cleared_at` is empty; the next publish clears every open
    flag. At most one open flag per article and reason."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(_("reason"), max_length=16, choices=FlagReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("needs-update flag")
        verbose_name_plural = _("needs-update flags")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["article", "reason"], condition=models.Q(cleared_at=None),
                                               name="kb_flag_one_open")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.reason}"


class ArticleTicket(models.Model):
    """An article ↔ ticket link: the ticket it was drafted from (`source`) or a ticket it solved."""

    class Kind(models.TextChoices):
        SOURCE = "source", _("Drafted from")
        SOLVED = "solved", _("Solved")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="article_links")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("article–ticket link")
        verbose_name_plural = _("article–ticket links")
        constraints = [models.UniqueConstraint(fields=["article", "ticket", "kind"], name="kb_article_ticket_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind} {self.ticket_id}"


class RewardReason(models.TextChoices):
    AUTHORED_PUBLISHED = "authored_published", _("Article published")
    REVIEWED = "reviewed", _("Article reviewed")
    HELPFUL_VOTE = "helpful_vote_received", _("Helpful vote received")
    SOLVED_TICKET = "solved_ticket", _("Article solved a ticket")


class RewardEntry(models.Model):
    """A line of the reward ledger (知识奖赏). `source` names what earned it, so one event never
    pays twice: (user, reason, article, source) is unique."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=24, choices=RewardReason.choices)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, null=True, blank=True, related_name="rewards")
    source = models.CharField(_("source"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("reward entry")
        verbose_name_plural = _("reward entries")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "reason", "article", "source"],
                                               name="kb_reward_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.points:+d} {self.reason}"


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
        # Broad queries (a word in most documents) walk the documents best first and stop early
        # instead of sorting every match (knowledge/search.py, _pg_ranked).
        indexes = [models.Index(fields=["kind", "-quality", "-fresh_day", "-object_id"], name="kb_searchdoc_rank")]

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
