"""A ticket's timeline: history events, comments and attachments merged in time order.

A fixed number of queries whatever the length of the history: one each for events, comments and
attachments, plus one per kind of related object named in field changes (to show names, not ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loopdesk.accounts.models import User
from loopdesk.assets.models import Asset
from loopdesk.customers.models import Contact

from ..choices import LinkKind
from ..models import Attachment, Event, Ticket, reference_rows
from ..services.lifecycle import status_labels

# Related objects a change can name, by field: model and how to fetch it cheaply.
_RELATED: dict[str, Any] = {
    "contact": Contact.objects.select_related("company"),
    "asset": Asset.objects.select_related("product_version__product"),
    "assignee": User.objects.all(),
}
_REFERENCES = {"category": "category", "group": "group", "partner_org": "org"}  # field → reference_rows()
# Events already shown as their comment or attachment entry.
_SHOWN_ELSEWHERE = {Event.Kind.COMMENTED, Event.Kind.ATTACHED}
_LONG_TEXT = {"description", "resolution"}


@dataclass
class Entry:
    kind: str  # "event", "comment" or "attachment"
    at: Any
    internal: bool
    actor: Any
    obj: Any
    text: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def _display(name: str, value: Any, names: dict[str, dict[Any, str]]) -> str:
    if value in (None, "", []):
        return "—"
    if name in names:
        return names[name].get(value, f"#{value}")
    try:
        model_field = Ticket._meta.get_field(name)
    except Exception:  # a field removed since the event was written
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    text = str(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _field_label(name: str) -> str:
    if name.startswith("custom_fields"):
        return _("custom fields")
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _resolve_names(events: list[Event]) -> dict[str, dict[Any, str]]:
    wanted: dict[str, set] = {}
    for event in events:
        for name, pair in event.changes.items():
            if name in _RELATED or name in _REFERENCES:
                wanted.setdefault(name, set()).update(v for v in pair if isinstance(v, int))
    names: dict[str, dict[Any, str]] = {}
    # Categories, groups and organisations from the per-process reference cache; one query per other model.
    for name, ids in wanted.items():
        if name in _REFERENCES:
            rows = reference_rows(_REFERENCES[name]).rows()
            names[name] = {pk: str(rows[pk]) for pk in ids if pk in rows}
        else:
            names[name] = {obj.pk: str(obj) for obj in _RELATED[name].filter(pk__in=ids)}
    return names


def _changes(event: Event, names) -> list[tuple[str, str, str]]:
    rows = []
    for name, pair in event.changes.items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if name == "custom_fields" and isinstance(new, dict):
            for key, value in new.items():
                before = (old or {}).get(key) if isinstance(old, dict) else None
                if before != value:
                    rows.append((key, str(before if before is not None else "—"), str(value)))
            continue
        if name in _LONG_TEXT:
            rows.append((_field_label(name), "", _("edited")))
            continue
        rows.append((_field_label(name), _display(name, old, names), _display(name, new, names)))
    return rows


def _event_text(event: Event) -> str:
    d, K = event.data, Event.Kind
    if event.kind == K.CREATED:
        return _("created the ticket (channel: %(channel)s)") % {"channel": _display("channel", d.get("channel"), {})}
    if event.kind == K.STATUS:
        if d.get("reason") == "auto_close":
            return _("closed automatically: nobody answered after the resolution")
        if d.get("reason") == "customer_reply":
            return _("resumed by the customer's reply")
        return _("changed the status")
    if event.kind == K.LINKED or event.kind == K.UNLINKED:
        kind = str(dict(LinkKind.choices).get(d.get("kind"), d.get("kind")))
        if event.kind == K.UNLINKED:
            return _("removed the link “%(kind)s” with %(other)s") % {"kind": kind, "other": d.get("other", "")}
        if d.get("outgoing"):
            return _("linked: this ticket %(kind)s %(other)s") % {"kind": kind, "other": d.get("other", "")}
        return _("linked: %(other)s %(kind)s this ticket") % {"kind": kind, "other": d.get("other", "")}
    if event.kind == K.MERGED:
        if d.get("into"):
            return _("merged into %(number)s") % {"number": d["into"]}
        return _("merged %(number)s into this ticket") % {"number": d.get("from", "")}
    if event.kind == K.WATCHERS:
        if d.get("watching"):
            return _("%(user)s started watching") % {"user": d.get("user", "")}
        return _("%(user)s stopped watching") % {"user": d.get("user", "")}
    if event.kind == K.ASSIGNED:
        return _("changed the assignment")
    if event.kind == K.SLA:
        parts = [
            f"{_SLA_METRICS.get(c.get('metric'), c.get('metric'))} ({str(c.get('kind', '')).upper()}) "
            f"{_SLA_EVENTS.get(c.get('event'), c.get('event'))}"
            for c in d.get("clocks", []) if isinstance(c, dict)
        ]
        return _("service levels: %(what)s") % {"what": "; ".join(parts) or "—"}
    if event.kind == K.RULE:
        return _("rule “%(rule)s” applied") % {"rule": d.get("rule", "")}
    if event.kind == K.WORKFLOW:
        return _("moved to version %(version)s of its workflow") % {"version": d.get("to_version", "")}
    if event.kind == K.INTEGRATION:
        return str(d.get("text") or _("external system"))
    return _("changed fields")


# The words of other apps' timeline entries (loopdesk.sla writes the keys; tickets cannot import it).
_SLA_METRICS = {
    "first_response": gettext_lazy("first response"), "next_update": gettext_lazy("next update"), "resolution": gettext_lazy("resolution"),
    "onsite_arrival": gettext_lazy("on-site arrival"),
}
_SLA_EVENTS = {
    "started": gettext_lazy("started"), "paused": gettext_lazy("paused"), "resumed": gettext_lazy("resumed"), "stopped": gettext_lazy("stopped"),
    "restarted": gettext_lazy("restarted"), "continued": gettext_lazy("continued"), "retargeted": gettext_lazy("re-targeted"),
    "replanned": gettext_lazy("re-planned"), "warned": gettext_lazy("warning"), "breached": gettext_lazy("breached"), "escalated": gettext_lazy("escalated"),
}


def build_timeline(ticket: Ticket, *, internal: bool) -> list[Entry]:
    """All entries the viewer may see, oldest first; `internal=False` hides internal ones."""

    def visible(qs: models.QuerySet) -> models.QuerySet:
        return qs if internal else qs.filter(internal=False)

    events = [e for e in visible(ticket.events.select_related("actor")) if e.kind not in _SHOWN_ELSEWHERE]
    comments = list(visible(ticket.comments.select_related("author")))
    attachments = list(visible(ticket.attachments.select_related("uploaded_by")))
    names = _resolve_names(events)
    names["status"] = status_labels(ticket, {k for e in events for k in (e.changes.get("status") or ())})
    entries = [
        Entry("event", e.at, e.internal, e.actor, e, text=_event_text(e), changes=_changes(e, names))
        for e in events
    ]
    by_comment = {c.pk: Entry("comment", c.created_at, c.internal, c.author, c) for c in comments}
    entries += by_comment.values()
    for a in attachments:
        if a.comment_id in by_comment:
            by_comment[a.comment_id].attachments.append(a)
        else:
            entries.append(Entry("attachment", a.created_at, a.internal, a.uploaded_by, a, attachments=[a]))
    order = {"event": 0, "comment": 1, "attachment": 2}
    entries.sort(key=lambda e: (e.at, order[e.kind], e.obj.pk))
    return entries

