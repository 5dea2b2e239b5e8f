"""The one scoping layer: what part of the network a user may see.

Every domain queryset's `visible_to(user)` builds its filter from this Scope, so the rule
"headquarters sees all, a branch its subtree, a partner what was dispatched to it, a customer their
company's" lives here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopdesk.orgs.models import Organization

from .roles import Role


@dataclass(frozen=True)
class Scope:
    all: bool = False
    org_ids: frozenset[int] = frozenset()  # internal organisations (whole subtrees)
    partner_org_ids: frozenset[int] = frozenset()  # partner organisations (whole subtrees)
    company_ids: frozenset[int] = frozenset()  # companies the user is a contact of
    user_id: int | None = None  # staff also see what is assigned to them …
    group_ids: frozenset[int] = frozenset()  # … or to their assignment groups, wherever it belongs
    customer_only: bool = True  # sees public content only (no internal notes)

    @property
    def empty(self) -> bool:
        return not (self.all or self.org_ids or self.partner_org_ids or self.company_ids or self.user_id)


NOTHING = Scope()


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_loopdesk_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    user._loopdesk_scope = scope
    return scope


def _compute(user) -> Scope:
    if user.is_superuser:
        return Scope(all=True, customer_only=False)
    memberships = list(user.memberships.select_related("organization"))
    internal = [m.organization for m in memberships if m.organization and not m.organization.is_partner
                and m.role != Role.CUSTOMER]
    partners = [m.organization for m in memberships if m.organization and m.organization.is_partner]
    staff = any(m.role != Role.CUSTOMER for m in memberships)
    if any(o.is_headquarters for o in internal):
        return Scope(all=True, customer_only=False)
    # One query less on every staff request: only a customer login can be a company's contact.
    is_contact = not staff or any(m.role == Role.CUSTOMER for m in memberships)
    company_ids = frozenset(user.contacts.values_list("company_id", flat=True)) if is_contact else frozenset()
    return Scope(
        org_ids=frozenset(Organization.objects.subtree_ids(internal)),
        partner_org_ids=frozenset(Organization.objects.subtree_ids(partners)),
        company_ids=company_ids,
        customer_only=not staff,
        user_id=user.pk if staff else None,
        group_ids=frozenset(user.assignment_groups.values_list("id", flat=True)) if staff else frozenset(),
    )
