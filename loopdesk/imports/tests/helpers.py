"""Building real upload files for the import tests."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from loopdesk.imports import services
from loopdesk.imports.models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list], name: str = "data.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def csv_file(rows: list[list], encoding: str = "utf-8", name: str = "data.csv", bom: bool = False) -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run(actor, kind: str, upload) -> ImportJob:
    """Upload and process at once (the worker's work, without the queue); returns the refreshed job."""
    job = services.start_import(actor=actor, kind=kind, upload=upload)
    services.process_job(job.pk)
    job.refresh_from_db()
    return job


def errors_of(job: ImportJob) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


CUSTOMER_HEADER = ["客户编码", "客户名称", "服务分支机构编码", "VIP 等级", "行业", "地区", "电话", "专属工程师"]
