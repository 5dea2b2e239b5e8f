"""Seed the nine standard service products, so every installation starts with a catalogue.

Existing rows with the same code are left alone (an administrator may have changed prices).
Names are data (Simplified Chinese, as sold); kinds and units are translated in the UI.
"""

from decimal import Decimal

from django.db import migrations

PRODUCTS = [
    # code, name, kind, unit, price (CNY) or None, sla_targets (read by the SLA engine)
    ("HOTLINE", "热线电话支持", "hotline", "call", None, {"response_minutes": 15}),
    ("REMOTE", "远程支持", "remote", "session", "300.00", {"response_minutes": 60, "resolution_minutes": 480}),
    ("ONSITE", "上门服务", "onsite", "visit", "1200.00", {"response_minutes": 240, "resolution_minutes": 2880}),
    ("EMERGENCY", "当日紧急上门", "emergency_onsite", "visit", "2500.00",
     {"response_minutes": 30, "resolution_minutes": 480}),
    ("SATURDAY", "周六上门服务", "saturday_onsite", "visit", "1800.00", {"response_minutes": 240}),
    ("DESIGNATED", "专属工程师", "designated_engineer", "month", "5000.00", {"response_minutes": 30}),
    ("INSPECTION", "主动巡检", "inspection", "inspection", "2000.00", {}),
    ("CONSULTING", "咨询服务（人天）", "consulting_day", "day", "3000.00", {}),
    ("IMPLEMENTATION", "实施服务（人天）", "implementation_day", "day", "2500.00", {}),
]


def seed(apps, schema_editor):
    """Create the missing products (also called by loopdesk.catalog.seed); return how many."""
    ServiceProduct = apps.get_model("catalog", "ServiceProduct")
    created = 0
    for code, name, kind, unit, price, targets in PRODUCTS:
        created += ServiceProduct.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "unit": unit, "price": Decimal(price) if price else None,
            "sla_targets": targets,
        })[1]
    return created


def unseed(apps, schema_editor):
    ServiceProduct = apps.get_model("catalog", "ServiceProduct")
    ServiceProduct.objects.filter(code__in=[p[0] for p in PRODUCTS], entitlements__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
