"""Domain errors raised by services; the API turns them into problem details, the UI into messages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A request the domain refuses. `fields` maps a field name to its messages."""

    status = 400
    title = _("Invalid request")

    def __init__(self, detail: str | None = None, *, fields: dict[str, list[str]] | None = None) -> None:
        self.detail = str(detail) if detail is not None else str(self.title)
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        super().__init__(self.detail)


class ValidationFailed(DomainError):
    status = 422
    title = _("Validation failed")


class NotFound(DomainError):
    status = 404
    title = _("Not found")


class Forbidden(DomainError):
    status = 403
    title = _("Forbidden")


class Conflict(DomainError):
    status = 409
    title = _("Conflict")
