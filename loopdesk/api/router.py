"""The root of the REST API, mounted at /api/v1/: auth, error format, idempotency and every router.

Spec at /api/v1/openapi.json; interactive docs at /api/v1/docs, served from our own static files
(swagger-ui ships with django-ninja), so they work on an intranet without internet access.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from loopdesk.assist.api import router as assist_router
from loopdesk.catalog.api import router as catalog_router
from loopdesk.imports.api import router as imports_router
from loopdesk.integrations.api import router as integrations_router
from loopdesk.knowledge import api as knowledge_api
from loopdesk.problems.api import router as problems_router
from loopdesk.rules.api import router as rules_router
from loopdesk.sla.api import router as sla_router
from loopdesk.sla.api_reports import router as sla_reports_router
from loopdesk.workflows.api import router as workflows_router

from . import assets, attachments, customers, problems, ticket_actions, ticket_batch, tickets
from .auth import AUTH
from .idempotency import idempotent

DESCRIPTION = """Loopdesk service management API.

Authenticate with `Authorization: Bearer <token>` (create one with `loopdesk token USERNAME`) or the
browser session (unsafe methods then need the `X-CSRFToken` header). Errors are RFC 9457 problem details
(`application/problem+json`). Lists return `{"items": [...], "next_cursor": ...}`; pass `cursor` to
continue. Any POST may carry an `Idempotency-Key` header: a retry returns the first answer. See docs/api.md.
"""


def _problem_405(view: Any) -> Any:
    """ninja answers a wrong method with plain text; give a problem instead (keeping `Allow`)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            problems.CONTENT_TYPE
        ):
            allow = response.get("Allow", "")
            response = problems.problem(request, 405, _("Use one of: %(methods)s.") % {"methods": allow})
            response["Allow"] = allow
        return response

    return wrapper


_ATTACHMENT_UPLOAD = re.compile(r"/tickets/\d+/attachments$")


def _upload_guard(view: Any) -> Any:
    """Refuse an attachment upload that is plainly too large from its Content-Length, before Django
    spools it to disk (the service still checks the real size of smaller ones)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and _ATTACHMENT_UPLOAD.search(request.path):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.LOOPDESK_ATTACHMENT_MAX_BYTES
            if length > limit + 64 * 1024:  # room for the multipart envelope
                return problems.problem(
                    request,
                    413,
                    _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)},
                    errors={"file": [_("Too large.")]},
                )
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt
def _unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problems.problem(request, 404, _("There is no such API endpoint."))


class LoopdeskAPI(NinjaAPI):
    """NinjaAPI whose every URL is wrapped (upload guard → idempotency → 405 as a problem) and which
    answers unknown paths under /api/v1/ with a 404 problem. `_get_urls` is ninja's (private) hook
    that builds the URL list; checked against django-ninja 1.7."""

    def _get_urls(self) -> list:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _upload_guard(idempotent(_problem_405(pattern.callback)))
        return [*patterns, re_path(r"^.*$", _unknown_route)]


api = LoopdeskAPI(
    title="Loopdesk API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTH,
    docs=Swagger(settings={"persistAuthorization": True}),
)
problems.install(api)

api.add_router("/tickets", ticket_batch.router)
api.add_router("/tickets", tickets.router)
api.add_router("/tickets", ticket_actions.router)
api.add_router("/tickets", attachments.router)
api.add_router("", customers.router)
api.add_router("", assets.router)
api.add_router("", assets.lookups)
api.add_router("/imports", imports_router)
api.add_router("/catalog", catalog_router)
api.add_router("/sla", sla_router)
api.add_router("/sla", sla_reports_router)
api.add_router("/articles", knowledge_api.router)
api.add_router("/search", knowledge_api.search_router)
api.add_router("/workflows", workflows_router)
api.add_router("/rules", rules_router)
api.add_router("/problems", problems_router)
api.add_router("/webhooks", integrations_router)
api.add_router("/assist", assist_router)
