"""The staff customer pages: list, customer page, htmx forms; scoping, errors, languages, query counts."""

import importlib

import pytest
from django.urls import reverse

from loopdesk.core.models import AuditEvent, CustomField
from loopdesk.customers.models import Company, Contact, Site
from loopdesk.customers.services import add_serving_partner, create_company, create_site

HTMX = {"HTTP_HX_REQUEST": "true"}

# Query-count baselines (NetBox style): they must not grow with the number of rows shown.
BASELINE = {"list": 6, "detail": 8}  # the scope and custom field definitions come from per-process caches


def detail_url(company):
    return reverse("customers:detail", args=[company.pk])


def _ticket(world, **kw):
    # Tickets sit above customers in the layers; the test loads their service at run time, as the page
    # reads them through the reverse relation, so production code keeps the one-way dependency.
    tickets = importlib.import_module("loopdesk.tickets.services")
    return tickets.create_ticket(actor=world.agent, title=kw.pop("title", "凭证打印不出来"),
                                 description="打印时报错", company=world.acme, **kw)


# --- list -------------------------------------------------------------------------------------------

def test_list_shows_only_visible_customers(client, world):
    client.force_login(world.agent)
    html = client.get(reverse("customers:list")).content.decode()
    assert world.acme.name in html and world.globex.name not in html
    client.force_login(world.manager)
    html = client.get(reverse("customers:list")).content.decode()
    assert world.acme.name in html and world.globex.name in html


def test_list_filters(client, world):
    client.force_login(world.manager)
    url = reverse("customers:list")
    html = client.get(url, {"branch": world.shanghai.pk}).content.decode()
    assert world.globex.name in html and world.acme.name not in html
    html = client.get(url, {"q": "wang@acme.example"}).content.decode()
    assert world.acme.name in html and world.globex.name not in html
    html = client.get(url, {"vip": Company.Vip.GOLD}).content.decode()
    assert world.acme.name not in html and world.globex.name not in html


def test_list_branch_filter_includes_service_centres(client, world):
    centre_company = create_company(actor=world.admin, name="海淀客户", code="C100", org=world.haidian)
    client.force_login(world.manager)
    html = client.get(reverse("customers:list"), {"branch": world.beijing.pk}).content.decode()
    assert centre_company.name in html and world.acme.name in html


def test_list_branch_choices_follow_scope(client, world):
    client.force_login(world.sh_agent)
    response = client.get(reverse("customers:list"), {"branch": world.beijing.pk})
    assert world.acme.name not in response.content.decode()  # an invalid choice filters nothing in
    assert world.beijing.name not in response.content.decode()


def test_list_paginates_with_filters_kept(client, world):
    for i in range(55):
        create_company(actor=world.admin, name=f"北京客户{i:02d}", code=f"B{i:03d}", org=world.beijing)
    client.force_login(world.agent)
    html = client.get(reverse("customers:list"), {"q": "北京客户"}).content.decode()
    assert "?q=%E5%8C%97%E4%BA%AC%E5%AE%A2%E6%88%B7&amp;page=2" in html
    page2 = client.get(reverse("customers:list"), {"q": "北京客户", "page": 2}).content.decode()
    assert "北京客户54" in page2 and "北京客户00" not in page2


def test_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    client.force_login(world.agent)
    client.get(reverse("customers:list"))  # warm the session
    with django_assert_num_queries(BASELINE["list"]):
        client.get(reverse("customers:list"))
    for i in range(20):
        create_company(actor=world.admin, name=f"客户{i}", code=f"Q{i}", org=world.beijing)
    with django_assert_num_queries(BASELINE["list"]):
        assert client.get(reverse("customers:list")).status_code == 200


# --- detail -----------------------------------------------------------------------------------------

def test_detail_shows_the_whole_customer(client, world):
    CustomField.objects.create(target="customer", key="erp_id", label="ERP 编号")
    world.acme.custom_fields = {"erp_id": "E-42"}
    world.acme.save()
    site = create_site(actor=world.admin, company=world.acme, name="总部机房", city="北京", address="中关村大街1号")
    _ticket(world, title="凭证打印不出来")
    client.force_login(world.agent)
    response = client.get(detail_url(world.acme))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (world.acme.name, "C001", world.beijing.name, "王小明", "010-88886666", "wang@acme.example",
                 "U8", "16.5", "U8-0001", site.name, "中关村大街1号", "ERP 编号", "E-42", "凭证打印不出来"):
        assert text in html, text
    try:
        new_url = reverse("tickets:new")
    except Exception:
        new_url = None
    if new_url:
        assert f"{new_url}?company={world.acme.pk}" in html


@pytest.mark.parametrize("name", ["sh_agent", "other_partner_agent", "partner_agent", "customer", "other_customer"])
def test_detail_is_404_outside_scope(client, world, name):
    client.force_login(getattr(world, name))
    assert client.get(detail_url(world.acme)).status_code == 404


def test_partner_sees_a_customer_once_served(client, world):
    add_serving_partner(company=world.acme, partner=world.partner)
    client.force_login(world.partner_agent)
    html = client.get(detail_url(world.acme)).content.decode()
    assert world.acme.name in html
    assert reverse("customers:edit", args=[world.acme.pk]) not in html  # partners read, never edit


