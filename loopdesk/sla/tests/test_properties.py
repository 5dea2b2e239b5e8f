"""BusinessCalendar against the minute-by-minute reference, over random calendars, starts, targets and
pauses (hypothesis), in zones with and without DST, including a half-hour DST (Lord Howe)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopdesk.sla.calendar import BusinessCalendar

from .reference import Reference

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
# Windows around the 2026 DST changes of those zones, and Spring Festival.
WINDOWS = [dt.datetime(2026, 3, 26, tzinfo=dt.UTC), dt.datetime(2026, 10, 22, tzinfo=dt.UTC),
           dt.datetime(2026, 3, 5, tzinfo=dt.UTC), dt.datetime(2026, 10, 29, tzinfo=dt.UTC),
           dt.datetime(2026, 4, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 10, tzinfo=dt.UTC)]


@st.composite
def day_periods(draw):
    # Bounds on a 30-minute grid (sometimes any minute), paired in order: sorted, never overlapping.
    grid = draw(st.sampled_from([30, 30, 1]))
    points = sorted(draw(st.sets(st.integers(0, 1440 // grid).map(lambda n: n * grid), max_size=6)))
    points = points[: len(points) // 2 * 2]
    return [(points[i], points[i + 1]) for i in range(0, len(points), 2)]


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(ZONES))
    weekly = [draw(day_periods()) for _ in range(7)]
    if not any(weekly):
        weekly[draw(st.integers(0, 6))] = [(540, 1080)]
    base = draw(st.sampled_from(WINDOWS)).date()
    dates = draw(st.sets(st.integers(-2, 20), max_size=6))
    cut = draw(st.integers(0, len(dates)))
    ordered = sorted(dates)
    holidays = {base + dt.timedelta(days=n) for n in ordered[:cut]}
    workdays = {base + dt.timedelta(days=n): draw(st.integers(1, 7)) for n in ordered[cut:]}
    always_open = draw(st.integers(0, 9)) == 0
    spec = {"zone": zone, "weekly": weekly, "holidays": holidays, "workdays": workdays, "always_open": always_open}
    return BusinessCalendar(**spec), Reference(**spec), base


@st.composite
def cases(draw):
    calendar, reference, base = draw(calendars())
    start = dt.datetime.combine(base, dt.time(), dt.UTC) + dt.timedelta(minutes=draw(st.integers(-1440, 14 * 1440)))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        a = start + dt.timedelta(minutes=draw(st.integers(-600, 6000)))
        pauses.append((a, a + dt.timedelta(minutes=draw(st.integers(0, 1500)))))
    minutes = draw(st.one_of(st.integers(0, 5), st.integers(0, 900)))
    return calendar, reference, start, minutes, pauses


def utc(t: dt.datetime) -> dt.datetime:
    # PEP 495: an aware time in a repeated (DST) hour never equals one in another zone; compare in UTC.
    return t.astimezone(dt.UTC)


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cases())
def test_add_matches_reference(case):
    calendar, reference, start, minutes, pauses = case
    due = calendar.add(start, minutes, pauses)
    assert utc(due) == reference.add(start, minutes, pauses)
    assert due.tzinfo == calendar.tz


@FAST
@given(cases())
def test_minutes_between_inverts_add(case):
    calendar, _reference, start, minutes, pauses = case
    due = calendar.add(start, minutes, pauses)
    assert calendar.business_minutes_between(start, due, pauses) == minutes


@FAST
@given(cases(), st.integers(0, 6 * 1440))
def test_between_matches_reference(case, span):
    calendar, reference, start, _minutes, pauses = case
    end = start + dt.timedelta(minutes=span)
    assert calendar.business_minutes_between(start, end, pauses) == reference.between(start, end, pauses)
    assert calendar.business_minutes_between(end, start, pauses) == -reference.between(start, end, pauses)


@FAST
@given(cases())
def test_is_working_and_next_opening_match_reference(case):
    calendar, reference, start, _minutes, _pauses = case
    assert calendar.is_working(start) == reference.working(start)
    assert utc(calendar.next_opening(start)) == reference.add(start, 0)


@pytest.mark.parametrize("zone", ZONES)
def test_every_minute_of_the_dst_weeks(zone):
    """Exhaustive over two DST weeks: a Mon–Sat calendar with night and midnight periods."""
    spec = {"zone": zone, "weekly": [[(0, 150), (150, 180), (540, 720), (810, 1440)]] * 6 + [[(120, 200)]]}
    calendar, reference = BusinessCalendar(**spec), Reference(**spec)
    for window in WINDOWS[:2]:
        for step in range(0, 7 * 1440, 7):
            t = window + dt.timedelta(minutes=step)
            assert calendar.is_working(t) == reference.working(t), t
            assert utc(calendar.add(t, 37)) == reference.add(t, 37), t


def test_reference_agrees_with_the_documented_examples():
    """The reference itself, on rows of the docs/sla.md table (so both sides are checked by hand)."""
    from loopdesk.sla import cn

    days = cn.days()
    reference = Reference(zone="Asia/Shanghai",
                          weekly=[cn.STANDARD_HOURS if w <= 5 else () for w in range(1, 8)],
                          holidays=[d for d, kind, _n in days if kind == "holiday"],
                          workdays={d: 1 for d, kind, _n in days if kind == "workday"})
    sh = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert reference.add(dt.datetime(2026, 2, 13, 17, tzinfo=sh), 61) == dt.datetime(2026, 2, 14, 9, 1, tzinfo=sh)
    assert reference.add(dt.datetime(2026, 2, 14, 17, tzinfo=sh), 120) == dt.datetime(2026, 2, 24, 10, tzinfo=sh)
    assert reference.add(dt.datetime(2026, 3, 2, 17, tzinfo=sh), 60) == dt.datetime(2026, 3, 2, 18, tzinfo=sh)
    assert reference.add(dt.datetime(2026, 3, 2, 12, tzinfo=sh), 0) == dt.datetime(2026, 3, 2, 13, 30, tzinfo=sh)


@FAST
@given(cases(), st.integers(0, 30_000))
def test_long_targets_are_exact_and_earliest(case, minutes):
    """Targets of weeks (where whole weeks are skipped): the due time holds exactly `minutes` of
    business time (counted without skipping, which the reference checks above) and no earlier instant does."""
    calendar, _reference, start, _minutes, pauses = case
    due = calendar.add(start, minutes, pauses)
    assert calendar.business_minutes_between(start, due, pauses) == minutes
    if minutes:
        earlier = due - dt.timedelta(microseconds=1)
        assert calendar.business_minutes_between(start, earlier, pauses) < minutes
