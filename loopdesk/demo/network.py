"""The demo service network: organisations, staff, groups, products, categories and customers.

Small, named things (organisations, products, the demo logins) go through the domain services; the
customer base (possibly tens of thousands of companies with contacts, sites and assets) is written with
bulk_create in batches, with the same audit events the services would have recorded.
"""

from __future__ import annotations

import datetime
import random
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import models, transaction

from loopdesk.accounts.models import Group, Membership, User
from loopdesk.accounts.roles import Role
from loopdesk.assets.models import Asset, ProductVersion
from loopdesk.assets.services import create_product
from loopdesk.core.models import AuditEvent
from loopdesk.customers.models import Company, Contact, Site
from loopdesk.orgs.models import Organization
from loopdesk.orgs.services import create_organization
from loopdesk.tickets.models import Category

from . import vocab

BATCH = 2000

# The demo logins: username → (organisation code, role, display name). admin is the superuser and
# customer a contact of the first demo company; both are created separately.
LOGINS = {
    "manager": ("hq", Role.MANAGER, "周经理"),
    "executive": ("hq", Role.EXECUTIVE, "高总"),
    "reviewer": ("hq", Role.KNOWLEDGE_REVIEWER, "林审核"),
    "agent": ("bj", Role.AGENT, "李坐席"),
    "dispatcher": ("bj", Role.DISPATCHER, "赵调度"),
    "engineer": ("bj-hd", Role.ENGINEER, "王工"),
    "field": ("bj-hd", Role.FIELD_ENGINEER, "孙现场"),
    "partner": ("p-hx", Role.PARTNER_AGENT, "陈伙伴"),
}
LOGIN_ORDER = ["admin", "manager", "agent", "engineer", "partner", "customer", "dispatcher", "field", "reviewer",
               "executive"]


@contextmanager
def explicit_timestamps(*model_classes: type[models.Model]):
    """Let bulk_create keep the given created_at/updated_at values instead of "now" (history is in the past)."""
    fields = [f for m in model_classes for f in m._meta.concrete_fields
              if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class Branch:
    code: str
    org_id: int
    city: str
    tier1: list[int] = field(default_factory=list)  # user ids of hotline agents
    tier2: list[int] = field(default_factory=list)  # engineers
    tier1_group: int = 0
    tier2_group: int = 0
    centre_groups: dict[int, tuple[int, list[int]]] = field(default_factory=dict)  # centre org → (group, members)
    partners: list[tuple[int, list[int]]] = field(default_factory=list)  # (partner org, partner agent ids)


@dataclass
class CompanyRow:
    id: int
    org_id: int
    branch: str
    vip: int
    weight: float
    contacts: list[tuple[int, str, str, int | None]]  # (id, name, phone, user id)
    assets: list[tuple[int, str, str]]  # (id, product name, version)
    product: tuple[str, str]  # the main product (name, version)


@dataclass
class Network:
    """What the ticket generator needs to know about the network, as plain ids."""

    hq_id: int
    branches: dict[str, Branch]
    hq_experts: list[int]
    hq_group: int
    companies: list[CompanyRow]
    categories: list[tuple[int, str, float]]  # (leaf id, top-level name, weight)
    users: dict[str, int]  # demo login → id
    names: dict[int, str]  # user id → display name
    group_names: dict[int, str] = field(default_factory=dict)
    org_names: dict[int, str] = field(default_factory=dict)
    customer_company_id: int = 0


def person(rng: random.Random) -> tuple[str, str]:
    """A Chinese name and its pinyin (for user names and e-mail addresses)."""
    s, sp = rng.choice(vocab.SURNAMES)
    g, gp = rng.choice(vocab.GIVEN)
    return s + g, f"{sp}.{gp}"


def mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "135", "136", "150", "151", "186", "187", "133", "189"]) + f"{rng.randrange(10**8):08d}"


