from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "loopdesk.rules"
    label = "rules"
    verbose_name = _("Automation rules")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from loopdesk.sla.signals import clock_breached, clock_warning
        from loopdesk.tickets.signals import ticket_creating, ticket_event, tickets_created

        from . import engine, tasks  # noqa: F401 - registers the scheduled job
        from .models import Rule

        post_save.connect(engine.invalidate, sender=Rule, dispatch_uid="rules.invalidate.save")
        post_delete.connect(engine.invalidate, sender=Rule, dispatch_uid="rules.invalidate.delete")
        ticket_event.connect(engine.on_ticket_event, dispatch_uid="rules.ticket_event")
        ticket_creating.connect(engine.on_tickets_creating, dispatch_uid="rules.tickets_creating")
        tickets_created.connect(engine.on_tickets_created, dispatch_uid="rules.tickets_created")
        clock_warning.connect(engine.on_clock_warning, dispatch_uid="rules.clock_warning")
        clock_breached.connect(engine.on_clock_breached, dispatch_uid="rules.clock_breached")
