"""/api/v1 endpoints of workflows."""

from ninja import Router

router = Router(tags=["workflows"])
