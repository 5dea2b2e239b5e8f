"""Background jobs of the integrations app: deliver one webhook, and sweep the due ones."""

import datetime

from django_tasks import task

from loopdesk.core.scheduler import every

from . import services


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Try one delivery (no-op if it is not due, already done, or held by another worker)."""
    delivery = services.deliver(delivery_id)
    return delivery.status if delivery is not None else "skipped"


@task()
def deliver_due_webhooks() -> int:
    """Try every delivery whose next attempt is due (catches retries whose task was lost)."""
    return services.run_due()


every(datetime.timedelta(minutes=1), deliver_due_webhooks)
