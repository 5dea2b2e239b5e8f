"""Products, their versions, and the installed base: which customer runs which version where."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from loopdesk.core.models import TimeStamped
from loopdesk.customers.models import Company


class Product(TimeStamped):
    """A product line the vendor supports, e.g. U8, NC, 致远 A8."""

    name = models.CharField(_("name"), max_length=128)
    code = models.CharField(_("code"), max_length=32, unique=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductVersion(TimeStamped):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions", verbose_name=_("product"))
    version = models.CharField(_("version"), max_length=32)
    released_on = models.DateField(_("released on"), null=True, blank=True)
    end_of_support = models.DateField(_("end of support"), null=True, blank=True)

    class Meta:
        verbose_name = _("product version")
        verbose_name_plural = _("product versions")
        ordering = ["product", "-released_on", "version"]
        constraints = [models.UniqueConstraint(fields=["product", "version"], name="product_version_unique")]

    def __str__(self) -> str:
        return f"{self.product.name} {self.version}"


class AssetQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssetQuerySet:
        return self.filter(company__in=Company.objects.visible_to(user).values("id"))


class Asset(TimeStamped):
    """One installation of a product version at a customer (optionally at a site)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In use")
        RETIRED = "retired", _("Retired")

    company = models.ForeignKey(
        "customers.Company", on_delete=models.CASCADE, related_name="assets", verbose_name=_("customer")
    )
    site = models.ForeignKey(
        "customers.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="assets", verbose_name=_("site")
    )
    product_version = models.ForeignKey(
        ProductVersion, on_delete=models.PROTECT, related_name="assets", verbose_name=_("product version")
    )
    serial = models.CharField(_("serial / licence number"), max_length=64, blank=True, db_index=True)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    licences = models.PositiveIntegerField(_("licences"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")

    def __str__(self) -> str:
        return f"{self.product_version} · {self.serial or self.pk}"
