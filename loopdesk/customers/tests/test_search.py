"""The hotline's one-box customer search: what it finds, for whom, and that phone/e-mail use indexes."""

import pytest
from django.db import connection
from django.urls import reverse

from loopdesk.customers.models import Company, Contact, find_customers, phone_key
from loopdesk.customers.services import add_serving_partner, create_contact

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(("raw", "key"), [
    ("010-88886666", "1088886666"),
    ("(010) 8888 6666", "1088886666"),
    ("+86 10 8888-6666", "1088886666"),
    ("0086 10 88886666", "1088886666"),
    ("13800138000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("", ""),
])
def test_phone_key_normalises_chinese_numbers(raw, key):
    assert phone_key(raw) == key


def _names(user, q):
    return [h.company.name for h in find_customers(user, q)]


@pytest.mark.parametrize("q", [
    "北京示例",  # part of the company name
    "c001", "C001",  # customer code, any case
    "王小明",  # contact name
    "010-88886666", "01088886666", "+86 10 8888 6666",  # the full number, however the caller id writes it
    "010-8888", "6666",  # first or last digits
    "WANG@acme.example",  # e-mail, any case
])
def test_search_finds_acme(world, q):
    assert _names(world.manager, q) == ["北京示例科技有限公司"]


def test_search_by_mobile_and_marks_exact_hits(world):
    hits = find_customers(world.manager, "138 0013 8000")
    assert [h.company for h in hits] == [world.globex]
    assert hits[0].exact and hits[0].contacts == [world.globex_contact]
    assert not find_customers(world.manager, "8000")[0].exact  # a few digits are a lead, not an identification


def test_search_misses(world):
    assert find_customers(world.manager, "不存在的公司") == []
    assert find_customers(world.manager, "nobody@acme.example") == []
    assert find_customers(world.manager, "12") == []  # too few digits to mean anything
    assert find_customers(world.manager, "   ") == []


def test_search_follows_phone_changes(world):
    from loopdesk.customers.services import update_contact

    update_contact(actor=world.admin, contact=world.acme_contact, phone="021-55550000")
    assert _names(world.manager, "021-55550000") == [world.acme.name]
    assert _names(world.manager, "010-88886666") == []


def test_search_is_scoped(world):
    assert _names(world.agent, "C002") == []  # Shanghai's customer is not Beijing's
    assert _names(world.sh_agent, "王小明") == []
    assert _names(world.sh_agent, "13800138000") == [world.globex.name]
    assert _names(world.partner_agent, "王小明") == []
    assert _names(world.other_partner_agent, "C001") == []
    add_serving_partner(company=world.acme, partner=world.partner)
    assert _names(world.partner_agent, "王小明") == [world.acme.name]
    assert _names(world.other_partner_agent, "王小明") == []


def test_company_search_queryset_uses_the_same_rules(world):
    assert list(Company.objects.search("wang@ACME.example")) == [world.acme]
    assert list(Company.objects.search("88886666")) == [world.acme]
    assert set(Company.objects.search("有限公司")) == {world.acme, world.globex}


def test_vip_and_exact_hits_rank_first(world):
    from loopdesk.customers.services import update_company

    update_company(actor=world.admin, company=world.globex, vip_level=Company.Vip.GOLD)
    assert _names(world.manager, "有限公司") == [world.globex.name, world.acme.name]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")  # tiny test tables: ask whether an index *can* serve
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    return plan


@pytest.mark.parametrize("q", ["13800138000", "010-8888", "6666", "li@GLOBEX.example"])
def test_phone_and_email_lookups_use_indexes(world, q):
    plan = _plan(Contact.objects.matching(q).values("pk"))
    assert "index" in plan.lower(), plan
    assert "SCAN customers_contact" not in plan and "Seq Scan" not in plan, plan


def test_search_view_htmx_returns_results_fragment(client, world):
    client.force_login(world.agent)
    response = client.get(reverse("customers:search"), {"q": "6666"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert world.acme.name in html and "010-88886666" in html and "wang@acme.example" in html
    assert world.beijing.name in html  # serving branch


def test_search_view_full_page_and_exact_hit_goes_to_customer(client, world):
    client.force_login(world.agent)
    response = client.get(reverse("customers:search"), {"q": "6666"})
    assert response.status_code == 200 and "<html" in response.content.decode()
    response = client.get(reverse("customers:search"), {"q": "01088886666"})
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[world.acme.pk])
    response = client.get(reverse("customers:search"), {"q": "c001"})
    assert response.url == reverse("customers:detail", args=[world.acme.pk])
    # htmx never redirects: the box shows the hit in place.
    assert client.get(reverse("customers:search"), {"q": "c001"}, **HTMX).status_code == 200


def test_search_view_empty_and_no_match(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("customers:search")).status_code == 200
    html = client.get(reverse("customers:search"), {"q": "C002"}, **HTMX).content.decode()
    assert world.globex.name not in html


@pytest.mark.parametrize("name", ["customer", "other_customer"])
def test_search_view_is_not_for_customers(client, world, name):
    client.force_login(getattr(world, name))
    assert client.get(reverse("customers:search"), {"q": "王小明"}).status_code == 404


def test_search_view_needs_sign_in(client, db):
    response = client.get(reverse("customers:search"), {"q": "x"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_many_contacts_of_one_company_group_into_one_hit(world):
    for i in range(5):
        create_contact(actor=world.admin, company=world.acme, name=f"张{i}", phone=f"010-6000000{i}")
    hits = find_customers(world.manager, "010-6000")
    assert len(hits) == 1 and len(hits[0].contacts) == 3


def test_history_restore_gets_the_full_page(client, world):
    client.force_login(world.agent)
    response = client.get(reverse("customers:search"), {"q": "6666"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_contacts_and_sites_querysets_are_scoped(world):
    from loopdesk.customers.models import Site

    create_contact(actor=world.admin, company=world.globex, name="上海联系人")
    assert set(Contact.objects.visible_to(world.manager)) == set(Contact.objects.all())
    assert "上海联系人" not in {c.name for c in Contact.objects.visible_to(world.agent)}
    assert not Site.objects.visible_to(world.other_partner_agent).exists()
