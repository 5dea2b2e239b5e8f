"""RFC 9457 problem details: the one error format of the API.

Every failure a client can cause (bad JSON, wrong types, unknown ids, domain refusals, missing
authentication, unknown routes, wrong methods) leaves here as `application/problem+json` with
type, title, status, detail, instance and `errors` {field: [messages]}.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BaseModel

from loopdesk.core.errors import DomainError

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: dict[str, list[str]] = {}


def _titles() -> dict[int, tuple[str, str]]:
    # (slug for `type`, translated title) per status; built per call so the active language applies.
    return {
        400: ("malformed-request", _("Malformed request")),
        401: ("unauthenticated", _("Authentication required")),
        403: ("forbidden", _("Forbidden")),
        404: ("not-found", _("Not found")),
        405: ("method-not-allowed", _("Method not allowed")),
        409: ("conflict", _("Conflict")),
        413: ("payload-too-large", _("Request too large")),
        422: ("validation-failed", _("Validation failed")),
        429: ("too-many-requests", _("Too many requests")),
        500: ("server-error", _("Internal error")),
    }


def problem(
    request: HttpRequest,
    status: int,
    detail: str | None = None,
    *,
    errors: dict[str, list[str]] | None = None,
    title: str | None = None,
    slug: str | None = None,
) -> HttpResponse:
    """A problem+json response for `status`."""
    default_slug, default_title = _titles().get(status, ("error", _("Error")))
    body = {
        "type": f"urn:loopdesk:problem:{slug or default_slug}",
        "title": str(title or default_title),
        "status": status,
        "detail": str(detail or title or default_title),
        "instance": request.path,
        "errors": {k: [str(m) for m in v] for k, v in (errors or {}).items()},
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)


# pydantic error types → a translated message (pydantic's own texts are English only).
def too_big(request: HttpRequest) -> HttpResponse:
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return problem(
        request,
        413,
        _("The request body is larger than %(limit)s.") % {"limit": limit},
        errors={"body": [_("Too large.")]},
    )


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "string_type": _("Enter text."),
        "string_too_long": _("At most %(n)s characters.") % {"n": ctx.get("max_length", "")},
        "string_too_short": _("At least %(n)s characters.") % {"n": ctx.get("min_length", "")},
        "int_type": _("Enter a whole number."),
        "int_parsing": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "float_type": _("Enter a number."),
        "float_parsing": _("Enter a number."),
        "bool_type": _("Enter true or false."),
        "bool_parsing": _("Enter true or false."),
        "dict_type": _("Enter an object."),
        "model_type": _("Enter an object."),
        "model_attributes_type": _("Enter an object."),
        "list_type": _("Enter a list."),
        "datetime_type": _("Enter a date and time (ISO 8601)."),
        "datetime_parsing": _("Enter a date and time (ISO 8601)."),
        "datetime_from_date_parsing": _("Enter a date and time (ISO 8601)."),
        "date_type": _("Enter a date as YYYY-MM-DD."),
        "date_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
        "greater_than_equal": _("Must be at least %(n)s.") % {"n": ctx.get("ge", "")},
        "greater_than": _("Must be greater than %(n)s.") % {"n": ctx.get("gt", "")},
        "less_than_equal": _("Must be at most %(n)s.") % {"n": ctx.get("le", "")},
        "less_than": _("Must be less than %(n)s.") % {"n": ctx.get("lt", "")},
        "literal_error": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "enum": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "extra_forbidden": _("Unknown field."),
        "value_error": str(ctx.get("error", "")).removeprefix("Value error, ") or _("Enter a valid value."),
    }
    return messages.get(kind) or _("Enter a valid value.")


def _field(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    # ("body", "payload", "title") → "title"; ("query", "limit") → "limit"; ("file", "file") → "file"
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in {"query", "path", "header", "form", "file", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field(error.get("loc", ())), []).append(_message(error))
    return fields


def install(api: NinjaAPI) -> None:
    """Register the problem-details exception handlers on `api`."""

    @api.exception_handler(ValidationError)
    def _validation(request, exc):
        return problem(request, 422, _("Some fields are invalid."), errors=validation_errors(exc.errors))

    @api.exception_handler(DomainError)
    def _domain(request, exc):
        slug = None if exc.status in _titles() else "domain-error"
        return problem(request, exc.status, exc.detail, errors=exc.fields, title=str(exc.title), slug=slug)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        response = problem(request, 401, _("Send a valid API token (Authorization: Bearer …) or sign in."))
        response["WWW-Authenticate"] = 'Bearer realm="loopdesk"'
        return response

    @api.exception_handler(HttpError)
    def _http(request, exc):
        if exc.status_code == 400 and isinstance(exc.__cause__, RequestDataTooBig):
            return too_big(request)
        if exc.status_code == 400:
            return problem(
                request,
                400,
                _("The request body is not valid JSON."),
                errors={"body": [_("Malformed JSON.")]},
            )
        if exc.status_code == 403:
            return problem(request, 403, _("The CSRF check failed; send the X-CSRFToken header."))
        return problem(request, exc.status_code, str(exc))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return too_big(request)

    @api.exception_handler(SuspiciousOperation)
    @api.exception_handler(MultiPartParserError)
    def _bad_request(request, exc):
        # Too many fields, a broken multipart body, …: the client's fault, so a 400, never a 500.
        return problem(request, 400, _("The request could not be read."))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem(request, 404, _("No such object, or you may not see it."))

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        log.exception("API error on %s %s", request.method, request.path)
        return problem(request, 500, _("Something went wrong on our side; the error was logged."))
