"""Problem records: linked incidents, root cause, workaround, known errors.

A problem is a Ticket of type `problem` (so it has the ticket's lifecycle, queue, history and
visibility) plus one ProblemRecord with what problem management adds. Incidents are linked to it
with the ticket link "is caused by" (incident → problem)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemRecord(models.Model):
    """Root cause, workaround and known-error state of a problem ticket."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True,
                                  related_name="problem_record", verbose_name=_("problem"))
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    known_error = models.BooleanField(_("known error"), default=False)
    known_error_since = models.DateTimeField(_("known error since"), null=True, blank=True)
    article = models.ForeignKey("knowledge.Article", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("knowledge article"))
    affected_versions = models.ManyToManyField("assets.ProductVersion", blank=True, related_name="+",
                                               verbose_name=_("affected product versions"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("problem record")
        verbose_name_plural = _("problem records")
        indexes = [models.Index(fields=["known_error", "-updated_at"], name="pb_known_error")]

    def __str__(self) -> str:
        return str(self.ticket_id)
