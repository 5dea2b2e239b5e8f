from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "loopdesk.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from . import (
            tasks,  # noqa: F401  registers the periodic auto-close job
            workflow_panel,  # noqa: F401  the workflow diagram panel (loopdesk.workflows)
        )
        from .services.lifecycle import register_store

        register_store()  # what loopdesk.workflows needs to migrate tickets between versions
