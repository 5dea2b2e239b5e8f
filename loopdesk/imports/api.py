"""Import endpoints, mounted by loopdesk.api.router at /api/v1/imports."""

from ninja import Router

router = Router(tags=["imports"])
