"""Publishing an import's progress while its write transaction is still open.

The rows of an import are written in one transaction (all or nothing), so a progress count written on the
same connection would stay invisible until the very end. How to publish it depends on the database:

* PostgreSQL (MVCC, row locks): a second connection in autocommit updates the job row; each update is
  committed at once and readers see it. The import transaction itself never touches the job row until it
  finishes, so the two connections never wait on each other's row lock.
* SQLite (WAL): readers do run beside the writer, but there is one writer at a time and the import
  transaction holds the write lock from BEGIN (IMMEDIATE mode), so a second connection's UPDATE would wait
  for the import itself — a deadlock until busy_timeout. Instead the count goes to a small file next to
  the uploaded file (SQLite means one machine, and the worker already shares MEDIA_ROOT with the web
  server to read the upload). Readers take the larger of the row's count and the file's.

Outside the transaction (the validation phase) the job row is simply updated and committed.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.utils import load_backend
from django.utils import timezone

from .models import ImportJob


def _progress_file(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{job_id}.json"


def set_progress(job_id: int, processed: int, **fields) -> None:
    """Record progress outside any transaction (committed at once)."""
    ImportJob.objects.filter(pk=job_id).update(processed_rows=processed, updated_at=timezone.now(), **fields)


class LiveProgress:
    """Publishes the processed count from inside the import transaction; use as a context manager."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.side = None
        self.use_file = connection.vendor == "sqlite"

    def __enter__(self) -> LiveProgress:
        if not self.use_file:
            # A fresh connection with the same settings (in tests: the test database) in autocommit.
            settings_dict = copy.deepcopy(connection.settings_dict)
            backend = load_backend(settings_dict["ENGINE"])
            self.side = backend.DatabaseWrapper(settings_dict, alias=f"imports-progress-{self.job_id}")
        return self

    def __exit__(self, *exc) -> None:
        if self.side is not None:
            self.side.close()
        with contextlib.suppress(FileNotFoundError):
            _progress_file(self.job_id).unlink()

    def __call__(self, processed: int) -> None:
        if self.use_file:
            path = _progress_file(self.job_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"processed": processed}))
            os.replace(tmp, path)  # atomic: a reader never sees half a file
            return
        table = ImportJob._meta.db_table
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.side.ops.quote_name(table)} SET processed_rows = %s, updated_at = %s WHERE id = %s",
                [processed, timezone.now(), self.job_id],
            )


def current_processed(job: ImportJob) -> int:
    """The processed count a reader should show: the row's, or the live file's while an SQLite import runs."""
    if job.status != ImportJob.Status.IMPORTING:
        return job.processed_rows
    try:
        return max(job.processed_rows, int(json.loads(_progress_file(job.pk).read_text())["processed"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return job.processed_rows
