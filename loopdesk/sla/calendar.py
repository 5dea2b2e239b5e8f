"""Business calendars and exact due-time arithmetic: plain Python, no ORM (see docs/sla.md).

A `BusinessCalendar` is immutable: a time zone, working periods per ISO weekday (minutes of the local
day, end exclusive, 1440 = midnight at the end of the day), holiday dates and make-up working dates
(调休), each of which works with the periods of a given weekday. Working time is real elapsed time,
so a period spanning a DST change is an hour shorter or longer.

Internally every instant is an integer of microseconds since the Unix epoch, and each local date's
open intervals are computed once and cached, so `add()` walks whole days (never minutes).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from django.utils.translation import gettext as _

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
US = dt.timedelta(microseconds=1)
MINUTE_US = 60_000_000
DAY_MINUTES = 1440
# A calendar without a single working minute in this many consecutive days has no working time left.
MAX_IDLE_DAYS = 3660
_CACHE_LIMIT = 50_000

Period = tuple[int, int]
Interval = tuple[int, int]


class CalendarError(ValueError):
    """A calendar or a computation the arithmetic refuses; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone `name`, or CalendarError("zone")."""
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise CalendarError("zone", _("Unknown time zone “%(zone)s”.") % {"zone": name}) from None


def check_periods(weekly: Iterable[Iterable[Period]]) -> tuple[tuple[Period, ...], ...]:
    """Validate and normalise seven weekdays' periods (sorted); refuse bad bounds, overlaps, an empty week."""
    days = [tuple(sorted((int(s), int(e)) for s, e in periods)) for periods in weekly]
    if len(days) != 7:
        raise CalendarError("periods", _("Give the periods of all seven weekdays."))
    for index, periods in enumerate(days):
        for s, e in periods:
            if not (0 <= s < DAY_MINUTES and 0 < e <= DAY_MINUTES):
                raise CalendarError("periods", _("A period must lie within the day (00:00–24:00)."))
            if e <= s:
                raise CalendarError("periods", _("A period must end after it starts (%(period)s).")
                                    % {"period": format_period((s, e))})
        for (s1, e1), (s2, e2) in zip(periods, periods[1:], strict=False):
            if s2 < e1:
                raise CalendarError("periods", _("Periods %(a)s and %(b)s on weekday %(day)s overlap.")
                                    % {"a": format_period((s1, e1)), "b": format_period((s2, e2)), "day": index + 1})
    if not any(days):
        raise CalendarError("periods", _("The week has no working period."))
    return tuple(days)


def format_period(period: Period) -> str:
    s, e = period
    return f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}"


