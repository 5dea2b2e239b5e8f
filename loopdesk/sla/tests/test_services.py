"""Calendar services, the shipped calendars, China's statutory data and the model → pure bridge."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import chinese_calendar
import pytest

from loopdesk.core.errors import Forbidden, NotFound, ValidationFailed
from loopdesk.core.models import AuditEvent
from loopdesk.sla import cn, services
from loopdesk.sla.models import Calendar

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
WEEKDAYS = [(w, 540, 720) for w in range(1, 6)] + [(w, 810, 1080) for w in range(1, 6)]


def test_shipped_calendars(db):
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    always = Calendar.objects.get(name=cn.ALWAYS_OPEN)
    assert always.is_24x7 and china.cn_holidays and china.zone == "Asia/Shanghai"
    business = services.to_business_calendar(china)
    assert business.weekly[0] == ((540, 720), (810, 1080)) and business.weekly[5] == ()
    assert china.days.count() == len(cn.days())
    assert business.add(dt.datetime(2026, 2, 13, 17, tzinfo=SH), 61) == dt.datetime(2026, 2, 14, 9, 1, tzinfo=SH)
    assert services.to_business_calendar(always).add(dt.datetime(2026, 2, 17, tzinfo=SH), 90) == \
        dt.datetime(2026, 2, 17, 1, 30, tzinfo=SH)


def test_create_and_cache(world):
    calendar = services.create_calendar(actor=world.admin, name=" 北京 ", zone="Asia/Shanghai", periods=WEEKDAYS)
    assert calendar.name == "北京" and calendar.periods.count() == 10
    first = services.to_business_calendar(calendar)
    assert services.to_business_calendar(calendar) is first
    services.add_day(actor=world.admin, calendar=calendar, date="2026-03-02", kind="holiday", name="停电")
    calendar.refresh_from_db()
    second = services.to_business_calendar(calendar)
    assert second is not first and dt.date(2026, 3, 2) in second.holidays
    assert AuditEvent.objects.filter(object_type="sla.calendar", object_id=str(calendar.pk)).count() == 2


def test_one_query_per_table(world, django_assert_num_queries):
    calendar = services.create_calendar(actor=world.admin, name="q", periods=WEEKDAYS, cn_holidays=True)
    calendar.refresh_from_db()
    services._CACHE.clear()
    with django_assert_num_queries(2):
        services.to_business_calendar(calendar)


@pytest.mark.parametrize(("values", "field"), [
    ({"periods": [(1, 540, 720), (1, 700, 800)]}, "periods"),       # overlapping
    ({"periods": []}, "periods"),                                     # empty week
    ({"periods": [(1, 600, 540)]}, "periods"),                        # end before start
    ({"periods": [(8, 540, 600)]}, "periods"),                        # no such weekday
    ({"periods": WEEKDAYS, "zone": "Asia/Peking"}, "zone"),
    ({"periods": WEEKDAYS, "name": ""}, "name"),
    ({"periods": WEEKDAYS, "name": cn.ALWAYS_OPEN}, "name"),         # taken
])
def test_create_refuses(world, values, field):
    with pytest.raises(ValidationFailed) as error:
        services.create_calendar(actor=world.admin, **{"name": "x", **values})
    assert field in error.value.fields
    assert not Calendar.objects.filter(name="x").exists()


def test_only_administrators_write(world):
    with pytest.raises(Forbidden):
        services.create_calendar(actor=world.manager, name="x", periods=WEEKDAYS)
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    with pytest.raises(Forbidden):
        services.add_day(actor=world.agent, calendar=china, date="2026-03-02", kind="holiday")


def test_days(world):
    calendar = services.create_calendar(actor=world.admin, name="d", periods=WEEKDAYS)
    for date in ("2026-02-30", "2026-13-01", "yesterday"):
        with pytest.raises(ValidationFailed) as error:
            services.add_day(actor=world.admin, calendar=calendar, date=date, kind="holiday")
        assert "date" in error.value.fields
    with pytest.raises(ValidationFailed):
        services.add_day(actor=world.admin, calendar=calendar, date="2026-03-07", kind="party")
    with pytest.raises(ValidationFailed) as error:
        services.add_day(actor=world.admin, calendar=calendar, date="2026-03-07", kind="workday", as_weekday=6)
    assert "as_weekday" in error.value.fields  # Saturday has no periods to borrow
    services.add_day(actor=world.admin, calendar=calendar, date="2026-03-07", kind="workday", as_weekday=2)
    calendar.refresh_from_db()
    saturday = dt.datetime(2026, 3, 7, 17, tzinfo=SH)
    assert services.to_business_calendar(calendar).add(saturday, 60) == dt.datetime(2026, 3, 7, 18, tzinfo=SH)
    services.add_day(actor=world.admin, calendar=calendar, date="2026-03-07", kind="holiday")  # replaces
    assert calendar.days.get().kind == "holiday"
    services.remove_day(actor=world.admin, calendar=calendar, date="2026-03-07")
    with pytest.raises(NotFound):
        services.remove_day(actor=world.admin, calendar=calendar, date="2026-03-07")


def test_set_periods_and_update(world):
    calendar = services.create_calendar(actor=world.admin, name="p", periods=WEEKDAYS)
    services.set_periods(actor=world.admin, calendar=calendar, periods=[(6, dt.time(10), dt.time(0))])
    calendar.refresh_from_db()
    assert services.to_business_calendar(calendar).weekly[5] == ((600, 1440),)
    with pytest.raises(ValidationFailed):
        services.set_periods(actor=world.admin, calendar=calendar, periods=[])
    assert calendar.periods.count() == 1  # bad input changes nothing
    services.update_calendar(actor=world.admin, calendar=calendar, zone="Europe/Berlin", name="Berlin")
    with pytest.raises(ValidationFailed) as error:
        services.update_calendar(actor=world.admin, calendar=calendar, zone="Nowhere/City")
    assert "zone" in error.value.fields
    with pytest.raises(ValidationFailed):
        services.update_calendar(actor=world.admin, calendar=calendar, colour="red")
    calendar.refresh_from_db()
    assert services.to_business_calendar(calendar).zone == "Europe/Berlin"


def test_load_cn_holidays(world):
    calendar = services.create_calendar(actor=world.admin, name="cn", periods=WEEKDAYS)
    services.add_day(actor=world.admin, calendar=calendar, date="2026-10-08", kind="holiday", name="公司假日")
    services.add_day(actor=world.admin, calendar=calendar, date="2026-10-01", kind="workday", name="值班")
    loaded = services.load_cn_holidays(actor=world.admin, calendar=calendar)
    assert loaded == len(cn.days()) - 1  # the hand-entered 10-01 wins over the statutory holiday
    assert services.load_cn_holidays(actor=world.admin, calendar=calendar) == loaded  # idempotent
    calendar.refresh_from_db()
    assert calendar.cn_holidays
    business = services.to_business_calendar(calendar)
    first, last = cn.years()
    day = dt.date(first, 1, 1)
    while day.year <= last:
        if day not in (dt.date(2026, 10, 8), dt.date(2026, 10, 1)):
            assert bool(business.open_intervals(day)) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    assert business.open_intervals(dt.date(2026, 10, 1)) and not business.open_intervals(dt.date(2026, 10, 8))
    assert calendar.days.get(date=dt.date(2026, 2, 14)).name == "春节调休"
    services.update_calendar(actor=world.admin, calendar=calendar, cn_holidays=False)
    assert calendar.days.count() == 2


def test_ensure_standard_calendars_recreates(world):
    from loopdesk.sla.models import Policy

    Policy.objects.all().delete()  # the shipped policies use the shipped calendars
    Calendar.objects.filter(name__in=[cn.ALWAYS_OPEN, cn.CHINA_STANDARD]).delete()
    result = services.load_cn_holidays_everywhere(actor=world.admin)
    assert result == {cn.CHINA_STANDARD: len(cn.days())}
    assert Calendar.objects.get(name=cn.ALWAYS_OPEN).is_24x7


def test_calendar_named(db):
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    assert services.calendar_named(cn.CHINA_STANDARD) == china == services.calendar_named(str(china.pk))
    with pytest.raises(NotFound):
        services.calendar_named("nope")
