from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "loopdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from .customfields import _definitions
        from .models import CustomField

        _definitions.connect(CustomField)