def to_us(t: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive ones are refused)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise CalendarError("start", _("Give a time with a time zone offset."))
    return (t - EPOCH) // US


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-empty, non-touching intervals."""
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def pause_intervals(pauses: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[Interval]:
    """Pauses as merged [from, to) intervals; a pause that ends before it starts is refused."""
    out = []
    for start, end in pauses:
        a, b = to_us(start), to_us(end)
        if b < a:
            raise CalendarError("pauses", _("A pause must end after it starts."))
        out.append((a, b))
    return merge(out)


def subtract(intervals: Iterable[Interval], holes: list[Interval]) -> list[Interval]:
    """`intervals` minus the sorted, merged `holes`."""
    out = []
    for a, b in intervals:
        i = max(0, bisect_right(holes, (a, a)) - 1)
        while i < len(holes) and holes[i][0] < b:
            h0, h1 = holes[i]
            if h1 > a:
                if h0 > a:
                    out.append((a, h0))
                a = max(a, h1)
                if a >= b:
                    break
            i += 1
        if a < b:
            out.append((a, b))
    return out


class BusinessCalendar:
    """An immutable business calendar; see the module docstring and docs/sla.md for the rules."""

    __slots__ = ("name", "zone", "tz", "weekly", "holidays", "workdays", "always_open", "_days", "_weeks")

    def __init__(
        self,
        *,
        zone: str = "Asia/Shanghai",
        weekly: Iterable[Iterable[Period]] = (),
        holidays: Iterable[dt.date] = (),
        workdays: Mapping[dt.date, int] | Iterable[dt.date] = (),
        always_open: bool = False,
        name: str = "",
    ) -> None:
        """`workdays` maps each make-up working date to the ISO weekday whose periods it uses (a bare
        iterable of dates uses the first weekday that has periods). `always_open` is 24×7: every
        instant is working time, whatever the periods and days say."""
        tz = zone_named(zone)
        week = ((((0, DAY_MINUTES),),) * 7) if always_open else check_periods(weekly)
        if not isinstance(workdays, Mapping):
            first = next(i + 1 for i, p in enumerate(week) if p)
            workdays = dict.fromkeys(workdays, first)
        holidays = frozenset(holidays)
        for day, weekday in workdays.items():
            if day in holidays:
                raise CalendarError("days", _("%(date)s cannot be both a holiday and a working day.")
                                    % {"date": day.isoformat()})
            if not (isinstance(weekday, int) and 1 <= weekday <= 7):
                raise CalendarError("days", _("A working day works like a weekday from 1 (Monday) to 7 (Sunday)."))
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "zone", str(zone))
        set_(self, "tz", tz)
        set_(self, "weekly", week)
        set_(self, "holidays", frozenset() if always_open else holidays)
        set_(self, "workdays", MappingProxyType({} if always_open else dict(workdays)))
        set_(self, "always_open", bool(always_open))
        set_(self, "_days", {})
        set_(self, "_weeks", {})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.name or self.zone}>"

    # -- the local days -----------------------------------------------------------------------------
    def periods_on(self, day: dt.date) -> tuple[Period, ...]:
        """The working periods (local minutes) of `day`: none on a holiday, the chosen weekday's on a
        make-up working day, else its weekday's."""
        if day in self.holidays:
            return ()
        weekday = self.workdays.get(day)
        return self.weekly[(weekday or day.isoweekday()) - 1]

    def _clock_reaches(self, day: dt.date, minute: int) -> int:
        """The first instant at which the local clock on `day` reads `minute` or later (24:00 is the
        first instant of the next day). A time skipped by a DST change is reached at the change; a
        repeated one at its first occurrence."""
        if minute >= DAY_MINUTES:
            day, minute = day + dt.timedelta(days=1), 0
        wall = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.tz)
        first = to_us(wall)  # fold=0: a skipped time maps past the change
        back = wall.astimezone(UTC).astimezone(self.tz)
        if back.replace(tzinfo=None) == wall.replace(tzinfo=None):
            return first
        # Skipped wall time: find the change between its fold=1 and fold=0 readings (seconds suffice).
        lo, hi = to_us(wall.replace(fold=1)) // 1_000_000, first // 1_000_000
        target = wall.replace(tzinfo=None)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if dt.datetime.fromtimestamp(mid, self.tz).replace(tzinfo=None) >= target:
                hi = mid
            else:
                lo = mid
        return hi * 1_000_000

    def _day(self, ordinal: int) -> tuple[tuple[Interval, ...], int]:
        """(open intervals, their total length) of a local date, cached."""
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        day = dt.date.fromordinal(ordinal)
        intervals = tuple(
            (a, b) for a, b in ((self._clock_reaches(day, s), self._clock_reaches(day, e))
                                for s, e in self.periods_on(day)) if a < b
        )
        record = (intervals, sum(b - a for a, b in intervals))
        if len(self._days) > _CACHE_LIMIT:
            self._days.clear()
        self._days[ordinal] = record
        return record

    def _week(self, ordinal: int) -> int:
        """The working time of the seven local dates from `ordinal`, cached."""
        total = self._weeks.get(ordinal)
        if total is None:
            total = sum(self._day(o)[1] for o in range(ordinal, ordinal + 7))
            if len(self._weeks) > _CACHE_LIMIT:
                self._weeks.clear()
            self._weeks[ordinal] = total
        return total

    def open_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of local date `day` as aware datetimes in the calendar's zone."""
        return [(self._out(a), self._out(b)) for a, b in self._day(day.toordinal())[0]]

    def _ordinal(self, t_us: int) -> int:
        return (EPOCH + dt.timedelta(microseconds=t_us)).astimezone(self.tz).toordinal()

    def _out(self, t_us: int) -> dt.datetime:
        return (EPOCH + dt.timedelta(microseconds=t_us)).astimezone(self.tz)

    # -- queries ------------------------------------------------------------------------------------
    def is_working(self, t: dt.datetime) -> bool:
        """Whether `t` lies in a working interval (start included, end excluded)."""
        if self.always_open:
            return True
        u = to_us(t)
        return any(a <= u < b for a, b in self._day(self._ordinal(u))[0])

    def next_opening(self, t: dt.datetime) -> dt.datetime:
        """`t` itself when working, else the start of the next working interval."""
        return self.add(t, 0)

    def add(self, start: dt.datetime, minutes: float,
            pauses: Iterable[tuple[dt.datetime, dt.datetime]] = ()) -> dt.datetime:
        """The instant `minutes` business minutes after `start`, not counting `pauses`, in the
        calendar's zone. Counting begins at the next opening; a due time that falls exactly at the
        end of a working interval (or the start of a pause) is that end."""
        if minutes < 0:
            raise CalendarError("minutes", _("The number of minutes cannot be negative."))
        t = to_us(start)
        holes = pause_intervals(pauses) if pauses else []
        if self.always_open and not holes:
            return self._out(t + round(minutes * MINUTE_US))
        return self._out(self._add_us(t, start.astimezone(self.tz).toordinal(), round(minutes * MINUTE_US), holes))

    def _add_us(self, t: int, ordinal: int, remaining: int, holes: list[Interval]) -> int:
        """The due instant; `ordinal` is the local date of `t`."""
        idle, first = 0, ordinal
        while True:
            if ordinal != first and not holes:
                # Past the start's day every interval lies after t: whole weeks can be skipped.
                week = self._week(ordinal)
                if 0 < week < remaining:
                    remaining -= week
                    ordinal += 7
                    idle = 0
                    continue
            intervals, total = self._day(ordinal)
            if holes and intervals and holes[0][0] < intervals[-1][1]:
                day_end = intervals[-1][1]
                intervals = tuple(subtract(intervals, holes))
                total = sum(b - a for a, b in intervals)
                holes = [h for h in holes if h[1] > day_end]
            if intervals:
                idle = 0
                if remaining > total and t <= intervals[0][0]:
                    remaining -= total  # the whole day is used up: jump to the next
                else:
                    for a, b in intervals:
                        if b <= t:
                            continue
                        c = a if a > t else t
                        if c + remaining <= b:
                            return c + remaining
                        remaining -= b - c
            else:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise CalendarError("calendar", _("The calendar has no working time after this date."))
            ordinal += 1

    def business_minutes_between(self, a: dt.datetime, b: dt.datetime,
                                 pauses: Iterable[tuple[dt.datetime, dt.datetime]] = ()) -> float:
        """Business minutes in [a, b) outside `pauses` (negative when b is before a)."""
        ua, ub = to_us(a), to_us(b)
        if ub < ua:
            return -self.business_minutes_between(b, a, pauses)
        return self._between_us(ua, ub, pause_intervals(pauses)) / MINUTE_US

    def _between_us(self, ua: int, ub: int, holes: list[Interval]) -> int:
        if self.always_open:
            return ub - ua - sum(max(0, min(h1, ub) - max(h0, ua)) for h0, h1 in holes)
        total = 0
        last = self._ordinal(ub)
        for ordinal in range(self._ordinal(ua), last + 1):
            intervals, day_total = self._day(ordinal)
            if not intervals:
                continue
            if ua <= intervals[0][0] and intervals[-1][1] <= ub and not (
                    holes and any(h0 < intervals[-1][1] and h1 > intervals[0][0] for h0, h1 in holes)):
                total += day_total
                continue
            for x, y in subtract(intervals, holes) if holes else intervals:
                total += max(0, min(y, ub) - max(x, ua))
        return total


