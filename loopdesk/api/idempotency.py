"""`Idempotency-Key` on any POST: a retry gets the first answer instead of a second ticket.

The first successful (2xx) response is stored in `core.IdempotencyKey`, unique per (user, key), in
the same transaction as the write it describes. Two concurrent requests with one key both run, but
only one can insert the key row: the other's insert fails on the unique constraint (PostgreSQL makes
it wait for the first to commit), its whole transaction — the second ticket included — rolls back,
and it replays the stored response. The same key with another body is a 422.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from loopdesk.core.models import IdempotencyKey

from .auth import request_user
from .problems import problem, too_big

HEADER = "Idempotency-Key"


def _fingerprint(request: HttpRequest) -> str:
    """Hash of what was asked: method, path, query and body. Multipart bodies are hashed by their
    fields and file contents, since the boundary changes between two sends of the same form."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode())
    if request.content_type == "multipart/form-data":
        for key in sorted(request.POST):
            digest.update(f"{key}={request.POST.getlist(key)}\n".encode())
        for key in sorted(request.FILES):
            for upload in request.FILES.getlist(key):
                digest.update(f"{key}:{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(request: HttpRequest, row: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if row.request_hash != fingerprint:
        return problem(
            request,
            422,
            _("This Idempotency-Key was already used for a different request."),
            errors={HEADER: [_("Use a new key for a new request.")]},
            slug="idempotency-key-reused",
        )
    response = HttpResponse(
        json.dumps(row.response, ensure_ascii=False),
        status=row.status_code,
        content_type="application/json; charset=utf-8",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a view so POSTs carrying an Idempotency-Key run at most once per (user, key)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return view(request, *args, **kwargs)
        user = request_user(request)
        if user is None:
            return view(request, *args, **kwargs)  # answers 401 itself
        key = key.strip()
        if not key or len(key) > 255 or "\x00" in key:
            return problem(
                request,
                422,
                _("The Idempotency-Key header must be 1 to 255 characters."),
                errors={HEADER: [_("1 to 255 characters.")]},
            )
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return too_big(request)
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
        if row is not None:
            return _replay(request, row, fingerprint)
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                content_type = response.get("Content-Type", "")
                if 200 <= response.status_code < 300 and content_type.startswith("application/json"):
                    IdempotencyKey.objects.create(
                        user=user,
                        key=key,
                        method="POST",
                        path=request.path[:512],
                        request_hash=fingerprint,
                        status_code=response.status_code,
                        response=json.loads(response.content or b"null"),
                    )
        except IntegrityError:
            # Another request with this key committed first: ours rolled back; answer as it did.
            row = IdempotencyKey.objects.filter(user=user, key=key).first()
            if row is None:
                raise
            return _replay(request, row, fingerprint)
        return response

    return wrapper
