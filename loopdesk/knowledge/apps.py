from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "loopdesk.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from django.db.models.signals import post_save
        from django.utils.translation import gettext_lazy

        from loopdesk.assets.models import ProductVersion
        from loopdesk.tickets.panels import Panel, register

        from . import tasks  # noqa: F401  registers the periodic ticket indexing
        from .flags import on_product_version_saved

        post_save.connect(on_product_version_saved, sender=ProductVersion, dispatch_uid="knowledge.version_flags")
        register(Panel(key="knowledge", url_name="knowledge:ticket_panel", title=gettext_lazy("Knowledge"),
                       column="side", order=40))
