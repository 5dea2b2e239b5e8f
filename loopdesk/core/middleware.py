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
    text containing NUL, and no legitimate filter or search needs one. The API validates its own
    parameters (a 422 problem naming the field); forms refuse NUL in bodies. Over HTTP a NUL arrives
    percent-encoded, so the raw string tells."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if ("%00" in query or "\x00" in query) and not request.path.startswith("/api/"):
            from django.http import HttpResponseBadRequest
            from django.utils.translation import gettext as _

            return HttpResponseBadRequest(_("The address contains a NUL character."))
        return self.get_response(request)
