"""Turning ids from a request into objects the caller may see.

An id in the path that the caller may not see is a 404 (never a 403: that would leak that it
exists); an id in the body is a 422 naming the field. Both look only through `.visible_to(user)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from loopdesk.accounts.models import Group, User
from loopdesk.accounts.roles import Perm
from loopdesk.accounts.scope import scope_for
from loopdesk.assets.models import Asset, ProductVersion
from loopdesk.core.errors import NotFound, ValidationFailed
from loopdesk.customers.models import Company, Contact, Site
from loopdesk.orgs.models import Organization
from loopdesk.tickets.models import Category, Ticket


def get_or_404(qs: QuerySet, pk: int) -> Any:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("No such object, or you may not see it."))
    return obj


class Resolver:
    """Collects unknown-id errors for several body fields, so one 422 names them all."""

    def __init__(self, user: Any, *, cache: dict | None = None) -> None:
        self.user = user
        self.errors: dict[str, list[str]] = {}
        self.cache = cache  # shared by the Resolvers of one request (a batch) to look each id up once

    def _one(self, field: str, qs: Callable[[], QuerySet], pk: int | None, message: str) -> Any:
        """The object `pk` of the queryset `qs()` (built only when an id is given), or None and an error."""
        if pk is None:
            return None
        if self.cache is None:
            obj = qs().filter(pk=pk).first()
        else:
            key = (field, pk)
            if key not in self.cache:
                self.cache[key] = qs().filter(pk=pk).first()
            obj = self.cache[key]
        if obj is None:
            self.errors[field] = [message]
        return obj

    def company(self, pk: int | None, field: str = "customer_id") -> Company | None:
        return self._one(field, self._companies, pk, _("Unknown customer."))

    def preload_companies(self, pks: list[int | None], field: str = "customer_id") -> None:
        """Look many customers up in one query into the shared cache (the entries of a batch)."""
        assert self.cache is not None
        wanted = {pk for pk in pks if pk is not None and (field, pk) not in self.cache}
        found = {c.pk: c for c in self._companies().filter(pk__in=wanted)} if wanted else {}
        for pk in wanted:
            self.cache[(field, pk)] = found.get(pk)

    def _companies(self) -> QuerySet:
        return Company.objects.visible_to(self.user).select_related("org")

    def contact(self, pk: int | None, field: str = "contact_id") -> Contact | None:
        return self._one(field, lambda: Contact.objects.visible_to(self.user), pk, _("Unknown contact."))

    def site(self, pk: int | None, field: str = "site_id") -> Site | None:
        return self._one(field, lambda: Site.objects.visible_to(self.user), pk, _("Unknown site."))

    def asset(self, pk: int | None, field: str = "asset_id") -> Asset | None:
        return self._one(field, lambda: Asset.objects.visible_to(self.user).select_related("product_version__product"),
                         pk, _("Unknown asset."))

    def product_version(self, pk: int | None, field: str = "product_version_id") -> ProductVersion | None:
        return self._one(field, lambda: ProductVersion.objects.select_related("product"), pk,
                         _("Unknown product version."))

    def category(self, pk: int | None, field: str = "category_id") -> Category | None:
        return self._one(field, lambda: Category.objects.all(), pk, _("Unknown category."))

    def group(self, pk: int | None, field: str = "group_id") -> Group | None:
        return self._one(field, lambda: visible_groups(self.user), pk, _("Unknown assignment group."))

    def staff_user(self, pk: int | None, field: str = "assignee_id") -> User | None:
        return self._one(field, lambda: User.objects.filter(is_active=True), pk, _("Unknown user."))

    def organisation(self, pk: int | None, field: str = "org_id") -> Organization | None:
        return self._one(field, lambda: visible_organisations(self.user), pk, _("Unknown organisation."))

    def partner(self, pk: int | None, field: str = "partner_id") -> Organization | None:
        return self._one(field, lambda: visible_organisations(self.user).filter(kind=Organization.Kind.PARTNER), pk,
                         _("Unknown partner."))

    def ticket(self, pk: int | None, field: str) -> Ticket | None:
        return self._one(field, lambda: Ticket.objects.visible_to(self.user), pk, _("Unknown ticket."))

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(
                _("Some referenced objects do not exist or are out of your reach."), fields=self.errors
            )


def visible_organisations(user: Any) -> QuerySet:
    """Headquarters: all. Other staff: their own subtree, plus every partner if they may dispatch.
    Partner agents: their partner organisation. Customers: none."""
    scope = scope_for(user)
    if scope.all:
        return Organization.objects.all()
    if scope.customer_only:
        return Organization.objects.none()
    ids = set(scope.org_ids) | set(scope.partner_org_ids)
    if user.can(Perm.TICKET_ASSIGN):
        return Organization.objects.filter(Q(pk__in=ids) | Q(kind=Organization.Kind.PARTNER))
    return Organization.objects.filter(pk__in=ids)


def visible_groups(user: Any) -> QuerySet:
    """Assignment groups of the organisations the caller works in (all, at headquarters)."""
    scope = scope_for(user)
    if scope.all:
        return Group.objects.all()
    if scope.customer_only:
        return Group.objects.none()
    return Group.objects.filter(organization_id__in=set(scope.org_ids) | set(scope.partner_org_ids))
