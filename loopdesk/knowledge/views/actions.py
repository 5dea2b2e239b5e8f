"""Article actions posted from the article page: lifecycle, vote, review comment, flags, files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loopdesk.core.errors import DomainError
from loopdesk.tickets.views.common import staff_only

from .. import services
from ..forms import AttachmentForm, CommentForm, FlagForm, VoteForm
from ..models import ArticleStatus
from .common import error_text, visible_article


def _back(article):
    return redirect("knowledge:detail", article.pk)


@require_POST
@login_required
@staff_only
def transition(request, pk: int):
    article = visible_article(request, pk)
    to = request.POST.get("to", "")
    reviewer = None
    if request.POST.get("reviewer", "").isdigit():
        reviewer = get_user_model().objects.filter(pk=int(request.POST["reviewer"]), is_active=True).first()
    try:
        services.transition_article(actor=request.user, article=article, to=to,
                                    note=request.POST.get("note", "")[:500], reviewer=reviewer)
    except DomainError as err:
        messages.error(request, error_text(err))
    else:
        label = ArticleStatus(to).label if to in ArticleStatus.values else to
        messages.success(request, _("The article is now “%(status)s”.") % {"status": label})
    return _back(article)


@require_POST
@login_required
@staff_only
def vote(request, pk: int):
    article = visible_article(request, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose helpful or not helpful."))
        return _back(article)
    try:
        services.vote_article(actor=request.user, article=article, **form.cleaned_data)
    except DomainError as err:
        messages.error(request, error_text(err))
    else:
        messages.success(request, _("Thank you for your vote."))
    return _back(article)


@require_POST
@login_required
@staff_only
def comment(request, pk: int):
    article = visible_article(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_review_comment(actor=request.user, article=article, body=form.cleaned_data["body"])
        except DomainError as err:
            messages.error(request, error_text(err))
    else:
        messages.error(request, _("Write something."))
    return _back(article)


@require_POST
@login_required
@staff_only
def flag(request, pk: int):
    article = visible_article(request, pk)
    form = FlagForm(request.POST)
    try:
        services.flag_article(actor=request.user, article=article,
                              note=form.cleaned_data["note"] if form.is_valid() else "")
    except DomainError as err:
        messages.error(request, error_text(err))
    else:
        messages.success(request, _("Flagged as needing an update."))
    return _back(article)


@require_POST
@login_required
@staff_only
def clear_flag(request, pk: int, flag_id: int):
    article = visible_article(request, pk)
    found = article.flags.filter(pk=flag_id).first()
    if found is None:
        raise Http404
    try:
        services.clear_flag(actor=request.user, flag=found)
    except DomainError as err:
        messages.error(request, error_text(err))
    return _back(article)


@require_POST
@login_required
@staff_only
def upload(request, pk: int):
    """Attach an image or file; from the editor, back to the editor (to insert it)."""
    article = visible_article(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
    else:
        try:
            services.add_attachment(actor=request.user, article=article, upload=form.cleaned_data["file"])
        except DomainError as err:
            messages.error(request, error_text(err))
        else:
            messages.success(request, _("File added."))
    if request.POST.get("next") == "edit":
        return redirect("knowledge:edit", article.pk)
    return _back(article)


@require_POST
@login_required
@staff_only
def remove_file(request, pk: int, attachment_id: int):
    article = visible_article(request, pk)
    found = article.attachments.filter(pk=attachment_id).first()
    if found is None:
        raise Http404
    try:
        services.delete_attachment(actor=request.user, attachment=found)
    except DomainError as err:
        messages.error(request, error_text(err))
    if request.POST.get("next") == "edit":
        return redirect("knowledge:edit", article.pk)
    return _back(article)
