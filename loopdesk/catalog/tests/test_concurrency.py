"""Two agents take the last unit at the same moment: exactly one gets it (PostgreSQL row locks)."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from loopdesk.accounts.models import User
from loopdesk.catalog import services
from loopdesk.catalog.models import Consumption
from loopdesk.catalog.seed import seed_products
from loopdesk.core.testing import build_world

D = datetime.date

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises whole-database writes and has no row locks; the race needs PostgreSQL",
)


@pytest.mark.django_db(transaction=True)  # reference data: root conftest
def test_last_unit_goes_to_exactly_one_agent():
    seed_products()  # this test's database was flushed by the previous transactional test, if any
    world = build_world()
    contract = services.create_contract(
        actor=world.admin, company=world.acme, number="HT-RACE", starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31),
        entitlements=[{"product_code": "REMOTE", "quantity": 2}],
    )
    services.consume(actor=world.agent, contract=contract, product_code="REMOTE", ref="ticket:0", on=D(2026, 5, 1))
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []

    def agent(username: str) -> None:
        try:
            actor = User.objects.get(username=username)
            with transaction.atomic():
                barrier.wait(timeout=10)  # both transactions are open before either consumes
                result = services.consume(actor=actor, contract=contract, product_code="REMOTE",
                                          ref=f"ticket:{username}", on=D(2026, 5, 2))
                outcomes[username] = result.outcome
                time.sleep(0.3)  # hold the lock: without it the other would read the same balance now
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=agent, args=(name,)) for name in ("agent", "manager")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert sorted(outcomes.values()) == ["consumed", "refused"]
    entitlement = contract.entitlements.get()
    assert services.balance(entitlement, on=D(2026, 5, 15)).used == 2
    assert Consumption.objects.filter(entitlement=entitlement).count() == 2
