"""Demo data for the catalogue: service contracts of the demo customers.

    seed_contracts(*, rng, now, share=0.4, limit=2000) -> int

A share of the customers (VIP customers first) get a contract for the year around `now`: most
standard, some gold, a few VIP, with the entitlements such contracts carry (unlimited hotline, remote
sessions a month, on-site visits, quarterly inspections; same-day emergencies and Saturday on-site for
gold and VIP) and the customer's designated engineer. Call it before the SLA clocks are seeded, so the
Gold and VIP policies apply. Returns the number of contracts made. Idempotent: customers with a
contract are skipped.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction

from loopdesk.catalog.models import Contract, Entitlement, ServiceProduct
from loopdesk.catalog.periods import service_date
from loopdesk.customers.models import Company

TERMS = {
    "standard": [("HOTLINE", None, "monthly"), ("REMOTE", 4, "monthly"), ("ONSITE", 2, "quarterly"),
                 ("INSPECTION", 2, "yearly")],
    "gold": [("HOTLINE", None, "monthly"), ("REMOTE", 8, "monthly"), ("ONSITE", 2, "monthly"),
             ("EMERGENCY", 2, "monthly"), ("INSPECTION", 4, "yearly"), ("CONSULTING", 3, "term")],
    "vip": [("HOTLINE", None, "monthly"), ("REMOTE", None, "monthly"), ("ONSITE", 4, "monthly"),
            ("EMERGENCY", 4, "monthly"), ("SATURDAY", 2, "monthly"), ("DESIGNATED", None, "term"),
            ("INSPECTION", 12, "yearly"), ("CONSULTING", 10, "term")],
}
OVERAGE = {"standard": "refuse", "gold": "charge", "vip": "approval"}


@transaction.atomic
def seed_contracts(*, rng: random.Random, now: datetime.datetime, share: float = 0.4, limit: int = 2000) -> int:
    products = {p.code: p for p in ServiceProduct.objects.filter(active=True)}
    have = set(Contract.objects.values_list("company_id", flat=True))
    companies = [c for c in Company.objects.order_by("-vip_level", "pk") if c.pk not in have]
    chosen = companies[: min(limit, int(len(companies) * share))]
    today = service_date(now)
    starts = today.replace(month=1, day=1)
    contracts, entitlements = [], []
    for company in chosen:
        gold = company.vip_level >= 1 or rng.random() < 0.2
        level = "vip" if company.vip_level >= 3 else "gold" if gold else "standard"
        contracts.append(Contract(
            company=company, number=f"HT-{starts.year}-{company.pk:06d}", level=level, starts_on=starts,
            ends_on=starts.replace(year=starts.year + 1) - datetime.timedelta(days=1), overage=OVERAGE[level],
            designated_engineer_id=company.designated_engineer_id, notes="",
        ))
    Contract.objects.bulk_create(contracts)
    for contract in contracts:
        for code, quantity, period in TERMS[contract.level]:
            product = products.get(code)
            if product is not None:
                entitlements.append(Entitlement(contract=contract, product=product, quantity=quantity, period=period))
    Entitlement.objects.bulk_create(entitlements)
    return len(contracts)
