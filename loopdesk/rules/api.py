"""/api/v1 endpoints of rules."""

from ninja import Router

router = Router(tags=["rules"])
