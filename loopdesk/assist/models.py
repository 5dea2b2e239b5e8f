"""Self-service and assist: article views, deflection sessions and the next-question model.

- `ArticleView`: someone read an article (where from: help-centre search, a suggestion on the request
  form, the help centre's lists, or an agent's assist panel).
- `SuggestionSession`: one customer typing one request on the portal: which articles were suggested,
  which were opened, and how it ended (a request was submitted, or the customer left: a deflection if
  they had opened a suggested article).
- `NextQuestionModel`: a trained Markov chain over customers' question events (see nextq.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ViewSource(models.TextChoices):
    SEARCH = "search", _("Help-centre search")
    SUGGESTION = "suggestion", _("Suggestion while typing a request")
    HELP = "help", _("Help centre")
    AGENT = "agent", _("Agent assist")


class ArticleView(models.Model):
    """One reading of an article. `company` is the reader's customer (null for staff), `product` the
    product it was read about when known (the request's product, or the article's only product)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    company = models.ForeignKey(
        "customers.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("customer"),
    )
    article = models.ForeignKey("knowledge.Article", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("article"))
    product = models.ForeignKey("assets.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    at = models.DateTimeField(_("at"), db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=ViewSource.choices, default=ViewSource.HELP)
    session_key = models.CharField(_("browser session"), max_length=64, blank=True)
    suggestion_session = models.ForeignKey(
        "SuggestionSession", on_delete=models.SET_NULL, null=True, blank=True, related_name="views",
    )

    class Meta:
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        indexes = [
            models.Index(fields=["company", "-at"], name="assist_view_company_at"),
            models.Index(fields=["article", "-at"], name="assist_view_article_at"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.at:%Y-%m-%d %H:%M}"


class Outcome(models.TextChoices):
    OPEN = "open", _("Still typing")
    SUBMITTED = "submitted", _("Request submitted")
    DEFLECTED = "deflected", _("Deflected")
    ABANDONED = "abandoned", _("Left without reading")


class SuggestionSession(models.Model):
    """A customer typing a request with suggestions beside it. Closed as `submitted` when the request
    is sent; otherwise, once idle for the window (`services.DEFLECTION_WINDOW`), as `deflected` if a
    suggested article was opened and `abandoned` if not."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey("customers.Company", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("customer"))
    product = models.ForeignKey("assets.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("product"))
    query = models.TextField(_("query"), blank=True)
    session_key = models.CharField(_("browser session"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    last_activity_at = models.DateTimeField(_("last activity"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("submitted request"))

    class Meta:
        verbose_name = _("suggestion session")
        verbose_name_plural = _("suggestion sessions")
        indexes = [models.Index(fields=["outcome", "last_activity_at"], name="assist_session_open")]

    def __str__(self) -> str:
        return f"{self.pk} {self.outcome}"

    @property
    def suggested_ids(self) -> list[int]:
        return [s.article_id for s in self.suggested.all()]

    @property
    def opened_ids(self) -> list[int]:
        return [s.article_id for s in self.suggested.all() if s.opened_at]


class SuggestedArticle(models.Model):
    """An article shown in a session (once, however often the list was refreshed), and when the
    customer opened it from there."""

    session = models.ForeignKey(SuggestionSession, on_delete=models.CASCADE, related_name="suggested")
    article = models.ForeignKey("knowledge.Article", on_delete=models.CASCADE, related_name="+")
    shown_at = models.DateTimeField(_("shown at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("suggested article")
        verbose_name_plural = _("suggested articles")
        constraints = [models.UniqueConstraint(fields=["session", "article"], name="assist_suggested_unique")]
        indexes = [models.Index(fields=["article", "shown_at"], name="assist_suggested_article")]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.article_id}"


class NextQuestionModel(models.Model):
    """A trained next-question model: `data` holds the transition and popularity counts (nextq.py),
    `until` the end of the training data (exclusive; null = everything up to `trained_at`)."""

    trained_at = models.DateTimeField(_("trained at"), db_index=True)
    until = models.DateTimeField(_("data until"), null=True, blank=True)
    events = models.PositiveIntegerField(_("events"), default=0)
    transitions = models.PositiveIntegerField(_("transitions"), default=0)
    data = models.JSONField(_("counts"), default=dict)

    class Meta:
        verbose_name = _("next-question model")
        verbose_name_plural = _("next-question models")

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d %H:%M} ({self.transitions})"
