from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "loopdesk.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from loopdesk.core.reference import register
        from loopdesk.tickets.signals import ticket_event, tickets_created

        from . import panels, tasks  # noqa: F401  the ticket page's SLA panel; the periodic escalation job
        from .clocks import on_ticket_event, on_tickets_created
        from .policies import ensure_default_policies
        from .services import ensure_standard_calendars

        register(ensure_standard_calendars)
        register(ensure_default_policies)
        ticket_event.connect(on_ticket_event, dispatch_uid="sla-clocks")
        tickets_created.connect(on_tickets_created, dispatch_uid="sla-clocks-start")
