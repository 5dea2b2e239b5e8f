from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "loopdesk.assist"
    label = "assist"
    verbose_name = _("Self-service and assist")

    def ready(self) -> None:
        from loopdesk.tickets.panels import Panel, register

        from . import tasks  # noqa: F401  registers the periodic jobs

        register(Panel(key="assist", url_name="assist:ticket_panel", title=_("Similar tickets and articles"),
                       column="main", order=20))
