"""The job around an import: the task queue, progress, permissions, pages, downloads and the API."""

import io
import signal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import load_backend
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from loopdesk.accounts.services import issue_token
from loopdesk.core.errors import Forbidden, NotFound
from loopdesk.core.testing import build_world
from loopdesk.customers.models import Company
from loopdesk.imports import services
from loopdesk.imports.columns import map_headers
from loopdesk.imports.models import ImportJob
from loopdesk.imports.progress import LiveProgress, current_processed, set_progress
from loopdesk.imports.reading import read_sheet
from loopdesk.imports.validation import Validator

from .helpers import CUSTOMER_HEADER, XLSX, csv_file, run, xlsx

GOOD = [CUSTOMER_HEADER, ["C100", "杭州西湖软件有限公司", "bj", "", "", "", "", ""]]
BAD = [CUSTOMER_HEADER, ["C300", "", "bj", "", "", "", "", ""]]
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


# -- the queue ---------------------------------------------------------------------------------------
def test_upload_enqueues_the_task_which_runs_on_commit(world, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = services.start_import(actor=world.admin, kind="customers", upload=xlsx(GOOD))
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.started_at and job.finished_at
    assert Company.objects.filter(code="C100").exists()


@pytest.mark.django_db(transaction=True)  # reference data: root conftest
def test_database_backend_and_the_real_worker(settings):
    """The default queue (django-tasks-db): the upload stores a task row; `db_worker` runs it."""
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    world = build_world()
    good = services.start_import(actor=world.admin, kind="customers", upload=xlsx(GOOD))
    bad = services.start_import(actor=world.admin, kind="customers", upload=csv_file(BAD, "gbk"))
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    finally:  # the worker installs its own shutdown handlers; give pytest its own back
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, good.created_count) == (ImportJob.Status.SUCCEEDED, 1)
    assert (bad.status, bad.error_count) == (ImportJob.Status.FAILED, 1)
    assert Company.objects.filter(code="C100").count() == 1


def test_a_job_runs_once_even_if_delivered_twice(world):
    job = run(world.admin, "customers", xlsx(GOOD))
    assert services.process_job(job.pk) == "skipped"
    assert Company.objects.filter(code="C100").count() == 1


def test_a_conflict_found_while_writing_fails_the_job_and_writes_nothing(world, monkeypatch):
    from loopdesk.customers.services import create_company
    from loopdesk.imports import validation

    original = validation.Validator.run

    def validate_then_someone_takes_the_code(self):
        result = original(self)
        create_company(actor=world.admin, name="抢先", code="C100", org=world.shanghai)
        return result

    monkeypatch.setattr(validation.Validator, "run", validate_then_someone_takes_the_code)
    job = run(world.admin, "customers", xlsx([*GOOD, ["C101", "另一个", "bj", "", "", "", "", ""]]))
    assert job.status == ImportJob.Status.FAILED
    assert job.errors[0]["message"] == "This customer code is already used."
    assert not Company.objects.filter(code="C101").exists()


# -- progress ----------------------------------------------------------------------------------------
def test_validation_reports_progress_every_500_rows(world):
    rows = [CUSTOMER_HEADER] + [[f"N{i}", f"客户{i}", "bj", "", "", "", "", ""] for i in range(1200)]
    upload = csv_file(rows)
    sheet = read_sheet("x.csv", upload)
    hmap, _ = map_headers("customers", sheet.header)
    seen: list[int] = []
    plan, errors = Validator("customers", world.admin, sheet, hmap, progress=seen.append).run()
    assert (seen, errors, len(plan.creates)) == ([500, 1000, 1200], [], 1200)


def _other_connection():
    """A second, independent connection to the same database (what the web server uses)."""
    settings_dict = dict(connection.settings_dict)
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="reader")


@pytest.mark.django_db(transaction=True)  # reference data: root conftest
def test_progress_is_visible_while_the_import_transaction_is_open():
    world = build_world()
    job = ImportJob.objects.create(kind="customers", original_name="x.csv", created_by=world.admin, total_rows=1000)
    set_progress(job.pk, 0, status=ImportJob.Status.IMPORTING)
    reader = _other_connection()
    try:
        with LiveProgress(job.pk) as progress, transaction.atomic():
            Company.objects.create(name="未提交", code="UNCOMMITTED", org=world.beijing)
            progress(500)
            with reader.cursor() as cursor:
                cursor.execute("SELECT status, processed_rows FROM imports_importjob WHERE id = %s", [job.pk])
                status, processed = cursor.fetchone()
                uncommitted = 0
                if connection.vendor != "sqlite":
                    # The test SQLite database is in memory with a shared cache, which locks whole tables
                    # instead of using WAL snapshots; a file database (production) reads fine.
                    cursor.execute("SELECT COUNT(*) FROM customers_company WHERE code = 'UNCOMMITTED'")
                    uncommitted = cursor.fetchone()[0]
            seen = ImportJob(pk=job.pk, status=status, processed_rows=processed)
            assert current_processed(seen) == 500  # the row (PostgreSQL) or the progress file (SQLite)
            assert uncommitted == 0  # while the rows themselves stay invisible until commit
    finally:
        reader.close()


# -- permissions and visibility ---------------------------------------------------------------------
def test_only_managers_and_admins_may_import(world):
    with pytest.raises(Forbidden):
        services.start_import(actor=world.agent, kind="customers", upload=xlsx(GOOD))
    assert not ImportJob.objects.exists()


