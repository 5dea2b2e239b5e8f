"""Uploaded spreadsheets are purged after the keep period; error reports neutralise formulas."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from loopdesk.imports import reports, services
from loopdesk.imports.models import ImportJob

from .helpers import CUSTOMER_HEADER, run, xlsx


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_finished_imports_lose_their_file_after_the_keep_period(world, settings):
    settings.LOOPDESK_IMPORT_KEEP_DAYS = 30
    job = run(world.admin, "customers", xlsx([CUSTOMER_HEADER, ["C200", "苏州样例有限公司", "bj", "", "", "", "", ""]]))
    assert job.status == ImportJob.Status.SUCCEEDED
    path = job.file.path
    assert services.purge_old_files(now=timezone.now() + datetime.timedelta(days=29)) == 0
    assert services.purge_old_files(now=timezone.now() + datetime.timedelta(days=31)) == 1
    job.refresh_from_db()
    assert not job.file and job.status == ImportJob.Status.SUCCEEDED and job.created_count == 1
    import os

    assert not os.path.exists(path)
    assert services.purge_old_files(now=timezone.now() + datetime.timedelta(days=60)) == 0


def test_a_running_import_keeps_its_file(world):
    job = services.start_import(actor=world.admin, kind="customers",
                                upload=xlsx([CUSTOMER_HEADER, ["C201", "无锡样例", "bj", "", "", "", "", ""]]))
    assert job.status in ImportJob.ACTIVE_STATUSES
    assert services.purge_old_files(now=timezone.now() + datetime.timedelta(days=365)) == 0


def test_error_reports_do_not_carry_formulas(world):
    job = run(world.admin, "customers", xlsx([CUSTOMER_HEADER, ["=1+1", "", "bj", "=HYPERLINK(\"x\")", "", "", "", ""]]))
    assert job.status == ImportJob.Status.FAILED
    text = reports.errors_csv(job).decode("utf-8-sig")
    values = [row[2] for row in csv.reader(io.StringIO(text))][1:]
    assert values and all(not v.startswith("=") for v in values)
    sheet = load_workbook(io.BytesIO(reports.errors_xlsx(job))).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