def build_network(*, rng: random.Random, password: str, now: datetime.datetime) -> dict[str, int]:
    """Create the organisation tree, staff, groups, products and categories; return the login ids."""
    K = Organization.Kind
    hashed = make_password(password)  # one hash for every demo user: hashing is deliberately slow
    with transaction.atomic():
        admin = User.objects.create(username="admin", display_name="系统管理员", email="admin@loopdesk.example",
                                    is_superuser=True, is_staff=True, password=hashed)
        AuditEvent.objects.create(object_type="accounts.user", object_id=str(admin.pk), action="create",
                                  changes={"username": "admin"})
        hq = create_organization(actor=admin, name="总部", code="hq", kind=K.HEADQUARTERS, region="北京市",
                                 phone="400-660-6600")
        orgs = {"hq": hq}
        for code, city, province, area, centres in vocab.BRANCHES:
            orgs[code] = create_organization(actor=admin, name=f"{city}分公司", code=code, kind=K.BRANCH, parent=hq,
                                             region=province, phone=f"{area}-{rng.randrange(6000_0000, 8999_9999)}")
            for c_code, c_name, _district in centres:
                orgs[c_code] = create_organization(actor=admin, name=f"{city}{c_name}", code=c_code,
                                                   kind=K.SERVICE_CENTRE, parent=orgs[code], region=province)
        for code, name, _branch in vocab.PARTNERS:
            orgs[code] = create_organization(actor=admin, name=name, code=code, kind=K.PARTNER, parent=hq)

        users: list[tuple[User, Organization, str]] = []
        taken = {"admin", *LOGINS, "customer"}

        def staff(org: Organization, role: str, username: str | None = None, display: str | None = None) -> User:
            name, py = person(rng)
            if username is None:
                username = f"{py}.{org.code}"
                n = 2
                while username in taken:
                    username, n = f"{py}{n}.{org.code}", n + 1
            taken.add(username)
            u = User(username=username, display_name=display or name, password=hashed, phone=mobile(rng),
                     email=f"{username}@loopdesk.example", date_joined=now - datetime.timedelta(days=rng.randint(30, 2000)))
            users.append((u, org, role))
            return u

        named = {login: staff(orgs[code], role, login, display) for login, (code, role, display) in LOGINS.items()}
        plan: list[tuple[str, str, int]] = [("hq", Role.ENGINEER, 3), ("hq", Role.MANAGER, 1)]
        for code, _city, _prov, _area, centres in vocab.BRANCHES:
            plan += [(code, Role.AGENT, 4), (code, Role.ENGINEER, 3), (code, Role.MANAGER, 1), (code, Role.DISPATCHER, 1)]
            plan += [(c, role, n) for c, *_ in centres for role, n in ((Role.ENGINEER, 2), (Role.FIELD_ENGINEER, 1))]
        plan += [(code, Role.PARTNER_AGENT, 2) for code, *_ in vocab.PARTNERS]
        for code, role, n in plan:
            for _ in range(n):
                staff(orgs[code], role)
        User.objects.bulk_create([u for u, _o, _r in users])
        Membership.objects.bulk_create([Membership(user=u, organization=o, role=r) for u, o, r in users])
        AuditEvent.objects.bulk_create([
            AuditEvent(actor=admin, object_type="accounts.user", object_id=str(u.pk), action="create",
                       changes={"username": u.username}) for u, _o, _r in users
        ])

        def members(org_code: str, *roles: str) -> list[User]:
            return [u for u, o, r in users if o.code == org_code and r in roles]

        groups: list[tuple[Group, list[User]]] = [
            (Group(name="总部三线专家组", organization=hq, tier=3), members("hq", Role.ENGINEER))
        ]
        for code, city, _prov, _area, centres in vocab.BRANCHES:
            groups.append((Group(name=f"{city}一线热线", organization=orgs[code], tier=1),
                           members(code, Role.AGENT, Role.DISPATCHER)))
            groups.append((Group(name=f"{city}二线技术支持", organization=orgs[code], tier=2), members(code, Role.ENGINEER)))
            for c_code, c_name, _d in centres:
                groups.append((Group(name=f"{city}{c_name.removesuffix('服务中心')}现场服务组", organization=orgs[c_code],
                                     tier=2), members(c_code, Role.ENGINEER, Role.FIELD_ENGINEER)))
        with explicit_timestamps(Group):
            for g, _m in groups:
                g.created_at = g.updated_at = now - datetime.timedelta(days=400)
            Group.objects.bulk_create([g for g, _m in groups])
        Through = Group.members.through
        Through.objects.bulk_create([Through(group_id=g.pk, user_id=u.pk) for g, ms in groups for u in ms])

        for code, name, versions, _w in vocab.PRODUCTS:
            product = create_product(actor=admin, name=name, code=code, versions=[v for v, _r, _e in versions])
            for v, released, eos in versions:
                ProductVersion.objects.filter(product=product, version=v).update(
                    released_on=datetime.date.fromisoformat(released),
                    end_of_support=datetime.date.fromisoformat(eos) if eos else None,
                )
        for top, _w, leaves in vocab.CATEGORIES:
            parent = Category.objects.create(name=top)
            for leaf in leaves:
                Category.objects.create(name=leaf, parent=parent)
    return {"admin": admin.pk, **{k: u.pk for k, u in named.items()}}


