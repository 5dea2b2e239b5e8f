import datetime
from decimal import Decimal

import pytest

from loopdesk.catalog import services
from loopdesk.catalog.models import Contract, Entitlement, ServiceProduct
from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.core.models import AuditEvent

D = datetime.date


def new_contract(world, **kw):
    values = {"actor": world.admin, "company": world.acme, "number": "HT-1", "starts_on": D(2026, 1, 1),
              "ends_on": D(2026, 12, 31), **kw}
    return services.create_contract(**values)


def test_create_contract_with_entitlements_is_audited(world):
    c = new_contract(world, entitlements=[{"product_code": "remote", "quantity": 6}])
    assert c.entitlements.get().product.code == "REMOTE"
    assert AuditEvent.objects.filter(object_type="catalog.contract", object_id=str(c.pk), action="create").exists()


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"ends_on": D(2025, 12, 31)}, "ends_on"),
    ({"starts_on": "2026-01-01"}, "starts_on"),
    ({"number": " "}, "number"),
    ({"level": "platinum"}, "level"),
    ({"overage": "maybe"}, "overage"),
    ({"colour": "red"}, "colour"),
    ({"entitlements": [{"product_code": "NOPE", "quantity": 1}]}, "entitlements"),
    ({"entitlements": [{"product_code": "REMOTE", "quantity": 1}, {"product_code": "REMOTE"}]}, "entitlements"),
    ({"entitlements": [{"product_code": "REMOTE", "quantity": -1}]}, "entitlements"),
    ({"entitlements": [{"product_code": "REMOTE", "period": "weekly"}]}, "entitlements"),
    ({"entitlements": ["REMOTE"]}, "entitlements"),
])
def test_bad_contract_changes_nothing(world, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        new_contract(world, **kwargs)
    assert field in exc.value.fields
    assert not Contract.objects.exists() and not Entitlement.objects.exists()


def test_asset_of_another_customer(world):
    with pytest.raises(ValidationFailed) as exc:
        new_contract(world, asset=world.globex_asset)
    assert "asset" in exc.value.fields


def test_duplicate_number_and_entitlement(world):
    c = new_contract(world, entitlements=[{"product_code": "REMOTE", "quantity": 6}])
    with pytest.raises(ValidationFailed):
        new_contract(world)
    with pytest.raises(ValidationFailed) as exc:
        services.add_entitlement(actor=world.admin, contract=c, product_code="REMOTE", quantity=1)
    assert "product_code" in exc.value.fields
    e = services.add_entitlement(actor=world.manager, contract=c, product_code="SATURDAY", quantity=None,
                                 period="yearly")
    assert e.unlimited and c.entitlements.count() == 2


def test_update_contract_validates_dates(world):
    c = new_contract(world)
    with pytest.raises(ValidationFailed):
        services.update_contract(actor=world.admin, contract=c, ends_on=D(2025, 1, 1))
    c.refresh_from_db()
    assert c.ends_on == D(2026, 12, 31)


def test_permissions(world):
    with pytest.raises(Forbidden):
        new_contract(world, actor=world.agent)
    with pytest.raises(Forbidden):
        services.create_product(actor=world.manager, code="X", name="X", kind="remote", unit="session")
    assert new_contract(world, actor=world.manager).number == "HT-1"


def test_products(world):
    p = services.create_product(actor=world.admin, code="night", name="夜间远程", kind="remote", unit="session",
                                price="450", sla_targets={"response_minutes": 30})
    assert (p.code, p.price) == ("NIGHT", Decimal("450.00"))
    for bad in ({"price": "-1"}, {"price": "abc"}, {"sla_targets": {"response_minutes": "soon"}},
                {"kind": "massage"}, {"unit": "hour"}, {"name": ""}, {"code": "remote"}):
        values = {"code": "Y", "name": "Y", "kind": "remote", "unit": "session", **bad}
        with pytest.raises(ValidationFailed):
            services.create_product(actor=world.admin, **values)
    assert not ServiceProduct.objects.filter(code="Y").exists()
    services.update_product(actor=world.admin, product=p, price=None, active=False)
    p.refresh_from_db()
    assert p.price is None and not p.active


def test_seed_command_puts_back_missing_products(db):
    from io import StringIO

    from django.core.management import call_command

    ServiceProduct.objects.filter(code="SATURDAY").delete()
    ServiceProduct.objects.filter(code="REMOTE").update(price=Decimal("350.00"))
    out = StringIO()
    call_command("catalog", "seed", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert ServiceProduct.objects.get(code="REMOTE").price == Decimal("350.00")  # edited prices are kept
