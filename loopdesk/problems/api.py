"""/api/v1 endpoints of problems."""

from ninja import Router

router = Router(tags=["problems"])
