from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "loopdesk.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from loopdesk.tickets.panels import Panel, register
        from loopdesk.tickets.signals import ticket_event

        from . import services, tasks  # noqa: F401  (registers the periodic sweep)

        ticket_event.connect(services.on_ticket_event, dispatch_uid="integrations.on_ticket_event")
        services._active_endpoints.connect(services.Endpoint)
        register(Panel(key="integrations", url_name="integrations:ticket_panel", title=_("Linked systems"),
                       column="side", order=60))
