"""Differences between two revisions of an article (difflib): per field, as a unified text diff for
the API and as a side-by-side HTML table for the page. Text fields are compared as plain text (the
words, not the markup); products, versions, category, tags, type and audience by value."""

from __future__ import annotations

import difflib
from typing import Any

from django.utils.translation import gettext as _

from .models import ArticleRevision
from .sanitize import plain_text

TEXT = ("title", "symptom", "cause", "resolution", "workaround", "body")
OTHER = ("type", "audience", "category", "products", "versions", "tags")


def _labels() -> dict[str, str]:
    return {"title": _("Title"), "symptom": _("Symptom"), "cause": _("Cause"), "resolution": _("Resolution"),
            "workaround": _("Workaround"), "body": _("Body"), "type": _("Type"), "audience": _("Audience"),
            "category": _("Category"), "products": _("Products"), "versions": _("Product versions"),
            "tags": _("Tags")}


def _names(snapshots: list[dict[str, Any]]) -> dict[str, dict[Any, str]]:
    """Names for the ids the snapshots hold (a deleted object keeps its id)."""
    from loopdesk.assets.models import Product, ProductVersion
    from loopdesk.tickets.models import Category

    from .models import ArticleType, Audience

    def ids(field: str) -> set[int]:
        found: set[int] = set()
        for snap in snapshots:
            value = snap.get(field)
            found |= set(value) if isinstance(value, list) else ({value} if value else set())
        return found

    return {
        "products": {p.pk: str(p) for p in Product.objects.filter(pk__in=ids("products"))},
        "versions": {v.pk: str(v) for v in ProductVersion.objects.select_related("product").filter(
            pk__in=ids("versions"))},
        "category": {c.pk: str(c) for c in Category.objects.filter(pk__in=ids("category"))},
        "type": {k: str(v) for k, v in ArticleType.choices},
        "audience": {k: str(v) for k, v in Audience.choices},
    }


def _lines(snapshot: dict[str, Any], field: str, names: dict[str, dict[Any, str]]) -> list[str]:
    value = snapshot.get(field)
    if field in TEXT:
        return plain_text(value or "").splitlines()
    known = names.get(field, {})
    if isinstance(value, list):
        return [", ".join(known.get(v, f"#{v}") if field in names else str(v) for v in value)] if value else []
    return [] if value in (None, "") else [known.get(value, str(value))]


def diff_revisions(old: ArticleRevision, new: ArticleRevision) -> list[dict[str, Any]]:
    """[{field, label, unified, table}] for every field that differs between the two revisions."""
    labels = _labels()
    out = []
    table = difflib.HtmlDiff(wrapcolumn=60)
    names = _names([old.snapshot, new.snapshot])
    for field in (*TEXT, *OTHER):
        a, b = _lines(old.snapshot, field, names), _lines(new.snapshot, field, names)
        if a == b:
            continue
        unified = "\n".join(difflib.unified_diff(a, b, f"v{old.version}", f"v{new.version}", lineterm=""))
        out.append({
            "field": field, "label": labels[field], "unified": unified,
            # HtmlDiff escapes the text itself; the table is safe to insert.
            "table": table.make_table(a, b, f"v{old.version}", f"v{new.version}", context=True, numlines=2),
        })
    return out
