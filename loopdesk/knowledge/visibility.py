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
        # EXISTS rather than a join: no duplicate rows, and a check per row that stays cheap when
        # the caller has already narrowed the articles (search checks its candidates only).
        runs_product = models.Exists(self.model.products.through.objects.filter(
            article_id=models.OuterRef("pk"), product_id__in=products,
        ))
        return self.filter(published, Q(audience="public") | Q(audience="product") & runs_product)

    def published(self) -> ArticleQuerySet:
        return self.filter(status="published")
