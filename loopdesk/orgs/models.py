"""The service network: headquarters → branches → service centres, and partner organisations."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from loopdesk.core.models import TimeStamped


class OrganizationQuerySet(models.QuerySet):
    def subtree_ids(self, orgs) -> set[int]:
        """Ids of the given organisations and every organisation below them."""
        paths = [o.path for o in orgs]
        if not paths:
            return set()
        q = models.Q()
        for path in paths:
            q |= models.Q(path__startswith=path)
        return set(self.filter(q).values_list("id", flat=True))

    def internal(self):
        return self.exclude(kind=Organization.Kind.PARTNER)

    def partners(self):
        return self.filter(kind=Organization.Kind.PARTNER)


class Organization(TimeStamped):
    """A node of the service network. `path` ("/1/4/9/") makes subtree queries one indexed prefix scan."""

    class Kind(models.TextChoices):
        HEADQUARTERS = "headquarters", _("Headquarters")
        BRANCH = "branch", _("Branch")
        SERVICE_CENTRE = "service_centre", _("Service centre")
        PARTNER = "partner", _("Partner")

    name = models.CharField(_("name"), max_length=128)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    region = models.CharField(_("region"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_headquarters(self) -> bool:
        return self.kind == self.Kind.HEADQUARTERS

    @property
    def is_partner(self) -> bool:
        return self.kind == self.Kind.PARTNER

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2 if self.path else 0
