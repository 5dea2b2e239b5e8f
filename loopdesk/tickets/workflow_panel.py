"""Registers the workflow diagram panel on the staff ticket page (loopdesk.tickets.views.workflow)."""

from django.utils.translation import gettext_lazy as _

from .panels import Panel, register

register(Panel(key="workflow", url_name="tickets:workflow_diagram", title=_("Workflow"), column="main", order=30))