def test_detail_shows_only_tickets_the_user_may_see(client, world):
    _ticket(world, title="北京的工单")
    add_serving_partner(company=world.acme, partner=world.partner)
    client.force_login(world.partner_agent)
    assert "北京的工单" not in client.get(detail_url(world.acme)).content.decode()


def test_detail_query_count_does_not_grow(client, world, django_assert_num_queries):
    client.force_login(world.agent)
    client.get(detail_url(world.acme))
    with django_assert_num_queries(BASELINE["detail"]):
        client.get(detail_url(world.acme))
    for i in range(5):
        Contact.objects.create(company=world.acme, name=f"联系人{i}", phone=f"010-1234567{i}")
        create_site(actor=world.admin, company=world.acme, name=f"网点{i}")
        _ticket(world, title=f"工单{i}")
    client.get(detail_url(world.acme))  # warm again: saving contacts cleared the remembered scopes
    with django_assert_num_queries(BASELINE["detail"]):
        assert client.get(detail_url(world.acme)).status_code == 200


@pytest.mark.parametrize(("language", "texts"), [
    ("zh-hans", ["联系人", "装机", "最近工单", "客户编号"]),
    ("en", ["Contacts", "Installed base", "Recent tickets", "Customer code"]),
])
def test_pages_render_in_both_languages(client, world, language, texts):
    client.cookies["django_language"] = language
    client.force_login(world.agent)
    html = client.get(detail_url(world.acme)).content.decode()
    html += client.get(reverse("customers:list")).content.decode()
    html += client.get(reverse("customers:search"), {"q": "6666"}).content.decode()
    for text in texts:
        assert text in html, text


# --- forms ------------------------------------------------------------------------------------------

def _company_post(company, **changes):
    data = {"name": company.name, "code": company.code, "org": company.org_id, "vip_level": company.vip_level,
            "industry": company.industry, "region": company.region, "phone": company.phone,
            "designated_engineer": company.designated_engineer_id or "", "notes": company.notes}
    data.update(changes)
    return data


