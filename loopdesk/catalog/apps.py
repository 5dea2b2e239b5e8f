from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "loopdesk.catalog"
    label = "catalog"
    verbose_name = _("Service catalogue and contracts")

    def ready(self) -> None:
        from loopdesk.core.reference import register

        from .seed import seed_products

        register(seed_products)
