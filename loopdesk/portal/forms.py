"""Forms of the portal. They parse and render; the services decide what is valid, and their
DomainError field names are mapped back onto these fields (`apply_domain_error`)."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from loopdesk.assets.models import Asset
from loopdesk.core.customfields import definitions
from loopdesk.core.errors import DomainError
from loopdesk.core.models import CustomField
from loopdesk.customers.models import Company
from loopdesk.knowledge.models import VoteReason
from loopdesk.tickets.choices import Level, TicketType

from .queries import assets_of, companies_of
from .words import PORTAL_TYPES, URGENCY_CHOICES

CF_PREFIX = "cf_"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern); the service checks each file."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def apply_domain_error(form: forms.Form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: field messages on their fields, the rest on top."""
    aliases = {"asset_id": "asset", "file": "attachments", "company_id": "company", **(aliases or {})}
    unplaced = not exc.fields
    for key, msgs in exc.fields.items():
        name = aliases.get(key, key)
        if name.startswith("custom_fields."):
            name = CF_PREFIX + name.split(".", 1)[1]
        if name not in form.fields:
            unplaced = True  # a field this form does not show: its message could confuse, the summary will do
            continue
        for msg in msgs:
            form.add_error(name, msg)
    if unplaced:
        form.add_error(None, exc.detail)


def _custom_field(defn: CustomField) -> forms.Field:
    """A form field for one custom field definition; values are validated by clean_custom_fields."""
    label = defn.label
    if defn.kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(label=label, required=False,
                                 choices=[("", "—")] + [(str(c), str(c)) for c in defn.choices])
    if defn.kind == CustomField.Kind.BOOLEAN:
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
    if defn.kind == CustomField.Kind.DATE:
        return forms.CharField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if defn.kind == CustomField.Kind.NUMBER:
        return forms.CharField(label=label, required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    return forms.CharField(label=label, required=False, max_length=defn.max_length)


class RequestForm(forms.Form):
    """A new request. `company` is offered only to a contact of several companies."""

    company = forms.ModelChoiceField(queryset=Company.objects.none(), label=_("Company"), empty_label=None)
    type = forms.ChoiceField(choices=PORTAL_TYPES, label=_("What kind of request is it?"), initial=TicketType.INCIDENT)
    asset = forms.ModelChoiceField(
        queryset=Asset.objects.none(), label=_("Product"), required=False, empty_label=_("Not about a particular product"),
    )
    title = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, what you expected, any error message, since when."),
    )
    urgency = forms.TypedChoiceField(
        choices=URGENCY_CHOICES, coerce=int, label=_("How urgent is it?"), initial=Level.MEDIUM,
    )
    attachments = MultipleFileField(
        label=_("Attachments"), help_text=_("Screenshots, logs or documents (optional)."),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        companies = companies_of(user)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]
        self.has_company = companies.exists()
        self.many_companies = companies.count() > 1
        if not self.many_companies:
            self.fields["company"].widget = forms.HiddenInput()
            self.fields["company"].initial = companies.first()
        assets = assets_of(user)
        self.fields["asset"].queryset = assets  # type: ignore[attr-defined]
        self.fields["asset"].label_from_instance = (  # type: ignore[attr-defined]
            (lambda a: f"{a.company.name} · {a}") if self.many_companies else str
        )
        # While the customer types, matching articles appear beside the form (deflection).
        suggest = {
            "hx-get": reverse_lazy("portal:suggest"), "hx-trigger": "keyup changed delay:400ms",
            "hx-target": "#suggestions", "hx-swap": "innerHTML", "hx-sync": "#new-request-form:replace",
            "hx-include": "#new-request-form [name=title], #new-request-form [name=description], "
                          "#new-request-form [name=asset], #new-request-form [name=company]",
        }
        self.fields["title"].widget.attrs.update(suggest, autocomplete="off")
        self.fields["description"].widget.attrs.update(suggest)
        self.custom_definitions = definitions(CustomField.Target.TICKET, self.selected_type())
        for defn in self.custom_definitions:
            field = _custom_field(defn)
            # Marked for the browser only; the service enforces "required" and names the field.
            if defn.required:
                field.widget.attrs["required"] = True
            self.fields[CF_PREFIX + defn.key] = field

    def selected_type(self) -> str:
        raw = (self.data.get("type") if self.is_bound else None) or self.initial.get("type") or TicketType.INCIDENT
        return raw if raw in dict(PORTAL_TYPES) else TicketType.INCIDENT

    def custom_field_names(self) -> list[str]:
        return [CF_PREFIX + d.key for d in self.custom_definitions]

    def custom_values(self) -> dict[str, str]:
        """The custom field inputs keyed by definition key, empty ones left out (the service checks
        which are required)."""
        values = {}
        for defn in self.custom_definitions:
            raw = self.cleaned_data.get(CF_PREFIX + defn.key)
            if raw not in (None, ""):
                values[defn.key] = raw
        return values


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reply_%s")  # unique ids: several forms share one page
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still not working?"), max_length=5_000, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reopen_%s")  # unique ids: several forms share one page
        super().__init__(*args, **kwargs)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw it? (optional)"), max_length=5_000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "withdraw_%s")  # unique ids: several forms share one page
        super().__init__(*args, **kwargs)


class ConfirmForm(forms.Form):
    """No input: pressing "Confirm" is the answer."""


class VoteForm(forms.Form):
    """Helpful or not; a "not helpful" vote may say why (a reason from the list) and add a remark."""

    helpful = forms.TypedChoiceField(choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1")
    reason = forms.ChoiceField(label=_("Why not?"), required=False, choices=[("", "—"), *VoteReason.choices],
                               widget=forms.RadioSelect)
    comment = forms.CharField(label=_("What was missing?"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "vote_%s")
        super().__init__(*args, **kwargs)
