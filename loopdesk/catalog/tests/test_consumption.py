import datetime
from decimal import Decimal

import pytest

from loopdesk.catalog import services
from loopdesk.catalog.models import Consumption, Contract, ServiceProduct
from loopdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

D = datetime.date
MARCH = D(2026, 3, 10)


def remote(contract):
    return contract.entitlements.get(product__code="REMOTE")


def take(world, contract, code="REMOTE", ref="ticket:1", on=MARCH, units=1, actor=None, **kw):
    return services.consume(actor=actor or world.agent, contract=contract, product_code=code, ref=ref, on=on,
                            units=units, **kw)


def test_seeded_catalogue(db):
    assert ServiceProduct.objects.count() == 9
    assert set(ServiceProduct.objects.values_list("kind", flat=True)) == set(ServiceProduct.Kind.values)


def test_monthly_balance_resets(world, contract):
    assert take(world, contract).outcome == "consumed"
    assert take(world, contract, ref="ticket:2", on=D(2026, 3, 31)).outcome == "consumed"
    third = take(world, contract, ref="ticket:3", on=D(2026, 3, 31))
    assert third.outcome == "refused" and "HT-2026-001" in third.message
    b = services.balance(remote(contract), on=D(2026, 3, 15))
    assert (b.used, b.remaining, b.period_start, b.period_end) == (2, 0, D(2026, 3, 1), D(2026, 3, 31))
    assert services.balance(remote(contract), on=D(2026, 4, 1)).remaining == 2
    assert take(world, contract, ref="ticket:3", on=D(2026, 4, 1)).outcome == "consumed"


def test_quarterly_yearly_and_term_reset(world, contract):
    emergency = contract.entitlements.get(product__code="EMERGENCY")
    take(world, contract, code="EMERGENCY", on=D(2026, 1, 5))
    assert services.balance(emergency, on=D(2026, 3, 31)).remaining == 0
    assert services.balance(emergency, on=D(2026, 4, 1)).remaining == 1
    inspection = contract.entitlements.get(product__code="INSPECTION")
    take(world, contract, code="INSPECTION", units=3, on=D(2026, 2, 1))
    assert services.balance(inspection, on=D(2026, 12, 31)).remaining == 1
    consulting = contract.entitlements.get(product__code="CONSULTING")
    take(world, contract, code="CONSULTING", units=2, on=D(2026, 1, 20))
    take(world, contract, code="CONSULTING", units=1, on=D(2026, 11, 20))
    b = services.balance(consulting, on=D(2026, 6, 1))
    assert (b.remaining, b.period_start, b.period_end) == (0, D(2026, 1, 1), D(2026, 12, 31))
    with pytest.raises(ValidationFailed):  # the term's ledger is keyed by its start
        services.update_contract(actor=world.admin, contract=contract, starts_on=D(2026, 2, 1))
    services.update_contract(actor=world.admin, contract=contract, ends_on=D(2027, 6, 30))
    assert services.balance(consulting, on=D(2027, 3, 1)).period_end == D(2027, 6, 30)


def test_unlimited_hotline(world, contract):
    for n in range(5):
        assert take(world, contract, code="HOTLINE", ref=f"ticket:{n}").outcome == "consumed"
    b = services.balance(contract.entitlements.get(product__code="HOTLINE"), on=D(2026, 3, 1))
    assert b.unlimited and b.remaining is None and b.used == 5


def test_refused_and_outside_contract_write_nothing(world, contract):
    before = Consumption.objects.count()
    assert take(world, contract, units=3).outcome == "refused"
    assert take(world, contract, code="SATURDAY").outcome == "refused"  # not in the contract
    expired = take(world, contract, on=D(2027, 1, 5))
    assert expired.outcome == "refused" and "2027-01-05" in expired.message
    assert Consumption.objects.count() == before


def test_charge_at_catalogue_price(world, contract):
    services.update_contract(actor=world.admin, contract=contract, overage="charge")
    result = take(world, contract, units=3)
    assert result.outcome == "charged" and result.charge_amount == Decimal("300.00")
    assert [(r.status, r.units) for r in result.rows] == [("consumed", 2), ("charged", 1)]
    assert (result.balance.used, result.balance.overage, result.balance.remaining) == (2, 1, 0)


