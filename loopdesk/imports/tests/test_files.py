"""Reading files: formats, encodings and every way a file can be unusable."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from loopdesk.core.errors import ValidationFailed
from loopdesk.customers.models import Company
from loopdesk.imports import services
from loopdesk.imports.models import ImportJob
from loopdesk.imports.reading import decode

from .helpers import CUSTOMER_HEADER, csv_file, errors_of, run, xlsx

ROWS = [CUSTOMER_HEADER, ["C100", "杭州西湖软件有限公司", "bj", "银牌", "软件", "杭州", "0571-88886666", ""],
        ["C101", "广州珠江贸易有限公司", "bj-hd", "0", "", "", "", ""]]


@pytest.mark.parametrize("upload", [
    pytest.param(lambda: xlsx(ROWS), id="xlsx"),
    pytest.param(lambda: csv_file(ROWS, "gbk"), id="csv-gbk"),
    pytest.param(lambda: csv_file(ROWS, "gb18030"), id="csv-gb18030"),
    pytest.param(lambda: csv_file(ROWS, "utf-8", bom=True), id="csv-utf8-bom"),
    pytest.param(lambda: csv_file(ROWS, "utf-8"), id="csv-utf8"),
])
def test_every_supported_format_imports_the_same_rows(world, upload):
    job = run(world.admin, "customers", upload())
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert (job.total_rows, job.created_count, job.updated_count) == (2, 2, 0)
    assert Company.objects.get(code="C100").name == "杭州西湖软件有限公司"
    assert Company.objects.get(code="C101").org == world.haidian


def test_gbk_bytes_really_are_not_utf8():
    data = "客户编码,客户名称".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode(data) == "客户编码,客户名称"


def test_utf16_tab_separated_unicode_text(world):
    text = "\t".join(CUSTOMER_HEADER[:3]) + "\r\nC100\t杭州西湖软件有限公司\tbj\r\n"
    upload = SimpleUploadedFile("unicode.csv", b"\xff\xfe" + text.encode("utf-16-le"))
    assert run(world.admin, "customers", upload).status == ImportJob.Status.SUCCEEDED


def test_english_headers_and_blank_rows(world):
    rows = [["Customer code", "Customer name", "Branch code*", "VIP level"], ["C100", "Acme Shanghai", "bj", "Gold"],
            [None, None, None, None], ["C101", "Initech", "bj", 3]]
    job = run(world.admin, "customers", xlsx(rows))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert job.total_rows == 2
    assert Company.objects.get(code="C101").vip_level == 3


@pytest.mark.parametrize(("name", "content", "message"), [
    ("customers.txt", b"a,b", "Upload an Excel (.xlsx) or CSV (.csv) file."),
    ("customers.xls", b"\xd0\xcf\x11\xe0", "Old Excel files (.xls) are not supported"),
    ("customers.csv", b"", "The file is empty."),
    ("customers.xlsx", b"PK\x03\x04 this is not a workbook", "not a valid .xlsx workbook"),
    ("customers.xlsx", "客户编码,客户名称".encode(), "not a valid .xlsx workbook"),
])
def test_unusable_files_are_refused_at_upload(world, name, content, message, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationFailed) as exc:
        services.start_import(actor=world.admin, kind="customers", upload=SimpleUploadedFile(name, content))
    assert message in " ".join(exc.value.fields["file"])
    assert not ImportJob.objects.exists()


def test_missing_and_unknown_columns_are_refused_at_upload(world, settings):
    settings.LANGUAGE_CODE = "en"
    upload = xlsx([["客户编码", "客户名称", "传真"], ["C100", "x", "y"]])
    with pytest.raises(ValidationFailed) as exc:
        services.start_import(actor=world.admin, kind="customers", upload=upload)
    problems = exc.value.fields["file"]
    assert "Unknown column “传真”." in problems
    assert "Required column “服务分支机构编码” (Branch code) is missing." in problems


def test_header_without_rows_fails_the_job(world, settings):
    settings.LANGUAGE_CODE = "en"
    job = run(world.admin, "customers", csv_file([CUSTOMER_HEADER]))
    assert job.status == ImportJob.Status.FAILED
    assert job.message == "The file has column names but no data rows."


def test_file_too_large_is_refused(world, monkeypatch):
    from loopdesk.imports import reading

    monkeypatch.setattr(reading, "MAX_BYTES", 10)
    with pytest.raises(ValidationFailed):
        services.start_import(actor=world.admin, kind="customers", upload=csv_file(ROWS))


def test_chinese_messages_by_default(world):
    job = run(world.admin, "customers", xlsx([CUSTOMER_HEADER, ["C100", "", "bj"]]))
    assert errors_of(job) == [(2, "客户名称", "新客户必须填写。")]


def test_too_many_rows_fail_the_job(world, settings):
    settings.LANGUAGE_CODE = "en"
    settings.LOOPDESK_IMPORT_MAX_ROWS = 3
    rows = [CUSTOMER_HEADER] + [[f"N{i}", "x", "bj"] for i in range(4)]
    job = run(world.admin, "customers", csv_file(rows))
    assert job.status == ImportJob.Status.FAILED
    assert job.message == "The file has more than 3 rows; split it into smaller files."
    assert not Company.objects.filter(code__startswith="N").exists()
