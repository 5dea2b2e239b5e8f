"""The calendar admin: inline periods and days, validated like the services."""

from __future__ import annotations

import pytest
from django.test import Client

from loopdesk.sla import cn, services
from loopdesk.sla.models import Calendar


def form(name: str, zone: str, periods: list[tuple[int, str, str]]) -> dict:
    data = {"name": name, "zone": zone, "active": "on",
            "periods-TOTAL_FORMS": str(len(periods)), "periods-INITIAL_FORMS": "0",
            "days-TOTAL_FORMS": "1", "days-INITIAL_FORMS": "0",
            "days-0-date": "2026-03-02", "days-0-kind": "holiday", "days-0-name": "停电"}
    for i, (weekday, start, end) in enumerate(periods):
        data |= {f"periods-{i}-weekday": str(weekday), f"periods-{i}-start": start, f"periods-{i}-end": end}
    return data


@pytest.fixture
def admin_client(world):
    client = Client()
    client.force_login(world.admin)
    return client


def test_changelist_and_change_page(admin_client):
    assert admin_client.get("/admin/sla/calendar/").status_code == 200
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    assert admin_client.get(f"/admin/sla/calendar/{china.pk}/change/").status_code == 200


def test_add_with_inlines(admin_client):
    response = admin_client.post("/admin/sla/calendar/add/", form("深圳", "Asia/Shanghai", [(1, "09:00", "18:00")]))
    assert response.status_code == 302, response.content.decode()[:2000]
    calendar = Calendar.objects.get(name="深圳")
    business = services.to_business_calendar(calendar)
    assert business.weekly[0] == ((540, 1080),) and len(business.holidays) == 1


@pytest.mark.parametrize(("zone", "periods"), [
    ("Asia/Shanghai", [(1, "09:00", "12:00"), (1, "11:00", "13:00")]),  # overlap
    ("Asia/Shanghai", []),                                            # empty week
    ("Asia/Shanghai", [(1, "12:00", "09:00")]),                       # end before start
    ("Mars/Base", [(1, "09:00", "18:00")]),                           # unknown zone
])
def test_add_refuses(admin_client, zone, periods):
    response = admin_client.post("/admin/sla/calendar/add/", form("坏", zone, periods))
    assert response.status_code == 200 and not Calendar.objects.filter(name="坏").exists()


def test_holiday_cannot_borrow_a_weekday(admin_client):
    data = form("坏", "Asia/Shanghai", [(1, "09:00", "18:00")]) | {"days-0-as_weekday": "1"}
    response = admin_client.post("/admin/sla/calendar/add/", data)
    assert response.status_code == 200 and not Calendar.objects.filter(name="坏").exists()