def test_approval_flow(world, contract):
    services.update_contract(actor=world.admin, contract=contract, overage="approval")
    take(world, contract, units=2)
    pending = take(world, contract, ref="ticket:2")
    assert pending.outcome == "pending" and pending.balance.pending == 1
    row = pending.rows[0]
    with pytest.raises(Forbidden):
        services.approve(actor=world.agent, consumption=row)
    services.approve(actor=world.manager, consumption=row)
    row.refresh_from_db()
    assert (row.status, row.overage, row.decided_by) == ("approved", True, world.manager)
    assert services.balance(remote(contract), on=D(2026, 3, 1)).overage == 1
    with pytest.raises(Conflict):
        services.approve(actor=world.manager, consumption=row)
    rejected = take(world, contract, ref="ticket:3").rows[0]
    services.reject(actor=world.manager, consumption=rejected)
    rejected.refresh_from_db()
    assert rejected.status == "rejected"


def test_approval_consumes_what_fits_then(world, contract):
    services.update_contract(actor=world.admin, contract=contract, overage="approval")
    take(world, contract, ref="ticket:1")
    pending = take(world, contract, units=3, ref="ticket:2").rows[0]
    services.give_back(actor=world.agent, ref="ticket:1")
    written = services.approve(actor=world.manager, consumption=pending)
    assert [(r.status, r.units, r.overage) for r in written] == [("consumed", 2, False), ("approved", 1, True)]


def test_give_back_is_idempotent(world, contract):
    services.update_contract(actor=world.admin, contract=contract, overage="charge")
    take(world, contract, units=3, ref="ticket:9")
    returned = services.give_back(actor=world.agent, ref="ticket:9")
    assert sorted(r.units for r in returned) == [-2, -1]
    assert next(r for r in returned if r.units == -1).charge_amount == Decimal("-300.00")
    assert services.give_back(actor=world.agent, ref="ticket:9") == []
    b = services.balance(remote(contract), on=D(2026, 3, 1))
    assert (b.used, b.overage, b.remaining) == (0, 0, 2)


def test_give_back_cancels_pending(world, contract):
    services.update_contract(actor=world.admin, contract=contract, overage="approval")
    row = take(world, contract, units=5, ref="ticket:5").rows[0]
    services.give_back(actor=world.agent, ref="ticket:5")
    row.refresh_from_db()
    assert row.status == "cancelled"


def test_consume_by_company_prefers_asset_contract(world, contract):
    own = services.create_contract(
        actor=world.admin, company=world.acme, asset=world.acme_asset, number="HT-ASSET",
        starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31),
        entitlements=[{"product_code": "REMOTE", "quantity": 1}],
    )
    first = services.consume(actor=world.agent, company=world.acme, asset=world.acme_asset, product_code="REMOTE",
                             ref="ticket:1", on=D(2026, 3, 1))
    assert first.entitlement.contract == own
    second = services.consume(actor=world.agent, company=world.acme, asset=world.acme_asset, product_code="REMOTE",
                              ref="ticket:2", on=D(2026, 3, 1))
    assert second.entitlement.contract == contract
    preview = services.preview(actor=world.agent, company=world.acme, product_code="REMOTE", on=D(2026, 3, 1))
    assert preview.outcome == "consumed" and preview.balance.remaining == 1
    figures = services.company_balances(world.agent, world.acme, on=D(2026, 3, 1))
    assert len(figures) == 6


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"units": 0}, "units"), ({"units": True}, "units"), ({"ref": ""}, "ref"), ({"ref": "x" * 65}, "ref"),
])
def test_bad_requests_change_nothing(world, contract, kwargs, field):
    values = {"ref": "ticket:1", "units": 1, **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        services.consume(actor=world.agent, contract=contract, product_code="REMOTE", on=D(2026, 3, 1), **values)
    assert field in exc.value.fields
    assert not Consumption.objects.exists()


def test_scoping(world, contract):
    for outsider in (world.sh_agent, world.other_partner_agent, world.other_customer):
        assert not Contract.objects.visible_to(outsider).exists()
    assert Contract.objects.visible_to(world.agent).get() == contract
    assert Contract.objects.visible_to(world.customer).get() == contract  # acme's own contact
    with pytest.raises(NotFound):
        take(world, contract, actor=world.sh_agent)
    with pytest.raises(NotFound):
        services.consume(actor=world.sh_agent, company=world.acme, product_code="REMOTE", ref="t:1")
    with pytest.raises(Forbidden):
        take(world, contract, actor=world.other_customer)  # customers do not consume
    take(world, contract, ref="ticket:1")
    assert services.give_back(actor=world.sh_agent, ref="ticket:1") == []
    assert services.balance(remote(contract), on=D(2026, 3, 1)).used == 1
    assert services.company_balances(world.sh_agent, world.acme, on=D(2026, 3, 1)) == []


def test_messages_are_translated(world, contract):
    from django.utils import translation

    with translation.override("zh-hans"):
        result = take(world, contract, units=5)
    assert result.outcome == "refused" and "不允许超出" in result.message
