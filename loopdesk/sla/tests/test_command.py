"""`loopdesk sla …` as an operator uses it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from loopdesk.sla import cn
from loopdesk.sla.models import Calendar

pytestmark = pytest.mark.django_db


def sla(*args: str) -> str:
    out = StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue()


def test_due():
    china = cn.CHINA_STANDARD
    assert sla("due", "--calendar", china, "--start", "2026-02-13T17:00:00+08:00", "--minutes", "61") == \
        "2026-02-14T09:01:00+08:00\n"
    assert sla("due", "--calendar", china, "--start", "2026-02-13T09:00:00Z", "--minutes", "60") == \
        "2026-02-13T18:00:00+08:00\n"  # UTC in, the calendar's zone out
    assert sla("due", "--calendar", china, "--start", "2026-03-02T09:00", "--minutes", "60",
               "--pause", "2026-03-02T09:30/2026-03-02T10:00", "--pause", "2026-03-02T10:15+08:00/2026-03-02T10:30+08:00") == \
        "2026-03-02T10:45:00+08:00\n"
    assert sla("due", "--calendar", cn.ALWAYS_OPEN, "--start", "2026-02-17T03:00+08:00", "--minutes", "0") == \
        "2026-02-17T03:00:00+08:00\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--calendar", "nope", "--start", "2026-03-02T09:00", "--minutes", "1"], "nope"),
    (["--calendar", cn.ALWAYS_OPEN, "--start", "2026-02-30T09:00", "--minutes", "1"], "--start"),
    (["--calendar", cn.ALWAYS_OPEN, "--start", "2026-03-02T09:00", "--minutes", "-1"], "minutes"),
    (["--calendar", cn.ALWAYS_OPEN, "--start", "2026-03-02T09:00", "--minutes", "1", "--pause", "x"], "--pause"),
    (["--calendar", cn.ALWAYS_OPEN, "--start", "2026-03-02T09:00", "--minutes", "1",
      "--pause", "2026-03-02T10:00/2026-03-02T09:00"], "pauses"),
])
def test_due_errors(args, message):
    with pytest.raises(CommandError, match=message):
        sla("due", *args)


def test_calendar_create_update_list():
    out = sla("calendar", "上海", "--zone", "Asia/Shanghai", "--hours", "09:00-12:00,13:30-18:00", "--days", "1-5",
              "--cn-holidays")
    assert "上海" in out and "09:00–12:00, 13:30–18:00" in out
    calendar = Calendar.objects.get(name="上海")
    assert calendar.cn_holidays and calendar.days.count() == len(cn.days())
    sla("calendar", "上海", "--zone", "Europe/Berlin", "--hours", "08:00-24:00", "--days", "6-7")
    calendar.refresh_from_db()
    assert calendar.zone == "Europe/Berlin" and calendar.periods.count() == 2
    assert sla("due", "--calendar", "上海", "--start", "2026-03-07T23:00+01:00", "--minutes", "61") == \
        "2026-03-08T08:01:00+01:00\n"
    listing = sla("calendars")
    assert "上海" in listing and cn.ALWAYS_OPEN in listing and cn.CHINA_STANDARD in listing


@pytest.mark.parametrize(("args", "message"), [
    (["x", "--hours", "09:00-12:00,11:00-13:00", "--days", "1-5"], "重叠"),  # commands speak LANGUAGE_CODE
    (["x", "--hours", "9-12", "--days", "1-5"], "hours"),
    (["x", "--hours", "09:00-12:00", "--days", "0-5"], "days"),
    (["x", "--hours", "09:00-12:00"], "--days"),
    (["x", "--zone", "Mars/Base", "--hours", "09:00-12:00", "--days", "1-5"], "zone"),
    (["x"], "--hours"),
])
def test_calendar_errors(args, message):
    with pytest.raises(CommandError, match=message):
        sla("calendar", *args)
    assert not Calendar.objects.filter(name="x").exists()


def test_load_cn_holidays():
    Calendar.objects.get(name=cn.CHINA_STANDARD).days.all().delete()
    out = sla("load-cn-holidays")
    assert f"{len(cn.days())} 个法定日期" in out and cn.package_version() in out
    assert Calendar.objects.get(name=cn.CHINA_STANDARD).days.count() == len(cn.days())


def test_exit_status_from_the_command_line():
    # CommandError exits non-zero when run as `loopdesk sla …`.
    with pytest.raises(SystemExit) as exit_:
        from django.core.management import ManagementUtility
        ManagementUtility(["loopdesk", "sla", "due", "--calendar", "nope", "--start", "x", "--minutes", "1"]).execute()
    assert exit_.value.code != 0


def test_errors_are_translated(settings):
    # Management commands run in settings.LANGUAGE_CODE.
    with pytest.raises(CommandError, match="没有名为“nope”的日历"):
        sla("due", "--calendar", "nope", "--start", "2026-03-02T09:00", "--minutes", "1")
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(CommandError, match="There is no calendar “nope”"):
        sla("due", "--calendar", "nope", "--start", "2026-03-02T09:00", "--minutes", "1")
