"""Background work of the import: validate and write one uploaded file; fail jobs whose worker died."""

import datetime

from django_tasks import task

from loopdesk.core.scheduler import every

from .services import fail_stale_jobs, process_job, purge_old_files


@task()
def run_import(job_id: int) -> str:
    """Validate then import job `job_id`; returns its final status."""
    return process_job(job_id)


@task()
def fail_stale_imports() -> int:
    """Mark imports whose worker stopped mid-way as failed, so their page stops waiting."""
    return fail_stale_jobs()


every(datetime.timedelta(minutes=10), fail_stale_imports)


@task()
def purge_import_files() -> int:
    """Remove uploaded spreadsheets of imports finished more than LOOPDESK_IMPORT_KEEP_DAYS ago."""
    return purge_old_files()


every(datetime.timedelta(hours=6), purge_import_files)
