"""Companies, contacts, sites, assets and the read-only lookups."""

from __future__ import annotations

from loopdesk.core.models import AuditEvent
from loopdesk.customers.models import Company


def test_company_search_detail_create_patch(world, as_user):
    c = as_user(world.agent)
    names = [x["name"] for x in c.get("/companies").json()["items"]]
    assert names == ["北京示例科技有限公司"]  # the Beijing agent serves Acme only
    m = as_user(world.manager)
    assert {x["id"] for x in m.get("/companies", {"q": "88886666"}).json()["items"]} == {world.acme.pk}
    assert {x["id"] for x in m.get("/companies", {"q": "li@globex.example"}).json()["items"]} == {
        world.globex.pk
    }
    assert {x["id"] for x in m.get("/companies", {"q": "环球"}).json()["items"]} == {world.globex.pk}
    detail = c.get(f"/companies/{world.acme.pk}").json()
    assert detail["org"] == {"id": world.beijing.pk, "name": "北京分公司"}
    r = c.post(
        "/companies", {"name": "北京新客户", "code": "C100", "org_id": world.beijing.pk, "vip_level": 2}
    )
    assert r.status_code == 201, r.content
    new = r.json()
    assert (
        new["vip_level"] == 2
        and AuditEvent.objects.filter(object_type="customers.company", action="create").exists()
    )
    r = c.patch(
        f"/companies/{new['id']}", {"phone": "010-12345678", "designated_engineer_id": world.engineer.pk}
    )
    assert r.status_code == 200 and r.json()["designated_engineer"]["id"] == world.engineer.pk
    r = c.patch(f"/companies/{new['id']}", {"designated_engineer_id": world.customer.pk})
    assert r.status_code == 422 and "designated_engineer_id" in r.json()["errors"]
    # a branch may not create customers for another branch, nor re-use a code
    r = c.post("/companies", {"name": "x", "code": "C101", "org_id": world.shanghai.pk})
    assert r.status_code == 422 and "org_id" in r.json()["errors"]
    r = c.post("/companies", {"name": "x", "code": "C001", "org_id": world.beijing.pk})
    assert r.status_code == 422 and "code" in r.json()["errors"]
    assert c.patch(f"/companies/{new['id']}", {"name": "  "}).status_code == 422
    assert as_user(world.customer).patch(f"/companies/{world.acme.pk}", {"phone": "1"}).status_code == 403
    assert as_user(world.customer).get(f"/companies/{world.acme.pk}").json()["notes"] == ""


def test_company_pages(world, as_user):
    for i in range(5):
        Company.objects.create(name=f"客户{i}", code=f"K{i}", org=world.beijing)
    c = as_user(world.manager)
    seen, cursor = [], None
    while True:
        page = c.get("/companies", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [x["name"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(Company.objects.values_list("name", flat=True)) and len(seen) == 7


def test_contacts(world, as_user):
    c = as_user(world.agent)
    r = c.post(
        "/contacts",
        {"company_id": world.acme.pk, "name": "张三", "mobile": "13900000000", "email": "zhang@acme.example"},
    )
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert c.get(f"/contacts/{cid}").json()["company"]["id"] == world.acme.pk
    assert c.patch(f"/contacts/{cid}", {"title": "财务经理"}).json()["title"] == "财务经理"
    assert {x["id"] for x in c.get("/contacts", {"q": "张三"}).json()["items"]} == {cid}
    assert {x["id"] for x in c.get("/contacts", {"company_id": world.acme.pk}).json()["items"]} == {
        cid,
        world.acme_contact.pk,
    }
    r = c.post("/contacts", {"company_id": world.globex.pk, "name": "x"})
    assert r.status_code == 422 and "company_id" in r.json()["errors"]
    r = c.post("/contacts", {"company_id": world.acme.pk, "name": "x", "email": "not-an-email"})
    assert r.status_code == 422 and "email" in r.json()["errors"]


def test_sites(world, as_user):
    c = as_user(world.agent)
    r = c.post(
        "/sites", {"company_id": world.acme.pk, "name": "总部机房", "city": "北京", "address": "海淀区"}
    )
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert c.patch(f"/sites/{sid}", {"address": "朝阳区"}).json()["address"] == "朝阳区"
    assert c.get(f"/sites/{sid}").json()["city"] == "北京"
    assert [x["id"] for x in c.get("/sites").json()["items"]] == [sid]


def test_assets(world, as_user):
    c = as_user(world.agent)
    v13 = world.u8.versions.get(version="13.0")
    r = c.post(
        "/assets",
        {
            "company_id": world.acme.pk,
            "product_version_id": v13.pk,
            "serial": "U8-9",
            "installed_on": "2024-05-01",
            "licences": 20,
        },
    )
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    assert r.json()["product"]["name"] == "U8" and r.json()["product_version"]["version"] == "13.0"
    r = c.patch(f"/assets/{aid}", {"product_version_id": world.u8_165.pk, "status": "retired"})
    assert r.status_code == 200 and r.json()["status"] == "retired"
    assert {x["id"] for x in c.get("/assets", {"q": "U8-9"}).json()["items"]} == {aid}
    assert c.get(f"/assets/{world.acme_asset.pk}").status_code == 200
    r = c.post("/assets", {"company_id": world.acme.pk, "product_version_id": 999999})
    assert r.status_code == 422 and "product_version_id" in r.json()["errors"]


def test_lookups(world, as_user):
    c = as_user(world.agent)
    products = c.get("/products").json()["items"]
    assert products[0]["name"] == "U8" and {v["version"] for v in products[0]["versions"]} == {"13.0", "16.5"}
    cats = c.get("/categories").json()["items"]
    assert {x["full_name"] for x in cats} == {"财务", "财务 › 凭证打印"}
    orgs = {x["code"] for x in c.get("/organisations").json()["items"]}
    assert orgs == {"bj", "bj-hd", "p-hx", "p-yf"}  # own subtree plus partners it may dispatch to
    assert [g["name"] for g in c.get("/groups").json()["items"]] == ["北京一线"]
    assert (
        c.get("/organisations").json()["items"]
        and not as_user(world.customer).get("/organisations").json()["items"]
    )
    assert not as_user(world.customer).get("/groups").json()["items"]
    assert {x["code"] for x in as_user(world.partner_agent).get("/organisations").json()["items"]} == {"p-hx"}


def test_lookup_query_counts(world, as_user, django_assert_max_num_queries):
    c = as_user(world.manager)
    for path in (
        "/products",
        "/categories",
        "/organisations",
        "/groups",
        "/companies",
        "/contacts",
        "/sites",
        "/assets",
    ):
        c.get(path)
        with django_assert_max_num_queries(6):
            assert c.get(path).status_code == 200