def _next_code(prefix: str, existing: list[str]) -> int:
    pattern = re.compile(rf"^{prefix}(\d+)$")
    numbers = [int(m.group(1)) for c in existing if (m := pattern.match(c))]
    return max(numbers, default=0) + 1


def build_customers(*, rng: random.Random, count: int, password: str, now: datetime.datetime,
                    customer_login: bool) -> None:
    """Create `count` customer companies with contacts, sites and assets; the first one gets the
    `customer` portal login when `customer_login`."""
    orgs = {o.code: o for o in Organization.objects.all()}
    admin = User.objects.filter(username="admin").first()
    engineers: dict[str, list[int]] = {}
    for user_id, code in Membership.objects.filter(role=Role.ENGINEER).values_list("user_id", "organization__code"):
        engineers.setdefault(code.split("-")[0], []).append(user_id)
    versions = {p: list(ProductVersion.objects.filter(product__code=p).order_by("released_on"))
                for p, *_ in vocab.PRODUCTS}
    product_weights = [w for *_x, w in vocab.PRODUCTS]
    first = _next_code("C", list(Company.objects.filter(code__startswith="C").values_list("code", flat=True)))
    hashed = make_password(password)
    branch_codes = list(vocab.BRANCH_WEIGHTS)
    branch_weights = list(vocab.BRANCH_WEIGHTS.values())
    centres = {code: [c for c, *_ in cs] for code, _c, _p, _a, cs in vocab.BRANCHES}
    areas = {code: area for code, _c, _p, area, _cs in vocab.BRANCHES}
    used_names: set[str] = set(Company.objects.values_list("name", flat=True)) if first > 1 else set()

    for start in range(0, count, BATCH):
        n = min(BATCH, count - start)
        companies, contacts, sites, assets = [], [], [], []
        for i in range(n):
            index = first + start + i
            branch = "bj" if index == 1 and customer_login else rng.choices(branch_codes, branch_weights)[0]
            city, province = rng.choice(vocab.SERVED_CITIES[branch])
            industry, trades = rng.choice(vocab.INDUSTRIES)
            brand, brand_py = rng.choice(vocab.BRANDS)
            name = f"{city}{brand}{rng.choice(trades)}{rng.choice(vocab.SUFFIXES)}"
            if name in used_names:  # keep names unique the way a customer master does: add the district
                name = f"{city}{brand}{rng.choice(trades)}（{rng.choice(vocab.STREETS)}）{rng.choice(vocab.SUFFIXES)}"
                if name in used_names:
                    name = f"{name[:-4]}{index}号{name[-4:]}"
            used_names.add(name)
            vip = rng.choices([0, 1, 2, 3], [70, 18, 9, 3])[0]
            org_code = branch if rng.random() < 0.55 else rng.choice(centres[branch])
            since = now - datetime.timedelta(days=rng.randint(120, 4000))
            engineer = rng.choice(engineers.get(branch) or [None]) if vip >= 2 else None
            company = Company(
                name=name, code=f"C{index:06d}", org=orgs[org_code], vip_level=vip, industry=industry,
                region=f"{province}{city}" if province[:2] != city else province,
                phone=f"{areas[branch]}-{rng.randrange(5000_0000, 8999_9999)}", designated_engineer_id=engineer,
                created_at=since, updated_at=since,
            )
            companies.append(company)
            domain = f"{brand_py}{index}.com.cn"
            for k in range(rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0]):
                cname, py = person(rng)
                contacts.append((company, Contact(
                    name=cname, title=rng.choice(vocab.JOB_TITLES), phone=company.phone if k == 0 else "",
                    mobile=mobile(rng), email=f"{py}@{domain}", is_primary=k == 0, created_at=since, updated_at=since,
                )))
            for k in range(rng.choices([1, 2], [75, 25])[0]):
                site = Site(name=vocab.SITE_NAMES[0] if k == 0 else rng.choice(vocab.SITE_NAMES[1:]), province=province,
                            city=city, address=f"{city}{rng.choice(vocab.STREETS)}{rng.randint(1, 999)}号",
                            created_at=since, updated_at=since)
                sites.append((company, site))
            for _k in range(rng.choices([1, 2, 3], [55, 35, 10])[0]):
                code = rng.choices([p for p, *_ in vocab.PRODUCTS], product_weights)[0]
                version = rng.choice(versions[code][-3:])
                installed = max(since.date(), version.released_on or since.date())
                assets.append((company, Asset(
                    product_version=version, serial=f"{code}-{installed.year}-{rng.randrange(10**6):06d}",
                    installed_on=installed, licences=rng.choice([1, 2, 3, 5, 10, 20, 50]),
                    created_at=since, updated_at=since,
                )))
        with transaction.atomic(), explicit_timestamps(Company, Contact, Site, Asset):
            Company.objects.bulk_create(companies)
            login_contact = None
            for company, contact in contacts:
                contact.company = company
                if hasattr(contact, "fill_search_keys"):
                    contact.fill_search_keys()
                if customer_login and company.code == "C000001" and contact.is_primary:
                    login_contact = contact
            # About a third of the customers use the portal: their primary contact has a login.
            portal = [c for co, c in contacts if c.is_primary and (c is login_contact or rng.random() < 0.3)]
            logins = []
            for contact in portal:
                name = "customer" if contact is login_contact else contact.email
                contact.user = User(username=name, display_name=contact.name, email=contact.email,
                                    phone=contact.mobile, password=hashed, date_joined=contact.created_at)
                logins.append(contact.user)
            User.objects.bulk_create(logins)
            Membership.objects.bulk_create([Membership(user=u, organization=None, role=Role.CUSTOMER) for u in logins])
            for contact in portal:
                contact.user_id = contact.user.pk
            Contact.objects.bulk_create([c for _co, c in contacts])
            for company, site in sites:
                site.company = company
            Site.objects.bulk_create([s for _co, s in sites])
            site_of = {}
            for company, site in sites:
                site_of.setdefault(company.pk, site)
            for company, asset in assets:
                asset.company = company
                asset.site = site_of.get(company.pk)
            Asset.objects.bulk_create([a for _co, a in assets])
            audits = [AuditEvent(actor=admin, object_type=o._meta.label_lower, object_id=str(o.pk), action="create",
                                 changes={"name": o.name}, at=o.created_at) for o in companies]
            audits += [AuditEvent(actor=admin, object_type="customers.contact", object_id=str(c.pk), action="create",
                                  changes={"name": c.name, "company": c.company_id}, at=c.created_at) for _o, c in contacts]
            with explicit_timestamps(AuditEvent):
                AuditEvent.objects.bulk_create(audits, batch_size=BATCH)