# -- textual input (commands, API) ------------------------------------------------------------------
def parse_clock(text: str, *, field: str = "hours") -> int:
    """"HH:MM" (00:00–24:00) → minutes of the day."""
    hours, sep, minutes = str(text).strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise CalendarError(field, _("“%(text)s” is not a time of day as HH:MM.") % {"text": text})
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > DAY_MINUTES:
        raise CalendarError(field, _("“%(text)s” is not a time of day as HH:MM.") % {"text": text})
    return value


def parse_hours(text: str) -> tuple[Period, ...]:
    """"09:00-12:00,13:30-18:00" → ((540, 720), (810, 1080)), checked like a weekday's periods."""
    periods = []
    for part in str(text).split(","):
        start, sep, end = part.strip().replace("–", "-").partition("-")
        if not sep:
            raise CalendarError("hours", _("Write periods as HH:MM-HH:MM, separated by commas."))
        periods.append((parse_clock(start), parse_clock(end)))
    return check_periods([periods] + [[]] * 6)[0]


def parse_weekdays(text: str) -> tuple[int, ...]:
    """"1-5" or "1,3,5-7" (ISO weekdays, 1 = Monday) → sorted weekdays."""
    out: set[int] = set()
    try:
        for part in str(text).split(","):
            first, sep, last = part.strip().partition("-")
            a, b = int(first), int(last) if sep else int(first)
            if not (1 <= a <= b <= 7):
                raise ValueError
            out.update(range(a, b + 1))
    except ValueError:
        raise CalendarError("days", _("Write weekdays as 1–7 (1 = Monday), e.g. 1-5 or 1,3,5-7.")) from None
    return tuple(sorted(out))
