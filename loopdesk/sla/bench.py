"""`due_time_rate()`: due-time computations per second on one core (wired into `loopdesk bench`)."""

from __future__ import annotations

import datetime as dt
import random
import time

from . import cn
from .calendar import BusinessCalendar


def china_standard() -> BusinessCalendar:
    """The shipped China standard calendar, built without the database."""
    holidays = [day for day, kind, _name in cn.days() if kind == "holiday"]
    workdays = [day for day, kind, _name in cn.days() if kind == "workday"]
    weekly = [cn.STANDARD_HOURS if w in cn.STANDARD_DAYS else () for w in range(1, 8)]
    return BusinessCalendar(zone="Asia/Shanghai", weekly=weekly, holidays=holidays, workdays=workdays)


def due_time_rate(seconds: float = 3.0, *, seed: int = 7) -> float:
    """Computations per second of `add()` on the China standard calendar: random starts over 2025–2026
    (any minute, so many outside hours), targets from 8 business hours to 5 business days (450-minute
    days), one in five with a pause."""
    calendar = china_standard()
    rng = random.Random(seed)
    origin = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    cases = []
    for _ in range(2000):
        start = origin + dt.timedelta(minutes=rng.randrange(2 * 365 * 1440))
        pauses = ()
        if rng.random() < 0.2:
            begin = start + dt.timedelta(minutes=rng.randrange(2000))
            pauses = ((begin, begin + dt.timedelta(minutes=rng.randrange(10, 600))),)
        cases.append((start, rng.choice((480, 900, 1350, 2250)), pauses))
    for start, minutes, pauses in cases:  # warm the per-day cache, as a long-running process has it
        calendar.add(start, minutes, pauses)
    done, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        for start, minutes, pauses in cases:
            calendar.add(start, minutes, pauses)
        done += len(cases)
    return done / elapsed
