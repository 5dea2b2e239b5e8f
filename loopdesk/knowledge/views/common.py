"""Helpers of the knowledge views: the visible article, and domain errors as page messages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404

from loopdesk.core.errors import DomainError

from ..models import Article


def visible_article(request: Any, pk: int) -> Article:
    """The article if the user may read it, else 404 (its existence is not revealed)."""
    article = (Article.objects.visible_to(request.user).select_related("author", "reviewer", "category")
               .filter(pk=pk).first())
    if article is None:
        raise Http404
    return article


def error_text(err: DomainError) -> str:
    parts = [err.detail] if err.detail and not err.fields else []
    parts += [f"{name}: {' '.join(msgs)}" for name, msgs in err.fields.items()]
    return " ".join(parts) or err.detail


def report(request: Any, err: DomainError, form: Any = None) -> None:
    """Show a refused service call: on the form's fields when it has them, else as a message."""
    if form is not None and err.fields:
        unplaced = {}
        for name, msgs in err.fields.items():
            field = name.removesuffix("_ids").removesuffix("_id")
            field = {"product": "products", "version": "versions"}.get(field, field)
            if field in form.fields:
                for msg in msgs:
                    form.add_error(field, msg)
            else:
                unplaced[name] = msgs
        if not unplaced:
            if err.detail and err.detail != str(type(err).title):
                form.add_error(None, err.detail)
            return
    messages.error(request, error_text(err))
