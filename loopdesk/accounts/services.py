"""Writes for users, memberships and API tokens."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.core.errors import ValidationFailed
from loopdesk.core.services import record_audit

from .models import ApiToken, Membership, Notification, User
from .roles import Role


@transaction.atomic
def create_user(
    *, username: str, password: str | None = None, display_name: str = "", email: str = "", phone: str = "",
    memberships: list[tuple[Any, str]] = (), actor: Any = None, is_superuser: bool = False,
) -> User:
    """Create a user with (organisation, role) memberships."""
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(fields={"username": [_("This username is taken.")]})
    for _org, role in memberships:
        if role not in Role.values:
            raise ValidationFailed(fields={"role": [_("Unknown role.")]})
    user = User(
        username=username, display_name=display_name, email=email, phone=phone,
        is_superuser=is_superuser, is_staff=is_superuser,
    )
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    for org, role in memberships:
        Membership.objects.create(user=user, organization=org, role=role)
    record_audit(actor=actor, obj=user, action="create", changes={"username": username})
    return user


def issue_token(*, user: User, name: str = "") -> str:
    """Create an API token for `user` and return it; only its hash is kept."""
    token = "ld_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=token[:10], digest=ApiToken.hash(token))
    record_audit(actor=user, obj=user, action="token_issued", changes={"prefix": token[:10]})
    return token


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    try:
        row = ApiToken.objects.select_related("user").get(digest=ApiToken.hash(token), revoked=False)
    except ApiToken.DoesNotExist:
        return None
    if not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)  # at most one write per 5 min
    return row.user


@transaction.atomic
def update_profile(
    *, actor: Any, user: User, display_name: str | None = None, phone: str | None = None,
    timezone_name: str | None = None,
) -> User:
    """A user changes their own display name, phone and time zone (an administrator may do it for them)."""
    import zoneinfo

    from loopdesk.core.errors import Forbidden

    from .roles import Perm

    if getattr(actor, "pk", None) != user.pk and not (actor and actor.can(Perm.ORG_ADMIN)):
        raise Forbidden(_("You may only change your own profile."))
    if timezone_name is not None and timezone_name not in zoneinfo.available_timezones():
        raise ValidationFailed(fields={"timezone": [_("Unknown time zone.")]})
    locked = User.objects.select_for_update().get(pk=user.pk)
    values = {k: v for k, v in {"display_name": display_name, "phone": phone, "timezone": timezone_name}.items()
              if v is not None}
    changes = {f: [getattr(locked, f), v] for f, v in values.items() if getattr(locked, f) != v}
    for field, value in values.items():
        setattr(locked, field, value)
        setattr(user, field, value)
    if changes:
        locked.save(update_fields=list(values))
        record_audit(actor=actor, obj=locked, action="update_profile", changes=changes)
    return user


def notify(
    recipients: Any, *, subject: str, body: str = "", url: str = "", ticket_id: int | None = None, kind: str = "",
) -> list[Notification]:
    """Put one message in each recipient's inbox (inactive users and duplicates skipped). Call it
    inside the caller's transaction so that a rolled-back change notifies nobody."""
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(
            recipient=user, kind=kind, subject=subject[:255], body=body, url=url[:255], ticket_id=ticket_id,
        ))
    return Notification.objects.bulk_create(rows)


def mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); return how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
