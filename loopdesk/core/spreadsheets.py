"""Cells written to CSV or Excel files that people open in a spreadsheet program.

Text that starts like a formula (=, +, -, @, tab, carriage return) would be run as one when the file
is opened (CSV injection), and openpyxl itself stores a string starting with "=" as a formula. Such
text gets a leading apostrophe, which spreadsheets show as plain text. Plain numbers ("-3", "+86")
stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: list[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]
