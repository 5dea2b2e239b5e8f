"""The six ITR default workflows (incident, service request, consultation, complaint, problem, work
order), published as version 1; `loopdesk.workflows.defaults` holds their definitions."""

from django.db import migrations

from loopdesk.workflows.defaults import DEFAULTS
from loopdesk.workflows.services import ensure_defaults


def create(apps, schema_editor):
    ensure_defaults(apps)


def remove(apps, schema_editor):
    Workflow = apps.get_model("workflows", "Workflow")
    Workflow.objects.filter(key__in=list(DEFAULTS), versions__tickets__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
