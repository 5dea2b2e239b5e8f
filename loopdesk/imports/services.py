"""Import services: accept an upload as a job, then (in the worker) validate every row and write all or nothing."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm
from loopdesk.assets.services import bulk_create_assets, bulk_update_assets
from loopdesk.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from loopdesk.core.services import record_audit
from loopdesk.core.tasks import enqueue
from loopdesk.customers.services import (
    bulk_create_companies,
    bulk_create_contacts,
    bulk_create_sites,
    bulk_update_companies,
    bulk_update_contacts,
)

from .columns import map_headers
from .models import ImportJob
from .progress import LiveProgress, set_progress
from .reading import check_upload, file_error, read_header, read_sheet
from .validation import MAX_STORED_ERRORS, Plan, RowError, Validator

log = logging.getLogger(__name__)
WRITE_CHUNK = 500
STALE_AFTER = datetime.timedelta(minutes=30)


def start_import(*, actor: Any, kind: str, upload: UploadedFile) -> ImportJob:
    """Store the upload as a queued job and enqueue its processing. Refuses at once what cannot work:
    no permission, an unknown kind, a wrong extension, an empty or oversized file, unusable columns."""
    if not actor.can(Perm.CUSTOMER_IMPORT):
        raise Forbidden(_("You may not import customers, contacts or assets."))
    if kind not in ImportJob.Kind.values:
        raise ValidationFailed(fields={"kind": [_("Choose customers, contacts or assets.")]})
    if upload is None:
        raise file_error(_("Choose a file to upload."))
    check_upload(upload.name, upload.size)
    upload.seek(0)
    problems = map_headers(kind, read_header(upload.name, upload))[1]
    if problems:
        raise ValidationFailed(problems[0], fields={"file": problems})
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(kind=kind, original_name=upload.name[:255], created_by=actor,
                        language=translation.get_language() or "zh-hans")
        job.file.save(upload.name, upload, save=False)
        job.save()
        record_audit(actor=actor, obj=job, action="create", changes={"kind": kind, "file": job.original_name})
        from .tasks import run_import  # the task module imports this one

        enqueue(run_import, job.pk)
    return job


def get_job(*, actor: Any, job_id: int) -> ImportJob:
    """A job the actor may see (its creator, or headquarters), else NotFound."""
    job = ImportJob.objects.visible_to(actor).select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job


def process_job(job_id: int) -> str:
    """Validate then import job `job_id` (run by the worker). Returns the final status.

    A job is claimed with a conditional UPDATE, so a task delivered twice runs the import once."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.VALIDATING, started_at=timezone.now(), updated_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with translation.override(job.language):
        try:
            _process(job)
        except DomainError as exc:  # e.g. a code taken by someone else between validation and writing
            _fail(job, exc.detail, [RowError(0, k, "", m) for k, ms in exc.fields.items() for m in ms])
        except Exception:
            log.exception("Import job %s failed", job_id)
            _fail(job, _("The import stopped because of an unexpected error; nothing was written."), [])
            raise
    return ImportJob.objects.values_list("status", flat=True).get(pk=job_id)


def fail_stale_jobs(*, older_than: datetime.timedelta = STALE_AFTER) -> int:
    """Fail jobs whose worker stopped mid-way (killed, machine restarted): a running job touches its row at
    least every 500 rows, so one silent for `older_than` is dead. Its transaction was rolled back with the
    process, so nothing was written; the user is told to upload again."""
    cutoff = timezone.now() - older_than
    stale = ImportJob.objects.filter(
        status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING], updated_at__lt=cutoff
    )
    count = 0
    for job in stale:
        with translation.override(job.language):
            message = _("The import was interrupted (the worker stopped); nothing was written. "
                        "Upload the file again.")
        # Conditional: a job that moved on meanwhile is left alone.
        count += ImportJob.objects.filter(pk=job.pk, status=job.status, updated_at__lt=cutoff).update(
            status=ImportJob.Status.FAILED, message=message, finished_at=timezone.now(), updated_at=timezone.now()
        )
    return count


