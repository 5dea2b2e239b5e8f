"""Panels other apps add to the ticket page (SLA clocks, agent assist, workflow diagram, …).

An app registers a URL name taking the ticket's `pk`; the page loads it with htmx when it opens and
again whenever an action changes the ticket (the `ticket-changed` event). The view behind the URL
checks visibility itself (`tickets.views.common.visible_ticket`), like every ticket view.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Panel:
    key: str  # the element id is "panel-<key>"
    url_name: str
    title: str | Promise
    column: str = "side"  # "main" (under the timeline) or "side"
    order: int = 100
    staff_only: bool = True


_registry: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _registry[panel.key] = panel


def panels(column: str, *, customer: bool = False) -> list[Panel]:
    found = [p for p in _registry.values() if p.column == column and not (customer and p.staff_only)]
    return sorted(found, key=lambda p: (p.order, p.key))
