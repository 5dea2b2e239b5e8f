"""Background jobs of the SLA engine: firing warnings and escalations, re-planning after calendar edits."""

import datetime

from django_tasks import task

from loopdesk.core.scheduler import every


@task()
def fire_sla_escalations() -> int:
    """Fire every warning, escalation and breach whose moment has come (clocks' next_action_at)."""
    from .escalations import fire_due

    return fire_due()


@task()
def replan_calendar_clocks(calendar_id: int) -> int:
    """Re-plan the running clocks on a calendar after it was edited."""
    from .replan import replan_calendar

    return replan_calendar(calendar_id)


every(datetime.timedelta(seconds=30), fire_sla_escalations)
