"""Article images and files, served only to users who may read the article (staff, partners and
customers alike: the help centre shows the same images)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from ..models import Article, ArticleAttachment


@require_GET
@login_required
def download(request, token: str):
    attachment = (ArticleAttachment.objects.filter(
        token=token, article__in=Article.objects.visible_to(request.user).values("id")).first())
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = attachment.content_type in ("image/png", "image/jpeg", "image/gif")
    response = FileResponse(handle, as_attachment=not inline, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response