def test_jobs_are_visible_to_their_creator_and_headquarters(world, bj_manager):
    job = run(bj_manager, "customers", xlsx(GOOD))
    assert services.get_job(actor=bj_manager, job_id=job.pk) == job
    assert services.get_job(actor=world.manager, job_id=job.pk) == job  # headquarters
    for outsider in (world.sh_agent, world.agent):
        with pytest.raises(NotFound):
            services.get_job(actor=outsider, job_id=job.pk)
    mine = run(world.manager, "customers", xlsx([CUSTOMER_HEADER, ["C200", "总部建", "sh", "", "", "", "", ""]]))
    assert list(ImportJob.objects.visible_to(bj_manager)) == [job]
    assert set(ImportJob.objects.visible_to(world.manager)) == {job, mine}


# -- pages -------------------------------------------------------------------------------------------
def test_pages_upload_progress_errors_and_downloads(world, client, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    client.force_login(world.admin)
    assert client.get(reverse("imports:home")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:home"), {"kind": "customers", "file": xlsx(BAD)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:detail", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "Required for a new customer." in page and "hx-trigger=\"every" not in page  # finished: no polling
    fragment = client.get(reverse("imports:progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"

    report = client.get(reverse("imports:errors", args=[job.pk, "csv"]))
    assert report.content.decode("utf-8-sig").splitlines()[1] == "2,客户名称,,Required for a new customer."
    report = client.get(reverse("imports:errors", args=[job.pk, "xlsx"]))
    rows = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True))
    assert rows[1] == (2, "客户名称", None, "Required for a new customer.")


def test_running_job_page_polls_every_second(world, client):
    client.force_login(world.admin)
    job = services.start_import(actor=world.admin, kind="customers", upload=xlsx(GOOD))
    set_progress(job.pk, 3, status=ImportJob.Status.VALIDATING, total_rows=4)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'aria-valuenow="75"' in page
    fragment = client.get(reverse("imports:progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert "HX-Refresh" not in fragment and "every 1s" in fragment.content.decode()


def test_upload_errors_are_shown_on_the_form(world, client):
    client.force_login(world.admin)
    response = client.post(reverse("imports:home"), {"kind": "customers", "file": csv_file([["传真"], ["1"]])})
    assert response.status_code == 422
    assert "Unknown column “传真”." in response.content.decode()


def test_pages_need_the_import_permission(world, client, bj_manager):
    client.force_login(world.agent)
    assert client.get(reverse("imports:home")).status_code == 403
    job = run(world.manager, "customers", xlsx(GOOD))
    client.force_login(bj_manager)
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("kind", ["customers", "contacts", "assets"])
def test_templates_download_and_import_back(world, client, kind):
    client.force_login(world.admin)
    response = client.get(reverse("imports:template", args=[kind]))
    assert response["Content-Type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content))
    header = [c.value for c in workbook.worksheets[0][1]]
    assert workbook.sheetnames[1] == "Instructions"
    examples = {"customers": ["C100", "新客户", "bj", "银牌", "", "", "", "", ""],
                "contacts": ["C001", "新联系人", "", "", "", "", ""],
                "assets": ["C001", "U8", "16.5", "SN-NEW", "", "", ""]}
    sheet = workbook.worksheets[0]
    sheet.append(examples[kind])
    out = io.BytesIO()
    workbook.save(out)
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = run(world.admin, kind, SimpleUploadedFile(f"{kind}.xlsx", out.getvalue()))
    assert job.status == ImportJob.Status.SUCCEEDED, (header, job.errors)
    assert job.created_count == 1


# -- API ---------------------------------------------------------------------------------------------
def test_api_upload_and_follow(world, client, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    auth = {"Authorization": f"Bearer {issue_token(user=world.admin)}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports", {"kind": "customers", "file": xlsx(BAD)}, headers=auth)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    job_id = response.json()["id"]
    body = client.get(f"/api/v1/imports/{job_id}", headers=auth).json()
    assert (body["status"], body["error_count"], body["total_rows"]) == ("failed", 1, 1)
    assert body["errors"] == [{"row": 2, "column": "客户名称", "value": "", "message": "Required for a new customer."}]


def test_api_refusals(world, client):
    agent = {"Authorization": f"Bearer {issue_token(user=world.agent)}"}
    admin = {"Authorization": f"Bearer {issue_token(user=world.admin)}"}
    assert client.post("/api/v1/imports", {"kind": "customers", "file": xlsx(GOOD)}, headers=agent).status_code == 403
    response = client.post("/api/v1/imports", {"kind": "customers", "file": csv_file([["传真"], ["1"]])}, headers=admin)
    assert response.status_code == 422
    assert "Unknown column “传真”." in response.json()["errors"]["file"]
    response = client.post("/api/v1/imports", {"kind": "tickets", "file": xlsx(GOOD)}, headers=admin)
    assert response.status_code == 422
    assert client.get("/api/v1/imports/999999", headers=admin).status_code == 404


def test_pages_speak_chinese_by_default(world, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(world.admin)
    page = client.get(reverse("imports:home"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "导入客户、联系人和资产" in page and "客户导入模板（.xlsx）" in page
    job = run(world.admin, "customers", xlsx(BAD))
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "新客户必须填写。" in page and "1 个错误" in page and "失败" in page


def test_an_import_whose_worker_died_is_failed_by_the_sweep(world):
    import datetime

    from django.utils import timezone

    job = services.start_import(actor=world.admin, kind="customers", upload=xlsx(GOOD))
    set_progress(job.pk, 10, status=ImportJob.Status.IMPORTING)
    assert services.fail_stale_jobs() == 0  # still fresh
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    assert services.fail_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.message.startswith("The import was interrupted")
