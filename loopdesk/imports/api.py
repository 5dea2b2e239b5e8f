"""Import endpoints, mounted by loopdesk.api.router at /api/v1/imports.

POST a file (multipart: `kind`, `file`) → 202 with the queued job; GET the job to follow its status,
progress and row-by-row errors. Authentication and the problem-details error format belong to the API
app; here domain errors are simply raised.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from . import services
from .models import ImportJob
from .progress import current_processed

router = Router(tags=["imports"])


class ImportErrorOut(Schema):
    row: int | None = None
    column: str = ""
    value: str = ""
    message: str


class ImportJobOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    total_rows: int
    processed_rows: int
    percent: int
    created: int
    updated: int
    message: str
    error_count: int
    errors: list[ImportErrorOut]
    created_by: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


def _user(request: HttpRequest) -> Any:
    """The authenticated caller: `request.auth` from the API's authenticators, else the session user."""
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def job_out(job: ImportJob) -> dict[str, Any]:
    processed = current_processed(job)
    percent = 100 if job.status == ImportJob.Status.SUCCEEDED else (
        min(100, processed * 100 // job.total_rows) if job.total_rows else 0)
    return {
        "id": job.pk, "kind": job.kind, "file_name": job.original_name, "status": job.status,
        "total_rows": job.total_rows, "processed_rows": processed, "percent": percent,
        "created": job.created_count, "updated": job.updated_count, "message": job.message,
        "error_count": job.error_count,
        "errors": [{**e, "row": e.get("row") or None, "value": str(e.get("value", ""))} for e in job.errors],
        "created_by": job.created_by.username, "created_at": job.created_at,
        "started_at": job.started_at, "finished_at": job.finished_at,
    }


@router.post("", response={202: ImportJobOut}, summary="Upload a file to import")
def create_import(request: HttpRequest, kind: Form[str], file: File[UploadedFile]):
    """Queue an import of `kind` (customers, contacts or assets) from an .xlsx or .csv file.

    The columns are checked at once (422 when unusable); the rows are validated and written in the
    background, all or nothing. Poll `GET /imports/{id}` for progress and errors."""
    job = services.start_import(actor=_user(request), kind=kind, upload=file)
    return Status(202, job_out(job))


@router.get("/{int:job_id}", response=ImportJobOut, summary="An import's status, progress and errors")
def get_import(request: HttpRequest, job_id: int):
    """Visible to the job's creator and to headquarters staff."""
    return job_out(services.get_job(actor=_user(request), job_id=job_id))
