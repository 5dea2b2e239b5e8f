"""The calendar endpoints, through the real API (mounted at /api/v1/sla)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from loopdesk.accounts.services import issue_token
from loopdesk.sla import cn
from loopdesk.sla.models import Calendar

PREFIX = "/api/v1/sla"


@pytest.fixture
def call(world):
    def make(user):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user)}")

        def request(method: str, url: str, body=None):
            if method == "get":
                return client.get(PREFIX + url)
            return client.post(PREFIX + url, json.dumps(body or {}), content_type="application/json")
        return request

    return make


def test_list_and_detail(world, call):
    response = call(world.agent)("get", "/calendars")
    assert response.status_code == 200, response.content
    names = {c["name"]: c for c in response.json()}
    china = names[cn.CHINA_STANDARD]
    assert {"weekday": 1, "start": "09:00", "end": "12:00"} in china["periods"]
    detail = call(world.agent)("get", f"/calendars/{china['id']}").json()
    assert {"date": "2026-02-14", "kind": "workday", "name": "春节调休", "as_weekday": None, "source": "cn"} in detail["days"]
    assert call(world.agent)("get", "/calendars/999999").status_code == 404


def test_due(world, call):
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    response = call(world.agent)("post", f"/calendars/{china.pk}/due", {
        "start": "2026-02-13T09:00:00Z", "minutes": 61,
        "pauses": [{"from": "2026-02-14T09:00:00+08:00", "to": "2026-02-14T09:30:00+08:00"}]})
    assert response.status_code == 200, response.content
    assert response.json() == {"due": "2026-02-14T09:31:00+08:00", "calendar": china.pk, "zone": "Asia/Shanghai"}


@pytest.mark.parametrize(("body", "field"), [
    ({"start": "2026-02-30T09:00:00Z", "minutes": 1}, "start"),
    ({"start": "2026-02-13T09:00:00", "minutes": 1}, "start"),
    ({"start": "2026-02-13T09:00:00Z", "minutes": -1}, "minutes"),
    ({"start": "2026-02-13T09:00:00Z", "minutes": 1,
      "pauses": [{"from": "2026-02-14T10:00:00Z", "to": "2026-02-14T09:00:00Z"}]}, "pauses"),
])
def test_due_refuses(world, call, body, field):
    china = Calendar.objects.get(name=cn.CHINA_STANDARD)
    response = call(world.agent)("post", f"/calendars/{china.pk}/due", body)
    assert response.status_code == 422
    problem = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in problem["errors"], problem


def test_create(world, call):
    body = {"name": "广州", "zone": "Asia/Shanghai",
            "periods": [{"weekday": w, "start": "08:30", "end": "17:30"} for w in range(1, 7)]}
    assert call(world.manager)("post", "/calendars", body).status_code == 403
    response = call(world.admin)("post", "/calendars", body)
    assert response.status_code == 201, response.content
    assert response.json()["periods"][0] == {"weekday": 1, "start": "08:30", "end": "17:30"}
    again = call(world.admin)("post", "/calendars", body)
    assert again.status_code == 422 and "name" in again.json()["errors"]


@pytest.mark.parametrize(("change", "field"), [
    ({"periods": [{"weekday": 1, "start": "09:00", "end": "12:00"}, {"weekday": 1, "start": "11:00", "end": "13:00"}]},
     "periods"),
    ({"periods": []}, "periods"),
    ({"periods": [{"weekday": 1, "start": "09:00", "end": "25:00"}]}, "periods.0.end"),
    ({"periods": [{"weekday": 8, "start": "09:00", "end": "10:00"}]}, "periods.0.weekday"),
    ({"zone": "Mars/Base", "periods": [{"weekday": 1, "start": "09:00", "end": "10:00"}]}, "zone"),
])
def test_create_refuses(world, call, change, field):
    response = call(world.admin)("post", "/calendars", {"name": "x", **change})
    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
    assert not Calendar.objects.filter(name="x").exists()
