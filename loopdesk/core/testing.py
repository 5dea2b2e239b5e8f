"""A small but complete service network for tests: two branches, a service centre, two partners,
a user per role, two customer companies with portal contacts, products, assets and categories."""

from __future__ import annotations

from types import SimpleNamespace

PASSWORD = "loopdesk-test-pw"


def build_world() -> SimpleNamespace:
    from loopdesk.accounts.models import Group
    from loopdesk.accounts.roles import Role
    from loopdesk.accounts.services import create_user
    from loopdesk.assets.services import create_asset, create_product
    from loopdesk.customers.services import create_company, create_contact
    from loopdesk.orgs.models import Organization
    from loopdesk.orgs.services import create_organization
    from loopdesk.tickets.models import Category

    K = Organization.Kind
    w = SimpleNamespace(password=PASSWORD)
    w.hq = create_organization(name="总部", code="hq", kind=K.HEADQUARTERS)
    w.beijing = create_organization(name="北京分公司", code="bj", kind=K.BRANCH, parent=w.hq)
    w.haidian = create_organization(name="海淀服务中心", code="bj-hd", kind=K.SERVICE_CENTRE, parent=w.beijing)
    w.shanghai = create_organization(name="上海分公司", code="sh", kind=K.BRANCH, parent=w.hq)
    w.partner = create_organization(name="华信伙伴", code="p-hx", kind=K.PARTNER, parent=w.hq)
    w.other_partner = create_organization(name="远方伙伴", code="p-yf", kind=K.PARTNER, parent=w.hq)

    def user(name: str, org, role: str, **kw):
        return create_user(username=name, password=PASSWORD, display_name=name, memberships=[(org, role)], **kw)

    w.admin = create_user(username="admin", password=PASSWORD, is_superuser=True)
    w.manager = user("manager", w.hq, Role.MANAGER)
    w.executive = user("executive", w.hq, Role.EXECUTIVE)
    w.agent = user("agent", w.beijing, Role.AGENT)
    w.engineer = user("engineer", w.haidian, Role.ENGINEER)
    w.sh_agent = user("sh_agent", w.shanghai, Role.AGENT)
    w.partner_agent = user("partner", w.partner, Role.PARTNER_AGENT)
    w.other_partner_agent = user("other_partner", w.other_partner, Role.PARTNER_AGENT)
    w.group = Group.objects.create(name="北京一线", organization=w.beijing)
    w.group.members.add(w.agent, w.engineer)

    w.acme = create_company(actor=w.admin, name="北京示例科技有限公司", code="C001", org=w.beijing)
    w.globex = create_company(actor=w.admin, name="上海环球贸易有限公司", code="C002", org=w.shanghai)
    w.customer = create_user(username="customer", password=PASSWORD, display_name="王小明",
                             memberships=[(None, Role.CUSTOMER)])
    w.acme_contact = create_contact(actor=w.admin, company=w.acme, name="王小明", phone="010-88886666",
                                    email="wang@acme.example", user=w.customer)
    w.other_customer = create_user(username="other_customer", password=PASSWORD, display_name="李雷",
                                   memberships=[(None, Role.CUSTOMER)])
    w.globex_contact = create_contact(actor=w.admin, company=w.globex, name="李雷", mobile="13800138000",
                                      email="li@globex.example", user=w.other_customer)
    w.u8 = create_product(actor=w.admin, name="U8", code="U8", versions=["13.0", "16.5"])
    w.u8_165 = w.u8.versions.get(version="16.5")
    w.acme_asset = create_asset(actor=w.admin, company=w.acme, product_version=w.u8_165, serial="U8-0001")
    w.globex_asset = create_asset(actor=w.admin, company=w.globex, product_version=w.u8_165, serial="U8-0002")
    w.finance = Category.objects.create(name="财务")
    w.voucher = Category.objects.create(name="凭证打印", parent=w.finance)
    return w
