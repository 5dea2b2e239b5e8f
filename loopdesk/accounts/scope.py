"""The one scoping layer: what part of the network a user may see.

Every domain queryset's `visible_to(user)` builds its filter from this Scope, so the rule
"headquarters sees all, a branch its subtree, a partner what was dispatched to it, a customer their
company's" lives here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopdesk.core.caches import ProcessCache
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


# Scopes (and roles) per user, for a few seconds per process: computing one costs two queries on every
# request. A membership, organisation, contact or group change in this process clears them at once;
# other processes see it within SCOPE_TTL seconds.
SCOPE_TTL = 5.0
_scopes = ProcessCache("accounts.scopes", ttl=SCOPE_TTL, max_entries=10_000)  # one entry per user seen


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request) and remembered for a
    few seconds per process."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_loopdesk_scope", None)
    if cached is not None:
        return cached

    def compute() -> tuple[Scope, set[str] | None]:
        scope = _compute(user)
        return scope, getattr(user, "_roles", None)

    scope, roles = _scopes.get((user.pk, user.is_superuser), compute)
    if roles is not None and not hasattr(user, "_roles"):
        user._roles = set(roles)
    user._loopdesk_scope = scope
    return scope


def _compute(user) -> Scope:
    if user.is_superuser:
        return Scope(all=True, customer_only=False)
    memberships = list(user.memberships.select_related("organization"))
    user._roles = {m.role for m in memberships}  # User.permissions needs them too: no second query
    internal = [m.organization for m in memberships if m.organization and not m.organization.is_partner
                and m.role != Role.CUSTOMER]
    partners = [m.organization for m in memberships if m.organization and m.organization.is_partner]
    staff = any(m.role != Role.CUSTOMER for m in memberships)
    if any(o.is_headquarters for o in internal):
        return Scope(all=True, customer_only=False)
    # One query less on every staff request: only a customer login can be a company's contact.
    is_contact = not staff or any(m.role == Role.CUSTOMER for m in memberships)
    company_ids = frozenset(user.contacts.values_list("company_id", flat=True)) if is_contact else frozenset()
    org_ids, partner_ids, group_ids = _subtrees_and_groups(user, internal, partners, staff)
    return Scope(
        org_ids=org_ids, partner_org_ids=partner_ids, company_ids=company_ids, customer_only=not staff,
        user_id=user.pk if staff else None, group_ids=group_ids,
    )


def _subtrees_and_groups(user, internal, partners, staff) -> tuple[frozenset, frozenset, frozenset]:
    """Both subtrees and the user's assignment groups in one round trip (this runs on every request)."""
    from django.db.models import CharField, Q, Value

    from .models import Group

    roots = internal + partners
    parts = []
    if roots:
        q = Q()
        for org in roots:
            q |= Q(path__startswith=org.path)
        parts.append(Organization.objects.filter(q).order_by().values_list("id", "path"))
    if staff:
        members = Group.members.through.objects.filter(user_id=user.pk).order_by()
        parts.append(members.values_list("group_id", Value("", output_field=CharField())))
    if not parts:
        return frozenset(), frozenset(), frozenset()
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    partner_paths = tuple(o.path for o in partners)
    org_ids, partner_ids, group_ids = set(), set(), set()
    for pk, path in rows:
        if not path:
            group_ids.add(pk)
        elif path.startswith(partner_paths) if partner_paths else False:
            partner_ids.add(pk)
        else:
            org_ids.add(pk)
    return frozenset(org_ids), frozenset(partner_ids), frozenset(group_ids)
