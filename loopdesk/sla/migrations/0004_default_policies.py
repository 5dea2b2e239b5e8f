"""The shipped SLA and OLA policies (Standard, Gold, VIP, Gold/VIP P1 24×7, second-line and partner
OLAs); `loopdesk.sla.policies.DEFAULTS` holds their targets and escalation levels."""

from django.db import migrations

from loopdesk.sla.policies import DEFAULTS, ensure_default_policies


def create(apps, schema_editor):
    ensure_default_policies(apps)


def remove(apps, schema_editor):
    codes = [row[0] for row in DEFAULTS]
    apps.get_model("sla", "Policy").objects.filter(code__in=codes, clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_policies_and_clocks")]

    operations = [migrations.RunPython(create, remove)]
