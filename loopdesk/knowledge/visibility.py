"""The one rule for which articles a user may read (see docs/knowledge.md)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from loopdesk.accounts.scope import scope_for

from .permissions import can_review, reader_kind


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ArticleQuerySet:
        """Customers: published public articles, and product-audience ones for products their
        company runs. Partners: those plus partner-audience and every product-audience article
        (they serve those products). Staff: every published article and their own in any status;
        reviewers also what is in review or retired."""
        kind = reader_kind(user)
        if kind == "none":
            return self.none()
        published = Q(status="published")
        if kind == "staff":
            q = published | Q(author_id=user.pk)
            if can_review(user):
                q |= Q(status__in=["review", "retired"])
            return self.filter(q)
        if kind == "partner":
            return self.filter(published, audience__in=["public", "product", "partners"])
        from loopdesk.assets.models import Asset

        products = Asset.objects.filter(
            company_id__in=scope_for(user).company_ids, status="active"
        ).values("product_version__product_id")
        q = Q(audience="public") | Q(audience="product", products__in=products)
        # The products join can repeat a row; an id subquery keeps the result distinct and composable.
        ids = self.model._default_manager.filter(published, q).values("id")
        return self.filter(id__in=ids)

    def published(self) -> ArticleQuerySet:
        return self.filter(status="published")