def test_edit_company_with_htmx_returns_the_refreshed_card(client, world):
    client.force_login(world.agent)
    url = reverse("customers:edit", args=[world.acme.pk])
    form = client.get(url, **HTMX)
    assert form.status_code == 200 and 'name="code"' in form.content.decode()
    assert form["HX-Retarget"] == "#company-form"
    response = client.post(url, _company_post(world.acme, vip_level=Company.Vip.GOLD, industry="制造业",
                                              designated_engineer=world.engineer.pk), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="company"' in html and "制造业" in html
    world.acme.refresh_from_db()
    assert (world.acme.vip_level, world.acme.industry, world.acme.designated_engineer) == (2, "制造业", world.engineer)
    assert AuditEvent.objects.filter(object_type="customers.company", object_id=str(world.acme.pk),
                                     action="update").exists()


def test_edit_company_without_htmx_redirects(client, world):
    client.force_login(world.agent)
    url = reverse("customers:edit", args=[world.acme.pk])
    assert "<html" in client.get(url).content.decode()
    response = client.post(url, _company_post(world.acme, region="华北"))
    assert response.status_code == 302 and response.url == detail_url(world.acme)
    world.acme.refresh_from_db()
    assert world.acme.region == "华北"


def test_duplicate_code_is_shown_inline_and_changes_nothing(client, world):
    client.force_login(world.manager)
    url = reverse("customers:edit", args=[world.acme.pk])
    response = client.post(url, _company_post(world.acme, code="C002", name="改名"), **HTMX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#company-form"
    assert "客户编号已被使用" in response.content.decode()
    world.acme.refresh_from_db()
    assert (world.acme.code, world.acme.name) == ("C001", "北京示例科技有限公司")
    response = client.post(url, _company_post(world.acme, code="C002"))
    assert response.status_code == 422


def test_custom_field_errors_are_shown_on_the_field(client, world):
    CustomField.objects.create(target="customer", key="seats", label="座席数", kind="number")
    client.force_login(world.agent)
    url = reverse("customers:edit", args=[world.acme.pk])
    response = client.post(url, _company_post(world.acme, cf_seats="很多", region="华北"), **HTMX)
    html = response.content.decode()
    assert "座席数" in html and "请输入数字" in html
    world.acme.refresh_from_db()
    assert world.acme.region == "" and world.acme.custom_fields == {}
    client.post(url, _company_post(world.acme, cf_seats="12"), **HTMX)
    world.acme.refresh_from_db()
    assert world.acme.custom_fields == {"seats": 12}


def test_cannot_move_a_customer_to_a_branch_outside_scope(client, world):
    client.force_login(world.agent)
    url = reverse("customers:edit", args=[world.acme.pk])
    response = client.post(url, _company_post(world.acme, org=world.shanghai.pk), **HTMX)
    assert "org" in response.content.decode() and response["HX-Retarget"] == "#company-form"
    world.acme.refresh_from_db()
    assert world.acme.org == world.beijing


@pytest.mark.parametrize("name", ["executive"])
def test_readers_may_not_edit(client, world, name):
    client.force_login(getattr(world, name))
    url = reverse("customers:edit", args=[world.acme.pk])
    response = client.post(url, _company_post(world.acme, name="篡改"))
    assert response.status_code == 403
    response = client.post(url, _company_post(world.acme, name="篡改"), **HTMX)
    assert "您无权修改客户资料" in response.content.decode()
    world.acme.refresh_from_db()
    assert world.acme.name == "北京示例科技有限公司"


def test_partner_may_not_add_contacts(client, world):
    add_serving_partner(company=world.acme, partner=world.partner)
    client.force_login(world.partner_agent)
    response = client.post(reverse("customers:contact_add", args=[world.acme.pk]), {"name": "外人"})
    assert response.status_code == 403
    assert not Contact.objects.filter(name="外人").exists()


@pytest.mark.parametrize("name", ["sh_agent", "other_partner_agent", "customer"])
def test_forms_are_404_outside_scope(client, world, name):
    client.force_login(getattr(world, name))
    for url in (reverse("customers:edit", args=[world.acme.pk]),
                reverse("customers:contact_add", args=[world.acme.pk]),
                reverse("customers:contact_edit", args=[world.acme.pk, world.acme_contact.pk]),
                reverse("customers:site_add", args=[world.acme.pk]),
                reverse("assets:add", args=[world.acme.pk])):
        assert client.post(url, {"name": "x"}).status_code == 404, url
    assert not Contact.objects.filter(name="x").exists() and not Site.objects.filter(name="x").exists()


def test_add_and_edit_contact(client, world):
    client.force_login(world.agent)
    response = client.post(reverse("customers:contact_add", args=[world.acme.pk]),
                           {"name": "赵六", "mobile": "139 0000 1111", "email": "zhao@acme.example"}, **HTMX)
    assert response.status_code == 200 and 'id="contacts"' in response.content.decode()
    contact = Contact.objects.get(name="赵六")
    assert contact.company == world.acme and contact.mobile_key == "13900001111"
    url = reverse("customers:contact_edit", args=[world.acme.pk, contact.pk])
    assert "赵六" in client.get(url, **HTMX).content.decode()
    client.post(url, {"name": "赵六", "title": "财务经理", "mobile": "13900001111", "is_primary": "on"}, **HTMX)
    contact.refresh_from_db()
    assert contact.title == "财务经理" and contact.is_primary and contact.email == ""


def test_contact_errors_change_nothing(client, world):
    client.force_login(world.agent)
    url = reverse("customers:contact_add", args=[world.acme.pk])
    response = client.post(url, {"name": "", "email": "not-an-email"}, **HTMX)
    html = response.content.decode()
    assert response["HX-Retarget"] == "#contacts-form" and "这个字段是必填项" in html and "有效的 Email 地址" in html
    assert world.acme.contacts.count() == 1
    # Another company's contact cannot be edited through this customer's page.
    other = reverse("customers:contact_edit", args=[world.acme.pk, world.globex_contact.pk])
    assert client.post(other, {"name": "x"}).status_code == 404


def test_add_site(client, world):
    client.force_login(world.agent)
    response = client.post(reverse("customers:site_add", args=[world.acme.pk]),
                           {"name": "亦庄工厂", "province": "北京", "city": "北京", "address": "科创街8号"}, **HTMX)
    assert response.status_code == 200 and "亦庄工厂" in response.content.decode()
    assert world.acme.sites.get().address == "科创街8号"


def test_add_asset(client, world):
    site = create_site(actor=world.admin, company=world.acme, name="机房")
    client.force_login(world.agent)
    url = reverse("assets:add", args=[world.acme.pk])
    assert "U8 16.5" in client.get(url, **HTMX).content.decode()
    response = client.post(url, {"product_version": world.u8_165.pk, "site": site.pk, "serial": "U8-0099",
                                 "licences": 20, "status": "active", "installed_on": "2026-03-01"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="assets"' in html and "U8-0099" in html
    asset = world.acme.assets.get(serial="U8-0099")
    assert asset.site == site and asset.licences == 20


def test_asset_at_another_customers_site_is_refused(client, world):
    foreign = create_site(actor=world.admin, company=world.globex, name="上海机房")
    client.force_login(world.manager)
    response = client.post(reverse("assets:add", args=[world.acme.pk]),
                           {"product_version": world.u8_165.pk, "site": foreign.pk, "licences": 1,
                            "status": "active"}, **HTMX)
    assert response["HX-Retarget"] == "#assets-form"
    assert world.acme.assets.count() == 1


def test_executive_sees_the_refusal_not_the_form(client, world):
    client.force_login(world.executive)
    response = client.get(reverse("customers:contact_add", args=[world.acme.pk]))
    html = response.content.decode()
    assert response.status_code == 403 and "您无权修改客户资料" in html and 'name="email"' not in html
    assert reverse("customers:contact_add", args=[world.acme.pk]) not in client.get(detail_url(world.acme)).content.decode()
