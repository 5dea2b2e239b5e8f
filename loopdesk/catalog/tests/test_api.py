"""The catalog router, called through ninja's test client (the main API mounts it at /api/v1/catalog and
turns the domain errors raised here into problem details)."""

import pytest
from ninja.testing import TestClient

from loopdesk.catalog.api import router
from loopdesk.catalog.models import Consumption, Contract
from loopdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

client = TestClient(router)

BODY = {"number": "HT-API-1", "level": "gold", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "overage": "approval", "entitlements": [{"product_code": "REMOTE", "quantity": 1, "period": "monthly"},
                                                {"product_code": "HOTLINE"}]}


def create(world, user=None, **kw):
    return client.post("/contracts", json={"company_id": world.acme.pk, **BODY, **kw}, user=user or world.manager)


def test_products(world):
    response = client.get("/products", user=world.agent)
    assert response.status_code == 200 and len(response.json()) == 9
    remote = next(p for p in response.json() if p["code"] == "REMOTE")
    assert (remote["price"], remote["unit"], remote["kind"]) == ("300.00", "session", "remote")


def test_contract_lifecycle(world):
    response = create(world, asset_id=world.acme_asset.pk, designated_engineer_id=world.engineer.pk)
    assert response.status_code == 201, response.json()
    contract = response.json()
    assert [e["product_code"] for e in contract["entitlements"]] == ["HOTLINE", "REMOTE"]
    hotline = contract["entitlements"][0]
    assert hotline["quantity"] is None and hotline["remaining"] is None
    listed = client.get("/contracts", query_params={"company_id": world.acme.pk}, user=world.agent).json()
    assert [c["number"] for c in listed["items"]] == ["HT-API-1"] and listed["next_cursor"] is None
    added = client.post(f"/contracts/{contract['id']}/entitlements",
                        json={"product_code": "ONSITE", "quantity": 2, "period": "quarterly"}, user=world.admin)
    assert added.status_code == 201 and len(added.json()["entitlements"]) == 3

    consume = {"company_id": world.acme.pk, "product_code": "REMOTE", "ref": "ticket:7", "on": "2026-06-01"}
    preview = client.post("/preview", json=consume, user=world.agent).json()
    assert preview["outcome"] == "consumed" and preview["balance"]["remaining"] == 1
    first = client.post("/consume", json=consume, user=world.agent).json()
    assert first["outcome"] == "consumed" and first["balance"]["remaining"] == 0
    second = client.post("/consume", json={**consume, "ref": "ticket:8"}, user=world.agent).json()
    assert second["outcome"] == "pending"
    with pytest.raises(Forbidden):
        client.post(f"/consumptions/{second['rows'][0]['id']}/approve", user=world.agent)
    approved = client.post(f"/consumptions/{second['rows'][0]['id']}/approve", user=world.manager).json()
    assert approved[0]["status"] == "approved"
    back = client.post("/give-back", json={"ref": "ticket:7"}, user=world.agent).json()
    assert [r["units"] for r in back] == [-1]
    detail = client.get(f"/contracts/{contract['id']}", query_params={"on": "2026-06-30"}, user=world.agent).json()
    remote = next(e for e in detail["entitlements"] if e["product_code"] == "REMOTE")
    assert (remote["used"], remote["overage"], remote["remaining"]) == (0, 1, 1)


def test_balances_and_query_count(world, django_assert_max_num_queries):
    create(world)
    create(world, number="HT-API-2")
    with django_assert_max_num_queries(6):
        page = client.get("/contracts", user=world.agent).json()
    assert len(page["items"]) == 2
    figures = client.get("/balances", query_params={"company_id": world.acme.pk, "product_code": "remote",
                                                    "on": "2026-06-01"},
                         user=world.agent).json()
    assert [(b["product_code"], b["remaining"]) for b in figures] == [("REMOTE", 1), ("REMOTE", 1)]
    with pytest.raises(NotFound):
        client.get("/balances", query_params={"company_id": world.acme.pk}, user=world.sh_agent)


def test_refusal_is_a_conflict_and_writes_nothing(world):
    create(world, overage="refuse")
    consume = {"company_id": world.acme.pk, "product_code": "REMOTE", "ref": "ticket:1", "units": 2, "on": "2026-06-01"}
    with pytest.raises(Conflict):
        client.post("/consume", json=consume, user=world.agent)
    assert not Consumption.objects.exists()


def test_bad_input(world):
    assert create(world, colour="red").status_code == 422
    assert create(world, level="platinum").status_code == 422
    assert create(world, entitlements=[{"product_code": "REMOTE", "quantity": -1}]).status_code == 422
    assert not Contract.objects.exists()
    with pytest.raises(ValidationFailed):
        client.get("/contracts", query_params={"cursor": "abc"}, user=world.agent)


def test_scoping(world):
    contract_id = create(world).json()["id"]
    for outsider in (world.sh_agent, world.other_partner_agent):
        assert client.get("/contracts", user=outsider).json()["items"] == []
        with pytest.raises(NotFound):
            client.get(f"/contracts/{contract_id}", user=outsider)
        with pytest.raises(NotFound):
            client.post("/consume", json={"contract_id": contract_id, "product_code": "REMOTE", "ref": "t:1"},
                        user=outsider)
    with pytest.raises(Forbidden):
        client.get("/contracts", user=world.other_customer)
    with pytest.raises(NotFound):
        create(world, user=world.sh_agent, number="HT-X")
