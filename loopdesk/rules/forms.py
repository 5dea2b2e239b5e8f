"""The rule editor: plain fields plus JSON text areas for the conditions and the actions."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Trigger

EXAMPLE_CONDITIONS = '{"all": [{"field": "customer.vip", "op": "ge", "value": 2}]}'
EXAMPLE_ACTIONS = '[{"type": "set_priority", "value": 2}]'


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Trigger.choices)
    order = forms.IntegerField(label=_("Order"), initial=100, min_value=-1_000_000, max_value=1_000_000,
                               help_text=_("Rules run from the lowest order up."))
    interval_minutes = forms.IntegerField(label=_("Interval (minutes)"), required=False, min_value=5,
                                          help_text=_("Scheduled rules only."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    stop_processing = forms.BooleanField(label=_("Stop processing further rules when this one fires"),
                                         required=False)
    conditions = forms.CharField(
        label=_("Conditions (JSON)"), required=False, initial="{}",
        widget=forms.Textarea(attrs={"rows": 12, "class": "json", "spellcheck": "false"}),
        help_text=_("A condition tree; {} always holds. Example: %(example)s") % {"example": EXAMPLE_CONDITIONS},
    )
    actions = forms.CharField(
        label=_("Actions (JSON)"), initial="[]",
        widget=forms.Textarea(attrs={"rows": 10, "class": "json", "spellcheck": "false"}),
        help_text=_("A list of actions. Example: %(example)s") % {"example": EXAMPLE_ACTIONS},
    )

    def values(self) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The rule's values and the JSON syntax errors (keyed like the service's errors)."""
        data = dict(self.cleaned_data)
        errors: dict[str, list[str]] = {}
        for key, empty in (("conditions", {}), ("actions", [])):
            raw = (data.get(key) or "").strip()
            try:
                data[key] = json.loads(raw) if raw else empty
            except json.JSONDecodeError as exc:
                errors[key] = [_("Not valid JSON: %(error)s (line %(line)d, column %(col)d).")
                               % {"error": exc.msg, "line": exc.lineno, "col": exc.colno}]
        if data.get("trigger") != Trigger.SCHEDULED:
            data["interval_minutes"] = None
        data["description"] = data.get("description") or ""
        return data, errors


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


class DryRunForm(forms.Form):
    numbers = forms.CharField(
        label=_("Ticket numbers"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Separated by spaces, commas or new lines."),
    )
    queue = forms.ChoiceField(
        label=_("Or the latest tickets of a queue"), required=False,
        choices=[("", "—"), ("open", _("Open tickets")), ("unassigned", _("Unassigned open tickets")),
                 ("all", _("All tickets"))],
    )
    limit = forms.IntegerField(label=_("How many"), min_value=1, max_value=50, initial=10, required=False)
    rule = forms.TypedChoiceField(label=_("Rule"), coerce=int, required=False, empty_value=None)
