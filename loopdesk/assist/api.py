"""/api/v1 endpoints of assist."""

from ninja import Router

router = Router(tags=["assist"])
