from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "loopdesk.catalog"
    label = "catalog"
    verbose_name = _("Service catalogue and contracts")

    def ready(self) -> None:
        from loopdesk.core.reference import register
        from loopdesk.tickets.panels import Panel
        from loopdesk.tickets.panels import register as register_panel
        from loopdesk.tickets.signals import ticket_event

        from . import tasks  # noqa: F401  registers the inspection schedule
        from .seed import seed_products
        from .ticketing import give_back_on_cancel

        register(seed_products)
        ticket_event.connect(give_back_on_cancel, dispatch_uid="catalog.give_back_on_cancel")
        register_panel(Panel(key="entitlements", url_name="catalog:ticket_entitlements", title=_("Entitlements"),
                             column="side", order=20))
