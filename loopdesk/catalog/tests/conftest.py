import datetime

import pytest

from loopdesk.catalog import services


@pytest.fixture
def contract(world):
    """Acme's gold contract for 2026: 2 remote sessions a month, 1 emergency a month (approval),
    unlimited hotline, 4 inspections a year, 3 consulting days for the whole term."""
    return services.create_contract(
        actor=world.admin, company=world.acme, number="HT-2026-001", level="gold",
        starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31), overage="refuse",
        designated_engineer=world.engineer,
        entitlements=[
            {"product_code": "REMOTE", "quantity": 2, "period": "monthly"},
            {"product_code": "emergency", "quantity": 1, "period": "quarterly"},
            {"product_code": "HOTLINE", "quantity": None, "period": "monthly"},
            {"product_code": "INSPECTION", "quantity": 4, "period": "yearly"},
            {"product_code": "CONSULTING", "quantity": 3, "period": "term"},
        ],
    )
