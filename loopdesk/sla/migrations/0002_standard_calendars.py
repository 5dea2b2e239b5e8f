"""The shipped calendars: "24×7" and the China standard one, with China's statutory days as the
installed chinese-calendar package lists them (`loopdesk sla load-cn-holidays` reloads them later)."""

import datetime as dt

from django.db import migrations

from loopdesk.sla import cn


def create(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    WorkingPeriod = apps.get_model("sla", "WorkingPeriod")
    CalendarDay = apps.get_model("sla", "CalendarDay")
    Calendar.objects.get_or_create(name=cn.ALWAYS_OPEN, defaults={"zone": "Asia/Shanghai", "is_24x7": True})
    china, created = Calendar.objects.get_or_create(
        name=cn.CHINA_STANDARD, defaults={"zone": "Asia/Shanghai", "cn_holidays": True})
    if not created:
        return
    WorkingPeriod.objects.bulk_create([
        WorkingPeriod(calendar=china, weekday=w, start=dt.time(s // 60, s % 60), end=dt.time(e // 60, e % 60))
        for w in cn.STANDARD_DAYS for s, e in cn.STANDARD_HOURS
    ])
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=china, date=day, kind=kind, name=name, source="cn") for day, kind, name in cn.days()],
        batch_size=500,
    )


def remove(apps, schema_editor):
    apps.get_model("sla", "Calendar").objects.filter(name__in=[cn.ALWAYS_OPEN, cn.CHINA_STANDARD]).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_calendars")]

    operations = [migrations.RunPython(create, remove)]
