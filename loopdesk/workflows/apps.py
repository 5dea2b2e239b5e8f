from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "loopdesk.workflows"
    label = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from loopdesk.core.reference import register

        from .flow import forget
        from .models import WorkflowVersion
        from .services import ensure_defaults

        register(ensure_defaults)

        def drop_cached(sender, instance, **kwargs):
            forget(instance.pk)

        post_save.connect(drop_cached, sender=WorkflowVersion, weak=False, dispatch_uid="workflows.forget_save")
        post_delete.connect(drop_cached, sender=WorkflowVersion, weak=False, dispatch_uid="workflows.forget_del")
