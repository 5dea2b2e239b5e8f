"""Files the import hands out: the error report (CSV or .xlsx) and an empty template per kind."""

from __future__ import annotations

import csv
import io

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from loopdesk.core.spreadsheets import safe_row

from .columns import COLUMNS, custom_definitions
from .models import ImportJob


def _error_rows(job: ImportJob) -> list[list]:
    """The rows echo what was uploaded, so formula-like values are neutralised (core.spreadsheets)."""
    return [safe_row([e.get("row") or "", e.get("column", ""), e.get("value", ""), e.get("message", "")])
            for e in job.errors]


def _error_header() -> list[str]:
    return [_("Row"), _("Column"), _("Value"), _("Message")]


def errors_csv(job: ImportJob) -> bytes:
    """UTF-8 with a BOM, so Chinese Excel opens it without garbling."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_error_header())
    writer.writerows(_error_rows(job))
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def errors_xlsx(job: ImportJob) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = _("Errors")[:31]
    sheet.append(_error_header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _error_rows(job):
        sheet.append(row)
    for letter, width in zip("ABCD", (8, 20, 30, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_xlsx(kind: str) -> bytes:
    """The data sheet (headers in the reader's language, code-like columns formatted as text) and a sheet
    of instructions. Only the first sheet is imported."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    english = (get_language() or "").startswith("en")
    columns = COLUMNS[kind]
    customs = custom_definitions(kind)
    headers = [(c.en if english else c.zh) + ("*" if c.required else "") for c in columns]
    headers += [d.label + ("*" if d.required else "") for d in customs]

    workbook = Workbook()
    data = workbook.active
    data.title = _("Data")[:31]
    data.append(headers)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for index, cell in enumerate(data[1], start=1):
        cell.font, cell.fill = bold, fill
        letter = cell.column_letter
        data.column_dimensions[letter].width = max(12, len(str(cell.value)) * 2 + 4)
        # Text format keeps leading zeros of codes and the digits of phone numbers.
        if index <= len(columns) and columns[index - 1].key not in ("installed_on", "licences", "vip_level", "is_primary"):
            for row in range(2, 1002):
                data.cell(row=row, column=index).number_format = "@"
    data.freeze_panes = "A2"

    help_sheet = workbook.create_sheet(_("Instructions")[:31])
    help_sheet.append([_("Column (Chinese)"), _("Column (English)"), _("Required"), _("Notes"), _("Example")])
    for cell in help_sheet[1]:
        cell.font = bold
    for c in columns:
        help_sheet.append([c.zh, c.en, _("yes") if c.required else "", str(c.help), c.example])
    for d in customs:
        help_sheet.append([d.label, d.key, _("yes") if d.required else "",
                           _("Custom field (%(kind)s)") % {"kind": d.get_kind_display()}
                           + (": " + " / ".join(map(str, d.choices)) if d.choices else ""), ""])
    help_sheet.append([])
    help_sheet.append([_("Only the first sheet is imported. Row 1 holds the column names, in Chinese or English. "
                         "The import is all or nothing: if any row has an error, nothing is written.")])
    for letter, width in zip("ABCDE", (18, 22, 8, 60, 22), strict=True):
        help_sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
