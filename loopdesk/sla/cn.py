"""China's statutory holidays and make-up working days (调休), from the chinese-calendar package.

Pure data, no ORM, so the data migration and `load_cn_holidays` share it. The package lists every
day off of each holiday (weekends inside it included) and every make-up working day, year by year.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version

import chinese_calendar
from chinese_calendar.constants import Holiday, holidays, workdays

CHINA_STANDARD = "China standard (09:00–12:00, 13:30–18:00, Mon–Fri, statutory holidays)"
ALWAYS_OPEN = "24×7"
STANDARD_HOURS = ((540, 720), (810, 1080))  # 09:00–12:00, 13:30–18:00
STANDARD_DAYS = (1, 2, 3, 4, 5)

_CHINESE = {holiday.value: holiday.chinese for holiday in Holiday}


def package_version() -> str:
    return version("chinese_calendar")


def years() -> tuple[int, int]:
    """The first and last year the installed package covers."""
    return min(holidays).year, max(holidays).year


def days() -> list[tuple[dt.date, str, str]]:
    """(date, "holiday" | "workday", Chinese name) for every special day the package knows, by date."""
    out = [(day, "holiday", _CHINESE.get(name, name)) for day, name in holidays.items()]
    out += [(day, "workday", _CHINESE.get(name, name) + "调休") for day, name in workdays.items()]
    return sorted(out)


def is_workday(day: dt.date) -> bool:
    """The package's own answer (used by the tests to check the loaded calendar)."""
    return chinese_calendar.is_workday(day)
