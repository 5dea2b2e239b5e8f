"""/api/v1 endpoints of integrations."""

from ninja import Router

router = Router(tags=["integrations"])
