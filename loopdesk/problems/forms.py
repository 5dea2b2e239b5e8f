"""Forms of the problem pages and the incident panel."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _


def numbers(value: str) -> list[str]:
    """Ticket numbers typed with spaces, commas or new lines between them."""
    return [n for n in re.split(r"[\s,，;；]+", value or "") if n]


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    incidents = forms.CharField(label=_("Incidents"), required=False,
                                help_text=_("Ticket numbers, separated by spaces or commas."))
    company = forms.CharField(label=_("Customer code"), required=False, max_length=32,
                              help_text=_("Needed only for a problem without incidents."))


class RecordForm(forms.Form):
    root_cause = forms.CharField(label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    workaround = forms.CharField(label=_("Workaround"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    known_error = forms.BooleanField(label=_("Known error"), required=False)


class LinkForm(forms.Form):
    number = forms.CharField(label=_("Incident number"), max_length=24)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))
    notify_incidents = forms.BooleanField(label=_("Reply to the open incidents"), required=False, initial=True)
    resolve_incidents = forms.BooleanField(label=_("Resolve the open incidents too"), required=False)
    reply = forms.CharField(label=_("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("Leave empty to send the workaround and the resolution."))


class RaiseForm(forms.Form):
    title = forms.CharField(label=_("Problem title"), max_length=200)
