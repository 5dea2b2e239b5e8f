"""Tickets run on a workflow version (loopdesk.workflows); status is a state key of that version, no
longer limited to the built-in choices. Existing tickets are bound to version 1 of their type's
default workflow, one UPDATE per type."""

import django.db.models.deletion
from django.db import migrations, models


def bind_existing(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    WorkflowVersion = apps.get_model("workflows", "WorkflowVersion")
    general = WorkflowVersion.objects.filter(
        status="published", workflow__category__isnull=True, workflow__org__isnull=True
    ).values_list("workflow__ticket_type", "id")
    for ticket_type, version_id in general:
        Ticket.objects.filter(type=ticket_type, workflow_version__isnull=True).update(workflow_version_id=version_id)


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0006_queue_due_indexes'),
        ('workflows', '0002_default_workflows'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='workflow_version',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='workflows.workflowversion', verbose_name='workflow version'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='status',
            field=models.CharField(default='new', max_length=24, verbose_name='status'),
        ),
        migrations.RunPython(bind_existing, migrations.RunPython.noop),
    ]
