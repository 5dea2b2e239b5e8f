"""Reading an uploaded sheet: .xlsx through openpyxl (read-only), .csv in UTF-8 or the Chinese encodings.

Chinese Excel saves "CSV" in GBK (code page 936) and "CSV UTF-8" with a BOM; both are detected here.
Everything else (an old .xls, a renamed file, a broken zip) is refused with a message saying what to do.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from loopdesk.core.errors import ValidationFailed

EXTENSIONS = (".xlsx", ".csv")
MAX_BYTES = getattr(settings, "LOOPDESK_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# SQLite has one writer: the import holds the write lock while it writes (about 0.4 s per 1,000 rows), and
# other writers wait at most busy_timeout (20 s), so files are kept smaller there.
MAX_ROWS = {"sqlite": 20_000, "default": 100_000}


def max_rows() -> int:
    configured = getattr(settings, "LOOPDESK_IMPORT_MAX_ROWS", None)
    return configured or MAX_ROWS.get(connection.vendor, MAX_ROWS["default"])


@dataclass
class Sheet:
    """The header row and the data rows as (row number in the file, cell values); blank rows dropped."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]]


def file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": [message]})


def check_upload(name: str, size: int) -> str:
    """Refuse a wrong extension, an empty or an oversized file before anything is stored. Returns the extension."""
    ext = PurePath(name or "").suffix.lower()
    if ext == ".xls":
        raise file_error(_("Old Excel files (.xls) are not supported: save the file as .xlsx or .csv."))
    if ext not in EXTENSIONS:
        raise file_error(_("Upload an Excel (.xlsx) or CSV (.csv) file."))
    if not size:
        raise file_error(_("The file is empty."))
    if size > MAX_BYTES:
        raise file_error(_("The file is larger than %(mb)d MB; split it into smaller files.")
                         % {"mb": MAX_BYTES // (1024 * 1024)})
    return ext


def read_sheet(name: str, stream: BinaryIO) -> Sheet:
    """Parse the file; raise ValidationFailed (field "file") when it cannot be read or has no data."""
    ext = PurePath(name).suffix.lower()
    sheet = _read_xlsx(stream) if ext == ".xlsx" else _read_csv(stream.read())
    if not sheet.header or not any(_filled(v) for v in sheet.header):
        raise file_error(_("The file is empty: the first row must hold the column names."))
    if not sheet.rows:
        raise file_error(_("The file has column names but no data rows."))
    if len(sheet.rows) > max_rows():
        raise file_error(_("The file has more than %(n)d rows; split it into smaller files.") % {"n": max_rows()})
    return sheet


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _collect(rows: Iterator[tuple[Any, ...]] | Iterator[list[Any]]) -> Sheet:
    limit = max_rows()
    header: list[Any] = []
    data: list[tuple[int, list[Any]]] = []
    for number, values in enumerate(rows, start=1):
        values = list(values)
        if number == 1:
            header = values
            continue
        if any(_filled(v) for v in values):
            data.append((number, values))
            if len(data) > limit:
                break  # enough to refuse the file; do not read the rest
    return Sheet(header=header, rows=data)


def _read_xlsx(stream: BinaryIO) -> Sheet:
    from openpyxl import load_workbook

    data = stream.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise file_error(_("The file is not a valid .xlsx workbook (it may be damaged or renamed)."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, BadZipFile, InvalidFileException, XML errors)
        raise file_error(_("The file is not a valid .xlsx workbook (it may be damaged or renamed).")) from None
    try:
        if not workbook.worksheets:
            raise file_error(_("The workbook has no worksheet."))
        # The first worksheet holds the data; later ones (e.g. the template's instructions) are ignored.
        return _collect(workbook.worksheets[0].iter_rows(values_only=True))
    except ValidationFailed:
        raise
    except Exception:
        raise file_error(_("The file is not a valid .xlsx workbook (it may be damaged or renamed).")) from None
    finally:
        workbook.close()


def decode(raw: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise file_error(_("The CSV file's encoding is not recognised: save it as UTF-8 or GBK."))


def _read_csv(raw: bytes) -> Sheet:
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise file_error(_("This does not look like a CSV text file."))
    try:
        text = decode(raw)
    except UnicodeDecodeError:
        raise file_error(_("The CSV file's encoding is not recognised: save it as UTF-8 or GBK.")) from None
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" is tab-separated, some locales use ";"; the header row tells which.
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    try:
        return _collect(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise file_error(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


def read_header(name: str, stream: BinaryIO) -> list[Any]:
    """Only the first row (to check the columns at upload time without reading the whole file)."""
    ext = PurePath(name).suffix.lower()
    if ext == ".csv":
        return _read_csv(stream.read()).header
    from openpyxl import load_workbook

    data = stream.read()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            first = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        finally:
            workbook.close()
    except Exception:  # see _read_xlsx: a damaged workbook fails in many ways
        raise file_error(_("The file is not a valid .xlsx workbook (it may be damaged or renamed).")) from None
    return list(first)
