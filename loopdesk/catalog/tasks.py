"""Background jobs of the catalogue: proactive inspection work orders."""

import datetime

from django_tasks import task

from loopdesk.core.scheduler import every

from .inspections import generate_inspections


@task()
def generate_inspection_work_orders() -> int:
    """Create the work orders of the inspection slots that are due."""
    return len(generate_inspections())


every(datetime.timedelta(hours=1), generate_inspection_work_orders)
