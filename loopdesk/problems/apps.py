from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "loopdesk.problems"
    label = "problems"
    verbose_name = _("Problems")

    def ready(self) -> None:
        from loopdesk.tickets.panels import Panel, register

        register(Panel(key="problem", url_name="problems:ticket_panel", title=_("Problem"), column="side", order=50))
