"""Customer companies, their contacts and sites."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loopdesk.accounts.scope import scope_for
from loopdesk.core.models import TimeStamped


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user) -> CompanyQuerySet:
        scope = scope_for(user)
        if scope.all:
            return self
        if scope.empty:
            return self.none()
        q = Q(org_id__in=scope.org_ids) | Q(id__in=scope.company_ids)
        if scope.partner_org_ids:
            served = Company.partners.through.objects.filter(organization_id__in=scope.partner_org_ids)
            q |= Q(id__in=served.values("company_id"))
        return self.filter(q)

    def search(self, text: str) -> CompanyQuerySet:
        """Find by company name/code, or by a contact's name, phone or e-mail."""
        text = text.strip()
        if not text:
            return self
        contacts = Contact.objects.filter(
            Q(name__icontains=text) | Q(phone__contains=text) | Q(mobile__contains=text) | Q(email__iexact=text)
        ).values("company_id")
        return self.filter(Q(name__icontains=text) | Q(code__iexact=text) | Q(id__in=contacts))


class Company(TimeStamped):
    """A customer company, served by a branch (`org`), possibly also by partners."""

    class Vip(models.IntegerChoices):
        NORMAL = 0, _("Normal")
        SILVER = 1, _("Silver")
        GOLD = 2, _("Gold")
        PLATINUM = 3, _("Platinum")

    name = models.CharField(_("name"), max_length=200, db_index=True)
    code = models.CharField(_("customer code"), max_length=32, unique=True)
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="companies", verbose_name=_("serving branch")
    )
    partners = models.ManyToManyField(
        "orgs.Organization", related_name="partner_companies", blank=True, verbose_name=_("serving partners")
    )
    vip_level = models.PositiveSmallIntegerField(_("VIP level"), choices=Vip.choices, default=Vip.NORMAL)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    region = models.CharField(_("region"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    designated_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="designated_companies",
        verbose_name=_("designated engineer"),
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user) -> ContactQuerySet:
        return self.filter(company__in=Company.objects.visible_to(user).values("id"))


class Contact(TimeStamped):
    """A person at a customer company; may sign in to the portal through `user`."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=64, db_index=True)
    title = models.CharField(_("job title"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts",
        verbose_name=_("portal login"),
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["company", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})"


class SiteQuerySet(models.QuerySet):
    def visible_to(self, user) -> SiteQuerySet:
        return self.filter(company__in=Company.objects.visible_to(user).values("id"))


class Site(TimeStamped):
    """An address where a customer runs systems or receives on-site service."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sites", verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=128)
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return f"{self.company} · {self.name}"
