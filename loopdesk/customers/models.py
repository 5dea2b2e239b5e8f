"""Customer companies, their contacts and sites."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
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
        """Find by company name/code, or by a contact's name, phone (leading or trailing digits) or e-mail."""
        text = text.strip()
        if not text:
            return self
        contacts = Contact.objects.matching(text).values("company_id")
        return self.filter(company_q(text) | Q(id__in=contacts))


# Phone search. Numbers are stored as typed ("010-88886666", "+86 138 0013 8000"); each contact also keeps
# a normalised key (digits, no country code, no trunk 0) and the same digits reversed, both indexed, so a
# caller's number, its first digits or its last digits are found by an index range scan on any database.
_PHONE_LIKE = re.compile(r"^[\d\s+\-()（）.]+$")
MIN_PHONE_DIGITS = 3


def phone_key(raw: str) -> str:
    """The national number as digits: "+86 10 8888-6666", "010-88886666" and "1088886666" are equal."""
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) > 11:  # a Chinese national number has at most 11 digits
        digits = digits[2:]
    return digits.lstrip("0")


def _reversed_digits(raw: str) -> str:
    return re.sub(r"\D", "", raw or "")[::-1]


def _prefix_q(field_name: str, prefix: str) -> Q:
    """`field` starts with the digit string `prefix`, as a range (indexed whatever the collation or backend)."""
    q = Q(**{f"{field_name}__gte": prefix})
    stem = prefix.rstrip("9")
    if stem:
        q &= Q(**{f"{field_name}__lt": stem[:-1] + str(int(stem[-1]) + 1)})
    return q


def looks_like_phone(text: str) -> bool:
    return bool(_PHONE_LIKE.match(text)) and len(re.sub(r"\D", "", text)) >= MIN_PHONE_DIGITS


def company_q(text: str) -> Q:
    """Company name contains `text` (a scan, acceptable for now) or the code equals it (unique index)."""
    text = text.strip()
    codes = {text, text.upper()}
    if looks_like_phone(text):  # digits are a customer code, never part of a name worth scanning for
        return Q(code__in=codes)
    return Q(name__icontains=text) | Q(code__in=codes)


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
        if scope_for(user).all:  # headquarters: no subquery over every company
            return self
        return self.filter(company__in=Company.objects.visible_to(user).values("id"))

    def matching(self, text: str) -> ContactQuerySet:
        """Contacts found by `text`: an e-mail (exact, any case), a phone number or its first or last
        digits, or else part of the name. Phone and e-mail lookups use indexes."""
        text = text.strip()
        if not text:
            return self.none()
        if "@" in text:
            return self.alias(email_lower=Lower("email")).filter(email_lower=text.lower())
        if looks_like_phone(text):
            key, rkey = phone_key(text), _reversed_digits(text)
            q = Q(pk__in=[])
            if len(key) >= MIN_PHONE_DIGITS:
                q |= _prefix_q("phone_key", key) | _prefix_q("mobile_key", key)
            q |= _prefix_q("phone_rkey", rkey) | _prefix_q("mobile_rkey", rkey)
            return self.filter(q)
        return self.filter(name__icontains=text)

    def exactly(self, text: str) -> ContactQuerySet:
        """Contacts whose e-mail or full phone number is `text` (what a caller id or a mail gives)."""
        text = text.strip()
        if "@" in text:
            return self.alias(email_lower=Lower("email")).filter(email_lower=text.lower())
        key = phone_key(text)
        if not looks_like_phone(text) or len(key) < 7:
            return self.none()
        return self.filter(Q(phone_key=key) | Q(mobile_key=key))


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
    # Search keys derived from phone and mobile in save(); see phone_key().
    phone_key = models.CharField(max_length=32, blank=True, editable=False, db_index=True)
    phone_rkey = models.CharField(max_length=32, blank=True, editable=False, db_index=True)
    mobile_key = models.CharField(max_length=32, blank=True, editable=False, db_index=True)
    mobile_rkey = models.CharField(max_length=32, blank=True, editable=False, db_index=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["company", "name"]
        indexes = [models.Index(Lower("email"), name="contact_email_lower")]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})"

    def fill_search_keys(self) -> None:
        """Derive the phone search keys; call before bulk_create, which skips save()."""
        self.phone_key, self.phone_rkey = phone_key(self.phone), _reversed_digits(self.phone)
        self.mobile_key, self.mobile_rkey = phone_key(self.mobile), _reversed_digits(self.mobile)

    def save(self, *args, **kwargs):
        self.fill_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"phone", "mobile"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "phone_key", "phone_rkey", "mobile_key", "mobile_rkey"}
        super().save(*args, **kwargs)


class SiteQuerySet(models.QuerySet):
    def visible_to(self, user) -> SiteQuerySet:
        if scope_for(user).all:
            return self
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


@dataclass
class SearchHit:
    """One customer found by the search box, with the contacts that matched (if any)."""

    company: Company
    contacts: list[Contact] = field(default_factory=list)
    exact: bool = False  # found by a full phone number, an e-mail or the customer code


def find_customers(user, text: str, *, limit: int = 20) -> list[SearchHit]:
    """The hotline's one-box search over the customers `user` may see: companies by name or code and
    contacts by name, phone or e-mail, grouped by company (at most `limit` companies, 2 queries)."""
    text = text.strip()
    if not text:
        return []
    hits: dict[int, SearchHit] = {}
    key = phone_key(text) if looks_like_phone(text) else None
    contacts = (
        Contact.objects.visible_to(user).matching(text).select_related("company__org")
        .order_by("-is_primary", "name", "pk")[: limit * 3]
    )
    for contact in contacts:
        hit = hits.setdefault(contact.company_id, SearchHit(company=contact.company))
        if len(hit.contacts) < 3:
            hit.contacts.append(contact)
        hit.exact = hit.exact or _is_exact(contact, text, key)
    codes = {text, text.upper()}
    for company in Company.objects.visible_to(user).filter(company_q(text)).select_related("org")[:limit]:
        hit = hits.setdefault(company.pk, SearchHit(company=company))
        hit.exact = hit.exact or company.code in codes
    ranked = sorted(hits.values(), key=lambda h: (not h.exact, -h.company.vip_level, h.company.name))
    return ranked[:limit]


def _is_exact(contact: Contact, text: str, key: str | None) -> bool:
    if "@" in text:
        return True  # e-mail matches are exact by construction
    return bool(key) and len(key) >= 7 and key in (contact.phone_key, contact.mobile_key)
