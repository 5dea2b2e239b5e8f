from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "loopdesk.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  registers the periodic sweep of interrupted imports
