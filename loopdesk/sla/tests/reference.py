"""The obvious, slow definition of business time, to check loopdesk.sla.calendar against.

It walks real time minute by minute (starts, pauses and zone offsets are whole minutes) and asks of
each minute, from the local wall clock alone, whether it is working time. Nothing is cached, merged or
jumped. The one subtle rule, a period's bounds on a day whose clock jumps (DST), is defined as in
docs/sla.md: a period is open while the highest time the clock has shown so far that day lies in
[start, end). So a skipped start opens at the jump and a repeated end closes at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

MINUTE = dt.timedelta(minutes=1)
UTC = dt.UTC


class Reference:
    def __init__(self, *, zone: str, weekly, holidays=(), workdays=None, always_open: bool = False) -> None:
        self.tz = zoneinfo.ZoneInfo(zone)
        self.weekly = [list(p) for p in weekly]
        self.holidays = set(holidays)
        self.workdays = dict(workdays or {})
        self.always_open = always_open

    def _high_water(self, t: dt.datetime) -> tuple[dt.date, int]:
        """(local date, the highest wall minute the clock has shown on that date up to t)."""
        local = t.astimezone(self.tz)
        day, best = local.date(), local.hour * 60 + local.minute
        back = t - dt.timedelta(hours=3)
        if back.astimezone(self.tz).utcoffset() > local.utcoffset():  # the clock went back lately
            probe = t
            while probe > back:
                probe -= MINUTE
                seen = probe.astimezone(self.tz)
                if seen.date() != day:
                    break
                best = max(best, seen.hour * 60 + seen.minute)
        return day, best

    def working(self, t: dt.datetime) -> bool:
        if self.always_open:
            return True
        day, minute = self._high_water(t)
        if day in self.holidays:
            return False
        weekday = self.workdays.get(day, day.isoweekday())
        return any(s <= minute < e for s, e in self.weekly[weekday - 1])

    def counts(self, t: dt.datetime, pauses) -> bool:
        return self.working(t) and not any(a <= t < b for a, b in pauses)

    def add(self, start: dt.datetime, minutes: int, pauses=()) -> dt.datetime:
        t = start.astimezone(UTC)
        if minutes == 0:
            while not self.counts(t, pauses):  # the first instant that would count
                t += MINUTE
            return t
        left = minutes
        while True:
            if self.counts(t, pauses):
                left -= 1
                if left == 0:
                    return t + MINUTE
            t += MINUTE

    def between(self, a: dt.datetime, b: dt.datetime, pauses=()) -> int:
        t, n = a.astimezone(UTC), 0
        while t < b:
            n += self.counts(t, pauses)
            t += MINUTE
        return n