def load_network() -> Network:
    """Read the demo network back from the database (also for `demo --add`)."""
    orgs = {o.code: o for o in Organization.objects.all()}
    if "hq" not in orgs or not all(code in orgs for code, *_ in vocab.BRANCHES):
        raise LookupError("no demo network in this database")
    by_org: dict[int, list[tuple[int, str]]] = {}
    for user_id, org_id, role in Membership.objects.exclude(organization=None).values_list("user_id", "organization_id", "role"):
        by_org.setdefault(org_id, []).append((user_id, role))
    groups = {g.name: g for g in Group.objects.prefetch_related("members")}
    branches: dict[str, Branch] = {}
    for code, city, _p, _a, centres in vocab.BRANCHES:
        b = Branch(code=code, org_id=orgs[code].pk, city=city)
        b.tier1 = [u for u, r in by_org.get(b.org_id, []) if r == Role.AGENT]
        b.tier2 = [u for u, r in by_org.get(b.org_id, []) if r == Role.ENGINEER]
        b.tier1_group = groups[f"{city}一线热线"].pk
        b.tier2_group = groups[f"{city}二线技术支持"].pk
        for c_code, c_name, _d in centres:
            g = groups[f"{city}{c_name.removesuffix('服务中心')}现场服务组"]
            b.centre_groups[orgs[c_code].pk] = (g.pk, [m.pk for m in g.members.all()])
        branches[code] = b
    for code, _name, branch in vocab.PARTNERS:
        agents = [u for u, r in by_org.get(orgs[code].pk, []) if r == Role.PARTNER_AGENT]
        branches[branch].partners.append((orgs[code].pk, agents))
    branch_of_org = {o.pk: o.code.split("-")[0] for o in orgs.values()}

    contacts: dict[int, list] = {}
    for row in Contact.objects.order_by("pk").values_list("company_id", "pk", "name", "mobile", "user_id"):
        contacts.setdefault(row[0], []).append(row[1:])
    assets: dict[int, list] = {}
    for row in Asset.objects.order_by("pk").values_list("company_id", "pk", "product_version__product__name",
                                                         "product_version__version"):
        assets.setdefault(row[0], []).append(row[1:])
    weight_rng = random.Random(7)  # how talkative each customer is: stable per database, Pareto-shaped
    companies = []
    for cid, org_id, vip in Company.objects.order_by("pk").values_list("pk", "org_id", "vip_level"):
        cassets = assets.get(cid, [])
        weight = min(weight_rng.paretovariate(1.3), 40.0) * (1 + 0.5 * vip)
        companies.append(CompanyRow(
            id=cid, org_id=org_id, branch=branch_of_org[org_id], vip=vip, weight=weight,
            contacts=contacts.get(cid, []), assets=cassets,
            product=(cassets[0][1], cassets[0][2]) if cassets else ("用友 U8+", "16.5"),
        ))
    cats = []
    tops = {top: (w, len(leaves)) for top, w, leaves in vocab.CATEGORIES}
    for leaf_id, top in Category.objects.exclude(parent=None).values_list("pk", "parent__name"):
        if top in tops:
            w, n = tops[top]
            cats.append((leaf_id, top, w / n))
    logins = dict(User.objects.filter(username__in=LOGIN_ORDER).values_list("username", "pk"))
    names = {pk: (d or u) for pk, u, d in User.objects.exclude(memberships__role=Role.CUSTOMER)
             .values_list("pk", "username", "display_name")}
    hq_group = groups["总部三线专家组"]
    customer = Contact.objects.filter(user__username="customer").values_list("company_id", flat=True).first()
    return Network(
        hq_id=orgs["hq"].pk, branches=branches, hq_experts=[m.pk for m in hq_group.members.all()],
        hq_group=hq_group.pk, companies=companies, categories=cats, users=logins, names=names,
        group_names={g.pk: g.name for g in groups.values()}, org_names={o.pk: o.name for o in orgs.values()},
        customer_company_id=customer or 0,
    )
