"""Every boundary rule of docs/sla.md, one example each, on the China standard calendar (09:00–12:00,
13:30–18:00, Mon–Fri, statutory holidays and make-up days: 450 business minutes a day)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import chinese_calendar
import pytest

from loopdesk.sla.bench import china_standard
from loopdesk.sla.calendar import BusinessCalendar, CalendarError, parse_hours, parse_weekdays

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CAL = china_standard()


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def due(start, minutes, pauses=()):
    return CAL.add(start, minutes, pauses)


@pytest.mark.parametrize(("start", "minutes", "expected"), [
    (sh(2026, 3, 2, 7, 0), 60, sh(2026, 3, 2, 10, 0)),      # before opening: counts from 09:00
    (sh(2026, 3, 2, 12, 30), 60, sh(2026, 3, 2, 14, 30)),   # in the lunch break: counts from 13:30
    (sh(2026, 3, 6, 19, 0), 60, sh(2026, 3, 9, 10, 0)),     # Friday evening: Monday
    (sh(2026, 3, 7, 10, 0), 60, sh(2026, 3, 9, 10, 0)),     # on an ordinary Saturday
    (sh(2026, 3, 6, 18, 0), 60, sh(2026, 3, 9, 10, 0)),     # exactly at closing: already closed
    (sh(2026, 3, 2, 17, 0), 60, sh(2026, 3, 2, 18, 0)),     # lands on closing time: that time, not 09:00
    (sh(2026, 3, 2, 11, 0), 60, sh(2026, 3, 2, 12, 0)),     # lands on the start of lunch: 12:00
    (sh(2026, 3, 2, 9, 0), 450, sh(2026, 3, 2, 18, 0)),     # a whole day from opening ends at closing
    (sh(2026, 3, 2, 9, 0), 451, sh(2026, 3, 3, 9, 1)),
    (sh(2026, 3, 2, 10, 0), 0, sh(2026, 3, 2, 10, 0)),      # zero at a working instant: the instant
    (sh(2026, 3, 2, 9, 0), 0, sh(2026, 3, 2, 9, 0)),        # opening time is working
    (sh(2026, 3, 2, 12, 0), 0, sh(2026, 3, 2, 13, 30)),     # zero when closed: the next opening
    (sh(2026, 3, 2, 18, 0), 0, sh(2026, 3, 3, 9, 0)),
    (sh(2026, 3, 2, 9, 0, 30, 500000), 1, sh(2026, 3, 2, 9, 1, 30, 500000)),  # seconds are kept
    (sh(2026, 3, 2, 8, 0), 5 * 450, sh(2026, 3, 6, 18, 0)),  # five business days
])
def test_rules(start, minutes, expected):
    assert due(start, minutes) == expected


def test_spring_festival_2026():
    # Verified against the package: 2026-02-15 … 02-23 off, Saturdays 02-14 and 02-28 are working days.
    for day in range(15, 24):
        assert not chinese_calendar.is_workday(dt.date(2026, 2, day))
        assert CAL.open_intervals(dt.date(2026, 2, day)) == []
    for day in (dt.date(2026, 2, 14), dt.date(2026, 2, 28)):
        assert day.isoweekday() == 6 and chinese_calendar.is_workday(day)
        assert CAL.open_intervals(day) == [(sh(*day.timetuple()[:3], 9), sh(*day.timetuple()[:3], 12)),
                                           (sh(*day.timetuple()[:3], 13, 30), sh(*day.timetuple()[:3], 18))]
    assert due(sh(2026, 2, 13, 17, 0), 60) == sh(2026, 2, 13, 18, 0)
    assert due(sh(2026, 2, 13, 17, 0), 61) == sh(2026, 2, 14, 9, 1)        # the make-up Saturday
    assert due(sh(2026, 2, 14, 17, 0), 120) == sh(2026, 2, 24, 10, 0)      # over the nine days off
    assert due(sh(2026, 2, 16, 10, 0), 0) == sh(2026, 2, 24, 9, 0)         # created during the holiday
    assert due(sh(2026, 2, 27, 17, 30), 31) == sh(2026, 2, 28, 9, 1)       # the second make-up Saturday
    assert due(sh(2026, 2, 28, 17, 0), 61) == sh(2026, 3, 2, 9, 1)         # Sunday 03-01 is off again
    assert CAL.business_minutes_between(sh(2026, 2, 13, 9), sh(2026, 3, 2, 9)) == 7 * 450  # 13, 14, 24–28


def test_national_day_2026():
    assert due(sh(2026, 9, 18, 17, 0), 61) == sh(2026, 9, 20, 9, 1)        # make-up Sunday 09-20
    assert due(sh(2026, 9, 30, 17, 0), 120) == sh(2026, 10, 8, 10, 0)      # 10-01 … 10-07 off
    assert due(sh(2026, 10, 9, 17, 0), 61) == sh(2026, 10, 10, 9, 1)       # make-up Saturday 10-10


def test_matches_the_package_on_every_covered_day():
    first, last = min(chinese_calendar.constants.holidays).year, max(chinese_calendar.constants.holidays).year
    day = dt.date(first, 1, 1)
    while day.year <= last:
        assert bool(CAL.open_intervals(day)) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_pauses():
    nine = sh(2026, 3, 2, 9, 0)
    half = (sh(2026, 3, 2, 9, 30), sh(2026, 3, 2, 10, 0))
    assert due(nine, 60, [half]) == sh(2026, 3, 2, 10, 30)
    assert due(nine, 30, [half]) == sh(2026, 3, 2, 9, 30)                  # lands on a pause's start
    assert due(nine, 60, [(sh(2026, 3, 1), sh(2026, 3, 2, 9))]) == sh(2026, 3, 2, 10, 0)  # ends at start
    assert due(nine, 0, [(sh(2026, 3, 2, 8), sh(2026, 3, 2, 9, 15))]) == sh(2026, 3, 2, 9, 15)
    over_night = (sh(2026, 3, 2, 17, 0), sh(2026, 3, 3, 10, 0))             # wall time, only business part counts
    assert due(sh(2026, 3, 2, 16, 0), 120, [over_night]) == sh(2026, 3, 3, 11, 0)
    assert due(nine, 60, [half, (sh(2026, 3, 2, 9, 45), sh(2026, 3, 2, 10, 15))]) == sh(2026, 3, 2, 10, 45)
    assert CAL.business_minutes_between(nine, sh(2026, 3, 2, 18), [half]) == 420
    with pytest.raises(CalendarError) as error:
        due(nine, 10, [(sh(2026, 3, 2, 10), sh(2026, 3, 2, 9))])
    assert error.value.field == "pauses"


def test_time_zones_in_and_out():
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)                   # 09:00 in Shanghai
    result = due(start, 60)
    assert result.isoformat() == "2026-03-02T10:00:00+08:00"
    assert CAL.is_working(start) and not CAL.is_working(start - dt.timedelta(seconds=1))
    assert CAL.next_opening(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)) == sh(2026, 3, 3, 9, 0)


def test_dst_in_berlin():
    night = BusinessCalendar(zone="Europe/Berlin", weekly=[[(60, 240)]] * 7)
    spring, autumn = dt.date(2026, 3, 29), dt.date(2026, 10, 25)
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN)
    assert night.business_minutes_between(start, dt.datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)) == 120
    (a, b), = night.open_intervals(spring)                                   # 01:00–04:00 lasts two hours
    assert b.astimezone(dt.UTC) - a.astimezone(dt.UTC) == dt.timedelta(hours=2)
    assert b.utcoffset() == dt.timedelta(hours=2)
    (a, b), = night.open_intervals(autumn)                                   # and four in autumn
    assert b.astimezone(dt.UTC) - a.astimezone(dt.UTC) == dt.timedelta(hours=4)
    assert night.add(start, 119).isoformat() == "2026-03-29T03:59:00+02:00"
    assert night.add(start, 120).isoformat() == "2026-03-29T04:00:00+02:00"
    assert night.add(dt.datetime(2026, 10, 25, 1, 0, tzinfo=BERLIN), 150).isoformat() == "2026-10-25T02:30:00+01:00"
    skipped = BusinessCalendar(zone="Europe/Berlin", weekly=[[(150, 300)]] * 7)  # 02:30 does not exist on 03-29
    assert skipped.next_opening(dt.datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)).isoformat() == "2026-03-29T03:00:00+02:00"
    office = BusinessCalendar(zone="Europe/Berlin", weekly=[[(540, 1020)]] * 5 + [[], []])
    assert office.add(dt.datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN), 120).isoformat() == "2026-03-30T10:00:00+02:00"


def test_24x7():
    always = BusinessCalendar(always_open=True)
    start = sh(2026, 2, 17, 3, 0)
    assert always.add(start, 1440) == sh(2026, 2, 18, 3, 0)
    assert always.add(start, 60, [(sh(2026, 2, 17, 3, 30), sh(2026, 2, 17, 4))]) == sh(2026, 2, 17, 4, 30)
    assert always.business_minutes_between(start, sh(2026, 2, 18, 3, 0)) == 1440


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"weekly": [[(540, 720), (700, 800)]] + [[]] * 6}, "periods"),         # overlap
    ({"weekly": [[]] * 7}, "periods"),                                      # empty week
    ({"weekly": [[(600, 540)]] + [[]] * 6}, "periods"),                     # end before start
    ({"weekly": [[(540, 540)]] + [[]] * 6}, "periods"),                     # empty period
    ({"weekly": [[(540, 1500)]] + [[]] * 6}, "periods"),                    # beyond 24:00
    ({"weekly": [[(540, 600)]] * 5}, "periods"),                            # not seven weekdays
    ({"weekly": [[(540, 600)]] * 7, "zone": "Mars/Olympus"}, "zone"),
    ({"weekly": [[(540, 600)]] * 7, "holidays": [dt.date(2026, 1, 1)], "workdays": {dt.date(2026, 1, 1): 1}}, "days"),
    ({"weekly": [[(540, 600)]] * 7, "workdays": {dt.date(2026, 1, 1): 8}}, "days"),
])
def test_refused_calendars(kwargs, field):
    with pytest.raises(CalendarError) as error:
        BusinessCalendar(**kwargs)
    assert error.value.field == field and error.value.message


def test_refused_inputs():
    with pytest.raises(CalendarError, match="start"):
        CAL.add(dt.datetime(2026, 3, 2, 9), 10)                            # naive
    with pytest.raises(CalendarError, match="minutes"):
        CAL.add(sh(2026, 3, 2, 9), -1)
    with pytest.raises(AttributeError):
        CAL.zone = "UTC"


def test_touching_periods_are_continuous():
    cal = BusinessCalendar(weekly=[[(540, 720), (720, 1080)]] * 7)
    assert cal.add(sh(2026, 3, 2, 11, 0), 60) == sh(2026, 3, 2, 12, 0)
    assert cal.add(sh(2026, 3, 2, 11, 0), 61) == sh(2026, 3, 2, 12, 1)
    assert cal.is_working(sh(2026, 3, 2, 12, 0))


def test_parsing():
    assert parse_hours("09:00-12:00,13:30-18:00") == ((540, 720), (810, 1080))
    assert parse_hours("00:00-24:00") == ((0, 1440),)
    assert parse_weekdays("1-5") == (1, 2, 3, 4, 5) and parse_weekdays("1,3,6-7") == (1, 3, 6, 7)
    for bad in ("9-12", "09:00-25:00", "09:60-10:00", "10:00-09:00", "09:00-12:00,11:00-13:00", ""):
        with pytest.raises(CalendarError):
            parse_hours(bad)
    for bad in ("0-5", "5-1", "x", "8"):
        with pytest.raises(CalendarError):
            parse_weekdays(bad)


def test_far_future_without_working_time():
    cal = BusinessCalendar(weekly=[[(540, 600)]] + [[]] * 6,
                           holidays=[dt.date(2026, 3, 2) + dt.timedelta(weeks=n) for n in range(600)])
    with pytest.raises(CalendarError):
        cal.add(sh(2026, 3, 1), 10)
