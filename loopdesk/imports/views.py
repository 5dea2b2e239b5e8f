"""Import pages: the list with the upload form, one job with its progress bar, and the downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import DomainError, NotFound

from . import reports, services
from .forms import UploadForm
from .models import ImportJob
from .progress import current_processed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_ON_PAGE = 200


def _require_import(request) -> None:
    if not request.user.can(Perm.CUSTOMER_IMPORT):
        raise PermissionDenied(_("You may not import customers, contacts or assets."))


def _job(request, pk: int) -> ImportJob:
    try:
        return services.get_job(actor=request.user, job_id=pk)
    except NotFound:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    """Recent imports and the upload form; a valid upload becomes a queued job."""
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(actor=request.user, kind=form.cleaned_data["kind"],
                                        upload=form.cleaned_data["file"])
        except DomainError as exc:
            for field, problems in exc.fields.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            if not exc.fields:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, _("The file was received; the import runs in the background."))
            return redirect("imports:detail", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")[:50]
    return render(request, "imports/home.html", {
        "form": form, "jobs": jobs, "kinds": ImportJob.Kind.choices,
    }, status=422 if form.errors else 200)


def _progress_context(job: ImportJob) -> dict:
    processed = current_processed(job)
    percent = 100 if job.status == ImportJob.Status.SUCCEEDED else (
        min(100, processed * 100 // job.total_rows) if job.total_rows else 0)
    return {"job": job, "processed": processed, "percent": percent}


@login_required
@require_GET
def detail(request, pk: int):
    """One import: progress while it runs, then the outcome and the row-by-row error report."""
    _require_import(request)
    job = _job(request, pk)
    return render(request, "imports/detail.html", {
        **_progress_context(job), "errors": job.errors[:ERRORS_ON_PAGE],
        "more_errors": max(0, job.error_count - ERRORS_ON_PAGE),
    })


@login_required
@require_GET
def progress(request, pk: int):
    """The progress fragment, polled by htmx every second while the job runs. When it is done the page
    reloads once (HX-Refresh) to show the outcome and the error report; the reloaded page no longer polls."""
    _require_import(request)
    job = _job(request, pk)
    response = render(request, "imports/_progress.html", _progress_context(job))
    if job.done and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def errors(request, pk: int, fmt: str):
    """The error report as CSV or .xlsx."""
    _require_import(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    job = _job(request, pk)
    if fmt == "xlsx":
        body, content_type = reports.errors_xlsx(job), XLSX
    else:
        body, content_type = reports.errors_csv(job), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.{fmt}"'
    return response


@login_required
@require_GET
def template(request, kind: str):
    """An empty .xlsx template for `kind`, with the column names and an instructions sheet."""
    _require_import(request)
    if kind not in ImportJob.Kind.values:
        raise Http404
    response = HttpResponse(reports.template_xlsx(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="loopdesk-{kind}-template.xlsx"'
    return response
