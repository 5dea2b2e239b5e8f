"""Who may write, review and read knowledge, by role.

accounts.roles.Perm has no knowledge codes yet, so the rule lives here, in one place, keyed on roles."""

from __future__ import annotations

from typing import Any

from loopdesk.accounts.roles import Role
from loopdesk.accounts.scope import scope_for

AUTHOR_ROLES = frozenset({
    Role.AGENT, Role.ENGINEER, Role.FIELD_ENGINEER, Role.DISPATCHER, Role.MANAGER, Role.KNOWLEDGE_REVIEWER,
    Role.ADMIN,
})
REVIEWER_ROLES = frozenset({Role.KNOWLEDGE_REVIEWER, Role.MANAGER, Role.ADMIN})
PARTNER_ROLES = frozenset({Role.PARTNER_AGENT})


def _roles(user: Any) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(user.roles)


def can_author(user: Any) -> bool:
    """Agents, engineers and the staff above them write articles."""
    return bool(user is not None and user.is_active and (user.is_superuser or _roles(user) & AUTHOR_ROLES))


def can_review(user: Any) -> bool:
    """Knowledge reviewers, service managers and administrators approve, publish and retire."""
    return bool(user is not None and user.is_active and (user.is_superuser or _roles(user) & REVIEWER_ROLES))


def reader_kind(user: Any) -> str:
    """"staff", "partner", "customer" or "none": which audience rule applies to `user`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return "none"
    if user.is_superuser:
        return "staff"
    scope = scope_for(user)
    roles = _roles(user)
    if not scope.customer_only and roles - PARTNER_ROLES - {Role.CUSTOMER}:
        return "staff"
    if roles & PARTNER_ROLES:
        return "partner"
    return "customer" if roles else "none"
