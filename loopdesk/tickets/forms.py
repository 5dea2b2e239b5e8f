"""Forms of the agent workspace. They only parse input; the services validate the domain rules and
their DomainErrors are mapped back onto the form fields with `apply_domain_error`."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loopdesk.accounts.models import Group, Membership, User
from loopdesk.accounts.roles import Role
from loopdesk.assets.models import Asset
from loopdesk.core.caches import ProcessCache
from loopdesk.core.customfields import definitions
from loopdesk.core.errors import DomainError
from loopdesk.core.models import CustomField
from loopdesk.customers.models import Contact
from loopdesk.orgs.models import Organization
from loopdesk.workflows.services import state_choices

from .choices import Channel, Level, LinkKind, Priority, Responsibility, Status, TicketType
from .models import Category

CF_PREFIX = "cf_"
_CF_KEY = re.compile(r"^[-\w]{1,64}$")


class Form(forms.Form):
    """Labels sit above their fields, so no trailing colon (":" reads wrong next to Chinese)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _blank(label) -> list[tuple[str, Any]]:
    return [("", label)]


def staff_users():
    """People who can be assigned: active users with at least one non-customer role."""
    return (
        User.objects.filter(is_active=True, memberships__role__in=[r for r in Role.values if r != Role.CUSTOMER])
        .distinct()
        .order_by("display_name", "username")
        .only("id", "username", "display_name", "first_name", "last_name")  # what a choice label shows
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class ContactChoiceField(forms.ModelChoiceField):
    """The customer is already chosen: label a contact by name and phone (no query per option)."""

    def label_from_instance(self, obj):
        phone = obj.phone or obj.mobile
        return f"{obj.name} · {phone}" if phone else obj.name


# --- the queue ------------------------------------------------------------------------------------

class QueueFilterForm(Form):
    """The queue's GET parameters. Invalid values are dropped rather than failing the page."""

    TABS = (
        ("mine", _("Mine")),
        ("groups", _("My groups'")),
        ("unassigned", _("Unassigned")),
        ("all", _("All I may see")),
    )
    SORTS = (
        ("updated", _("Last updated")),
        ("created", _("Created")),
        ("priority", _("Priority")),
        ("due", _("Time to breach")),
    )
    DUE = (
        ("", _("Any time to breach")),
        ("breached", _("Breached")),
        ("1h", _("Breaches within 1 h")),
        ("4h", _("Breaches within 4 h")),
    )

    tab = forms.ChoiceField(choices=TABS, required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Title or number"), required=False, max_length=200)
    STATUS_SCOPES = (("open", _("Open")), ("all", _("All statuses")))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[*STATUS_SCOPES, *Status.choices])
    type = forms.ChoiceField(label=_("Type"), required=False, choices=_blank(_("All types")) + TicketType.choices)
    priority = forms.TypedChoiceField(
        label=_("Priority"), required=False, coerce=int, empty_value=None,
        choices=_blank(_("All priorities")) + Priority.choices,
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(_("All channels")) + Channel.choices)
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None)
    assignee = forms.CharField(label=_("Assignee"), required=False, max_length=20)
    customer = forms.IntegerField(label=_("Customer"), required=False, min_value=1, widget=forms.HiddenInput)
    cf = forms.CharField(
        label=_("Custom field"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("key=value")}),
    )
    due = forms.ChoiceField(label=_("Time to breach"), required=False, choices=DUE)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)
    cursor = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain lists, one query each: ModelChoiceField would open a server-side cursor per select.
        self.fields["category"].choices = _blank(_("All categories")) + list(
            Category.objects.values_list("id", "full_name")
        )
        self.fields["group"].choices = _blank(_("All groups")) + list(
            Group.objects.filter(active=True).values_list("id", "name")
        )
        # Every state of the workflows in use (e.g. a work order's "waiting for parts"), not only the built-in ones.
        self.fields["status"].choices = [*self.STATUS_SCOPES, *(state_choices() or Status.choices)]

    def clean_assignee(self) -> str:
        value = self.cleaned_data["assignee"].strip()
        return value if value in ("", "me", "none") or value.isdigit() else ""

    def clean_cf(self) -> tuple[str, str] | None:
        raw = self.cleaned_data["cf"].strip()
        if not raw:
            return None
        key, sep, value = raw.partition("=")
        key = key.strip()
        # "__" would reach Django's lookup syntax (custom_fields__a__regex): keys are plain slugs.
        if not sep or not _CF_KEY.match(key) or "__" in key:
            raise forms.ValidationError(_("Write key=value, e.g. region=华北."))
        return key, value.strip()

    def params(self) -> dict[str, Any]:
        """The cleaned filters, with invalid ones dropped (a bad link still shows a queue)."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        data["tab"] = data.get("tab") or "all"
        data["status"] = data.get("status") or "open"
        data["sort"] = data.get("sort") or "updated"
        return data


# --- custom fields --------------------------------------------------------------------------------

def custom_field_formfield(definition: CustomField) -> forms.Field:
    """A form field for an administrator-defined custom field (values are validated by the service)."""
    kind, K = definition.kind, CustomField.Kind
    common = {"label": definition.label, "required": False}
    if kind == K.CHOICE:
        return forms.ChoiceField(choices=_blank("—") + [(str(c), str(c)) for c in definition.choices], **common)
    if kind == K.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common)
    if kind == K.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == K.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(max_length=definition.max_length, **common)


def _initial_cf(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class CustomFieldsMixin:
    """Adds one `cf_<key>` field per custom field that applies to the ticket type."""

    def add_custom_fields(self, ticket_type: str, values: dict | None = None) -> None:
        self.custom_definitions = definitions("ticket", ticket_type)
        for d in self.custom_definitions:
            field = custom_field_formfield(d)
            if d.required:
                field.widget.attrs["data-required"] = "1"
                field.label = f"{d.label} *"
            if values and d.key in values:
                field.initial = _initial_cf(values[d.key])
            self.fields[CF_PREFIX + d.key] = field

    def custom_values(self) -> dict[str, Any]:
        return {
            d.key: self.cleaned_data.get(CF_PREFIX + d.key)
            for d in self.custom_definitions
            if self.cleaned_data.get(CF_PREFIX + d.key) not in (None, "")
        }

    def custom_changes(self) -> dict[str, Any]:
        """Every custom field of the form, an emptied one as None (an edit clears it)."""
        values = {d.key: self.cleaned_data.get(CF_PREFIX + d.key) for d in self.custom_definitions}
        return {key: None if value in (None, "") else value for key, value in values.items()}

    def custom_bound_fields(self):
        return [self[CF_PREFIX + d.key] for d in self.custom_definitions]


# --- creating and editing -------------------------------------------------------------------------

class TicketFieldsForm(CustomFieldsMixin, Form):
    """The fields an agent fills in when recording a request or editing one."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    category = forms.ModelChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.filter(active=True), empty_label="—"
    )
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Level.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Level.choices, coerce=int)
    priority = forms.TypedChoiceField(
        label=_("Priority"), required=False, coerce=int, empty_value=None,
        choices=_blank(_("Computed from impact × urgency")) + Priority.choices,
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    contact = ContactChoiceField(label=_("Contact"), required=False, queryset=Contact.objects.none(), empty_label="—")
    asset = forms.ModelChoiceField(label=_("Asset"), required=False, queryset=Asset.objects.none(), empty_label="—")

    def __init__(self, *args, company, ticket_type: str, custom_values: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["contact"].queryset = Contact.objects.filter(company=company).order_by("name")
        self.fields["asset"].queryset = Asset.objects.filter(company=company).select_related(
            "product_version__product"
        )
        self.add_custom_fields(ticket_type, custom_values)


class TicketCreateForm(TicketFieldsForm):
    """Recording a request taken by phone (or any channel) for a chosen customer."""

    group = forms.ModelChoiceField(
        label=_("Assignment group"), required=False, queryset=Group.objects.filter(active=True), empty_label="—"
    )
    assignee = StaffChoiceField(label=_("Assignee"), required=False, queryset=User.objects.none(), empty_label="—")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("channel", Channel.PHONE)
        kwargs["initial"].setdefault("impact", Level.MEDIUM)
        kwargs["initial"].setdefault("urgency", Level.MEDIUM)
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()


class TicketEditForm(TicketFieldsForm):
    """Editing a ticket's fields; the priority is sent only when the agent overrides it."""

    responsibility = forms.ChoiceField(
        label=_("Responsibility"), required=False, choices=_blank("—") + Responsibility.choices
    )


# --- actions on the ticket page -------------------------------------------------------------------

class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReplyForm(Form):
    body = forms.CharField(label=_("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    internal = forms.BooleanField(label=_("Internal note (not shown to the customer)"), required=False)
    files = MultipleFileField(label=_("Attachments"), required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            self.add_error("body", _("Write something or attach a file."))
        return data


class TransitionForm(Form):
    """A step of the ticket's workflow: the target state (a state key of its workflow version) and
    whatever the step's form asks for (resolution, responsibility, custom fields `cf.<key>`)."""

    to = forms.CharField(max_length=24)
    resolution = forms.CharField(
        label=_("Resolution (needed to resolve)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    comment = forms.CharField(label=_("Reply to the customer (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    responsibility = forms.ChoiceField(
        label=_("responsibility"), required=False, choices=[("", "—"), *Responsibility.choices]
    )

    def workflow_fields(self, ticket: Any, to: str) -> dict[str, Any]:
        """The values for the fields the step to `to` asks for (other inputs of the panel are left out)."""
        from .services.lifecycle import available_transitions

        asked = next((o.form for o in available_transitions(ticket, actor=None, customer=False) if o.to == to), ())
        out: dict[str, Any] = {}
        for name in asked:
            if name == "responsibility" and self.cleaned_data.get("responsibility"):
                out[name] = self.cleaned_data["responsibility"]
            elif name.startswith("cf.") and (self.data.get(name) or "").strip():
                out[name] = self.data[name].strip()
        return out


# The assignment form's option lists, shared by every ticket page for a few seconds: building them
# from the three querysets cost more than the rest of the page. The fields keep their querysets, so a
# submitted choice is still checked against the database.
_assign_choices = ProcessCache("tickets.assign_choices", ttl=10.0)
_assign_choices.connect(Group, User, Membership, Organization)
ASSIGN_FIELDS = ("group", "assignee", "partner")


class AssignForm(Form):
    group = forms.ModelChoiceField(
        label=_("Assignment group"), required=False, queryset=Group.objects.filter(active=True), empty_label="—"
    )
    assignee = StaffChoiceField(label=_("Assignee"), required=False, queryset=User.objects.none(), empty_label="—")
    partner = forms.ModelChoiceField(
        label=_("Dispatch to partner"), required=False, queryset=Organization.objects.partners().filter(active=True),
        empty_label="—",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()

        def load() -> dict[str, list[tuple[str, str]]]:  # the fields' own options, as plain strings
            return {name: [(str(value), label) for value, label in self.fields[name].choices] for name in ASSIGN_FIELDS}

        for name, choices in _assign_choices.get("all", load).items():
            self.fields[name].choices = choices


class LinkForm(Form):
    prefix = "link"  # the merge form on the same page also has a `number`
    number = forms.CharField(label=_("Ticket number"), max_length=24)
    kind = forms.ChoiceField(label=_("Link type"), choices=LinkKind.choices)


class MergeForm(Form):
    prefix = "merge"
    number = forms.CharField(label=_("Merge into ticket number"), max_length=24)


class CustomerFindForm(Form):
    find = forms.CharField(label=_("Find a customer"), required=False, max_length=100)


# --- errors ---------------------------------------------------------------------------------------

def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's error messages on the matching form fields (`contact_id` → `contact`,
    `custom_fields.x` → `cf_x`, `target_id` → `number`); the rest become form-wide errors."""
    aliases = {"target": "number", "source": None, "file": "files"}
    placed = False
    for key, messages in error.fields.items():
        name = key.removesuffix("_id")
        if name.startswith("custom_fields."):
            name = CF_PREFIX + name.split(".", 1)[1]
        name = aliases.get(name, name)
        if name and name in form.fields:
            form.add_error(name, messages)
            placed = True
        else:
            form.add_error(None, messages)
            placed = True
    if not placed or error.detail != str(type(error).title):
        form.add_error(None, error.detail)
