from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "loopdesk.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from loopdesk.core.reference import register

        from .services import ensure_standard_calendars

        register(ensure_standard_calendars)