def purge_old_files(*, now: datetime.datetime | None = None, keep_days: int | None = None) -> int:
    """Delete the uploaded spreadsheets of finished imports older than `keep_days`
    (LOOPDESK_IMPORT_KEEP_DAYS): they hold customer data nobody needs once the import is done. The job
    itself, its counts and its error report stay. Returns how many files were removed."""
    now = now or timezone.now()
    keep = settings.LOOPDESK_IMPORT_KEEP_DAYS if keep_days is None else keep_days
    old = (ImportJob.objects.exclude(status__in=ImportJob.ACTIVE_STATUSES).exclude(file="")
           .filter(updated_at__lt=now - datetime.timedelta(days=keep)))
    removed = 0
    for job in old.iterator():
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")  # keeps updated_at: the job did not change
        removed += 1
    return removed


def _process(job: ImportJob) -> None:
    with job.file.open("rb") as stream:
        sheet = read_sheet(job.original_name, stream)
    hmap, problems = map_headers(job.kind, sheet.header)
    if problems:
        _fail(job, _("The columns of the file do not match the template."),
              [RowError(1, "", "", p) for p in problems])
        return
    total = len(sheet.rows)
    set_progress(job.pk, 0, total_rows=total)
    plan, errors = Validator(job.kind, job.created_by, sheet, hmap,
                             progress=lambda n: set_progress(job.pk, n)).run()
    if errors:
        rows = len({e.row for e in errors})
        _fail(job, _("%(rows)d of %(total)d rows have errors; nothing was imported.") % {"rows": rows, "total": total},
              errors)
        return
    set_progress(job.pk, 0, status=ImportJob.Status.IMPORTING)
    job.status = ImportJob.Status.IMPORTING
    with LiveProgress(job.pk) as progress, transaction.atomic():
        created, updated = WRITERS[job.kind](job.created_by, plan, progress)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.SUCCEEDED, processed_rows=total, created_count=created, updated_count=updated,
            message=_("%(created)d created, %(updated)d updated.") % {"created": created, "updated": updated},
            finished_at=timezone.now(), updated_at=timezone.now(),
        )
        record_audit(actor=job.created_by, obj=job, action="import",
                     changes={"kind": job.kind, "created": created, "updated": updated})


def _fail(job: ImportJob, message: str, errors: list[RowError]) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, message=str(message)[:500], error_count=len(errors),
        errors=[e.as_dict() for e in errors[:MAX_STORED_ERRORS]],
        finished_at=timezone.now(), updated_at=timezone.now(),
    )


def _chunks(items: list, size: int = WRITE_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _write_in_chunks(plan: Plan, progress, create, update, actor) -> tuple[int, int]:
    """Write creates then updates a chunk at a time (all inside the caller's transaction), reporting progress."""
    done = 0
    for chunk in _chunks(plan.creates):
        create(actor=actor, rows=chunk)
        done += len(chunk)
        progress(done)
    ids = sorted(plan.updates)
    updated = 0
    for chunk in _chunks(ids):
        updated += len(update(actor=actor, changes={pk: plan.updates[pk] for pk in chunk}))
        done += len(chunk)
        progress(done)
    return len(plan.creates), updated


def _write_customers(actor, plan: Plan, progress) -> tuple[int, int]:
    return _write_in_chunks(plan, progress, bulk_create_companies, bulk_update_companies, actor)


def _write_contacts(actor, plan: Plan, progress) -> tuple[int, int]:
    return _write_in_chunks(plan, progress, bulk_create_contacts, bulk_update_contacts, actor)


def _write_assets(actor, plan: Plan, progress) -> tuple[int, int]:
    # Sites named in the file but not yet known are created first, once per (customer, name).
    sites = bulk_create_sites(actor=actor, sites=sorted(plan.new_sites))
    for values in [*plan.creates, *plan.updates.values()]:
        if "site_key" in values:
            values["site_id"] = sites[values.pop("site_key")].pk
    return _write_in_chunks(plan, progress, bulk_create_assets, bulk_update_assets, actor)


WRITERS = {"customers": _write_customers, "contacts": _write_contacts, "assets": _write_assets}
