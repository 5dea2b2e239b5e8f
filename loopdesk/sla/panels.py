"""The ticket page's "Service levels" panel (loopdesk.tickets.panels), registered from SlaConfig.ready."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loopdesk.tickets.panels import Panel, register

register(Panel(key="sla", url_name="sla:ticket_clocks", title=_("Service levels"), column="side", order=10))
