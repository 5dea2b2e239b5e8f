import datetime

import pytest
from django.urls import reverse

from loopdesk.catalog import services
from loopdesk.catalog.models import Consumption, Contract, Entitlement

pytestmark = pytest.mark.urls("loopdesk.catalog.tests.urls")
D = datetime.date
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, world, user):
    client.force_login(user)
    return client


def test_list_and_filters(client, world, contract):
    login(client, world, world.agent)
    page = client.get(reverse("catalog:contracts"))
    assert page.status_code == 200 and "HT-2026-001" in page.content.decode()
    assert "HT-2026-001" not in client.get(reverse("catalog:contracts"), {"level": "vip"}).content.decode()
    assert "HT-2026-001" in client.get(reverse("catalog:contracts"), {"q": "C001"}).content.decode()
    assert "HT-2026-001" in client.get(reverse("catalog:contracts"), {"company": world.acme.pk}).content.decode()


def test_detail_shows_balances_and_ledger(client, world, contract, django_assert_max_num_queries):
    services.update_contract(actor=world.admin, contract=contract, overage="approval")
    services.consume(actor=world.agent, contract=contract, product_code="REMOTE", ref="ticket:41", units=3,
                     on=D(2026, 3, 2))
    login(client, world, world.manager)
    url = reverse("catalog:contract", args=[contract.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url, {"on": "2026-03-15"})
    html = page.content.decode()
    assert page.status_code == 200 and "ticket:41" in html and "2026-03-01" in html
    assert reverse("catalog:decide", args=[Consumption.objects.get().pk, "approve"]) in html


def test_manager_approves_from_the_page(client, world, contract):
    services.update_contract(actor=world.admin, contract=contract, overage="approval")
    row = services.consume(actor=world.agent, contract=contract, product_code="REMOTE", ref="ticket:1", units=3,
                           on=D(2026, 3, 2)).rows[0]
    login(client, world, world.agent)
    client.post(reverse("catalog:decide", args=[row.pk, "approve"]))
    row.refresh_from_db()
    assert row.status == "pending"  # agents may not approve
    login(client, world, world.manager)
    client.post(reverse("catalog:decide", args=[row.pk, "approve"]))
    row.refresh_from_db()
    assert row.status == "consumed"  # the 2 included units were still free: consumed, 1 approved overage


def test_outsiders_get_404(client, world, contract):
    for outsider in (world.sh_agent, world.other_partner_agent, world.other_customer, world.customer):
        login(client, world, outsider)
        assert client.get(reverse("catalog:contract", args=[contract.pk])).status_code == 404
        assert "HT-2026-001" not in client.get(reverse("catalog:contracts")).content.decode()


def test_add_contract_form(client, world):
    login(client, world, world.admin)
    url = reverse("catalog:contract_add")
    values = {"company_code": "C001", "number": "HT-NEW", "level": "vip", "starts_on": "2026-01-01",
              "ends_on": "2026-12-31", "overage": "charge"}
    bad = client.post(url, {**values, "ends_on": "2025-01-01"})
    assert bad.status_code == 422 and "结束日期不能早于开始日期" in bad.content.decode()
    unknown = client.post(url, {**values, "company_code": "C002X"})
    assert unknown.status_code == 422 and not Contract.objects.exists()
    response = client.post(url, values)
    contract = Contract.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("catalog:contract", args=[contract.pk])


def test_add_contract_refused_for_agents_and_outside_scope(client, world):
    login(client, world, world.agent)
    assert client.get(reverse("catalog:contract_add")).status_code == 403
    login(client, world, world.manager)
    # A manager at headquarters sees globex; an agent in Shanghai would not find C001.
    login(client, world, world.sh_agent)
    response = client.post(reverse("catalog:contract_add"), {"company_code": "C001"})
    assert response.status_code == 403 and not Contract.objects.exists()


def test_add_entitlement_htmx(client, world, contract):
    login(client, world, world.manager)
    url = reverse("catalog:entitlement_add", args=[contract.pk])
    form = client.get(url, **HTMX)
    assert form.status_code == 200 and 'name="product_code"' in form.content.decode()
    duplicate = client.post(url, {"product_code": "REMOTE", "quantity": "1", "period": "monthly"}, **HTMX)
    assert duplicate.status_code == 200 and "该合同已包含此服务产品" in duplicate.content.decode()
    assert duplicate["HX-Retarget"] == "#entitlements-form"
    count = Entitlement.objects.count()
    added = client.post(url, {"product_code": "SATURDAY", "quantity": "", "period": "yearly"}, **HTMX)
    assert added.status_code == 200 and 'id="entitlements"' in added.content.decode()
    assert Entitlement.objects.count() == count + 1


def test_company_balances_fragment(client, world, contract, django_assert_max_num_queries):
    services.consume(actor=world.agent, contract=contract, product_code="REMOTE", ref="ticket:1", on=D(2026, 3, 2))
    login(client, world, world.agent)
    url = reverse("catalog:company_balances", args=[world.acme.pk]) + "?on=2026-03-20"
    with django_assert_max_num_queries(8):
        fragment = client.get(url, **HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "HT-2026-001" in html and "<html" not in html
    assert client.get(url).status_code == 200
    login(client, world, world.sh_agent)
    assert client.get(url).status_code == 404


def test_list_query_count(client, world, contract, django_assert_max_num_queries):
    for n in range(5):
        services.create_contract(actor=world.admin, company=world.acme, number=f"HT-{n}", starts_on=D(2026, 1, 1),
                                 ends_on=D(2026, 12, 31))
    login(client, world, world.agent)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("catalog:contracts")).status_code == 200
