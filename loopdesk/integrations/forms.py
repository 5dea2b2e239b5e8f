"""Forms of the webhook pages and the ticket panel."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Delivery, EndpointKind, ExternalLink, WebhookEvent


class EndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=EndpointKind.choices)
    url = forms.CharField(label=_("URL"), max_length=500,
                          help_text=_("The receiver's address; messages are POSTed as signed JSON."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=WebhookEvent.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    timeout = forms.IntegerField(label=_("Timeout (seconds)"), min_value=1, max_value=60, initial=10)
    max_attempts = forms.IntegerField(label=_("Maximum attempts"), min_value=1, max_value=20, initial=8)


class RaiseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Raise"), choices=ExternalLink.Kind.choices)
    note = forms.CharField(label=_("Note for the other system"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *Delivery.Status.choices])
    endpoint = forms.IntegerField(required=False, widget=forms.HiddenInput)


def apply_domain_error(form: forms.Form, error) -> None:
    """Show a service's refusal on the form: field messages on their fields, the rest on top."""
    placed = False
    for name, messages in error.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
            placed = True
    if not placed or error.detail != str(error.title):
        form.add_error(None, error.detail)
