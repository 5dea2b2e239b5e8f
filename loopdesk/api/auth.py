"""Who is calling: a bearer token (programs) or the browser session with CSRF (the UI)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from loopdesk.accounts.services import user_for_token

_CACHE = "_loopdesk_api_user"


class ApiRequest(HttpRequest):
    """The request as API handlers see it: `auth` is the authenticated user (for type checkers)."""

    auth: Any


def _activate(user: Any) -> Any:
    # The timezone middleware ran before the token was read; show times in the caller's zone.
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.timezone or "Asia/Shanghai"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()
    return user


def token_user(request: HttpRequest) -> Any:
    """The user of the request's bearer token, looked up once per request (None if absent/invalid)."""
    if not hasattr(request, _CACHE):
        user = None
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            user = user_for_token(token.strip())
        setattr(request, _CACHE, user)
    return getattr(request, _CACHE)


def request_user(request: HttpRequest) -> Any:
    """Token user, else the signed-in session user, else None (used by the idempotency layer)."""
    user = token_user(request)
    if user is None and getattr(request, "user", None) is not None and request.user.is_authenticated:
        user = request.user
    return user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` as issued by `loopdesk token USERNAME`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(request)
        if user is None:
            return None
        request.user = user
        return _activate(user)


class BrowserSession(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token (X-CSRFToken header)."""

    def __call__(self, request: HttpRequest) -> Any:
        # No session: answer 401, not a CSRF failure.
        if not getattr(getattr(request, "user", None), "is_authenticated", False):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return _activate(user) if user is not None and user.is_active else None


AUTH = [TokenAuth(), BrowserSession()]
