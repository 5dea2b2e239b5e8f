"""Show times in the signed-in user's zone (Asia/Shanghai by default); storage stays UTC."""

import zoneinfo

from django.utils import timezone


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = getattr(getattr(request, "user", None), "timezone", "") or ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone)) if zone else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class RejectNulBytesMiddleware:
    """A query string carrying a NUL byte is a bad request (400), never a 500: PostgreSQL cannot compare
    text containing NUL, and no legitimate filter or search needs one. (Form and JSON bodies are checked
    by the forms and the API.) Over HTTP a NUL arrives percent-encoded, so the raw string tells."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            from django.http import HttpResponseBadRequest, JsonResponse
            from django.utils.translation import gettext as _

            detail = _("The address contains a NUL character.")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"type": "about:blank", "title": _("Bad request"), "status": 400, "detail": detail,
                     "instance": request.path, "errors": {}},
                    status=400, content_type="application/problem+json",
                )
            return HttpResponseBadRequest(detail)
        return self.get_response(request)
