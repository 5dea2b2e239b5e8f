"""Who may write, review and read knowledge: the permission codes `Perm.KNOWLEDGE_WRITE` (draft and
edit articles) and `Perm.KNOWLEDGE_REVIEW` (approve, publish, retire), granted to roles in
`loopdesk.accounts.roles`; and which audience rule applies to a reader."""

from __future__ import annotations

from typing import Any

from loopdesk.accounts.roles import Perm, Role
from loopdesk.accounts.scope import scope_for

PARTNER_ROLES = frozenset({Role.PARTNER_AGENT})


def _roles(user: Any) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(user.roles)


def _can(user: Any, perm: str) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.can(perm))


def can_author(user: Any) -> bool:
    """Holders of KNOWLEDGE_WRITE (agents, engineers and the staff above them) write articles."""
    return _can(user, Perm.KNOWLEDGE_WRITE)


def can_review(user: Any) -> bool:
    """Holders of KNOWLEDGE_REVIEW (knowledge reviewers, service managers, administrators) approve,
    publish and retire."""
    return _can(user, Perm.KNOWLEDGE_REVIEW)


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
