"""Forms of the staff customer pages. They only parse input; the services decide and write.

Also the two helpers every htmx form view of the customer pages shares: turning a service's
`DomainError` into inline form errors, and answering with the form (fragment or full page).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_htmx.http import reswap, retarget

from loopdesk.accounts.models import User
from loopdesk.accounts.roles import Role
from loopdesk.accounts.scope import scope_for
from loopdesk.core.customfields import definitions
from loopdesk.core.errors import DomainError
from loopdesk.core.models import CustomField
from loopdesk.orgs.models import Organization

from .models import Company

CF_PREFIX = "cf_"


def branches_for(user):
    """The internal organisations `user` may file customers under (their own subtree, or all)."""
    scope = scope_for(user)
    orgs = Organization.objects.internal().filter(active=True)
    return orgs if scope.all else orgs.filter(id__in=scope.org_ids)


class CustomerFilterForm(forms.Form):
    """The filters above the customer list."""

    q = forms.CharField(label=_("Search"), required=False)
    branch = forms.ModelChoiceField(label=_("Serving branch"), queryset=Organization.objects.none(), required=False,
                                    empty_label=_("All branches"))
    vip = forms.TypedChoiceField(label=_("VIP level"), required=False, coerce=int, empty_value=None,
                                 choices=[("", _("All levels")), *Company.Vip.choices])

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches_for(user)


def _custom_form_field(definition: CustomField) -> forms.Field:
    """A form field for an administrator-defined custom field; the service validates the value."""
    common = {"label": definition.label, "required": definition.required}
    kind = definition.kind
    if kind == CustomField.Kind.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common)
    if kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *[(str(c), str(c)) for c in definition.choices]], **common)
    if kind == CustomField.Kind.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomField.Kind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(max_length=definition.max_length, **common)


class CompanyForm(forms.Form):
    """Edit a customer company, including its custom fields."""

    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Customer code"), max_length=32)
    org = forms.ModelChoiceField(label=_("Serving branch"), queryset=Organization.objects.none())
    vip_level = forms.TypedChoiceField(label=_("VIP level"), coerce=int, choices=Company.Vip.choices)
    industry = forms.CharField(label=_("Industry"), max_length=64, required=False)
    region = forms.CharField(label=_("Region"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    designated_engineer = forms.ModelChoiceField(label=_("Designated engineer"), queryset=User.objects.none(),
                                                 required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, user, company: Company, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "name": company.name, "code": company.code, "org": company.org_id, "vip_level": company.vip_level,
            "industry": company.industry, "region": company.region, "phone": company.phone,
            "designated_engineer": company.designated_engineer_id, "notes": company.notes,
            **{CF_PREFIX + k: _initial_custom(v) for k, v in company.custom_fields.items()},
        })
        super().__init__(*args, **kwargs)
        # The current branch stays selectable even if the editor's scope is narrower (e.g. a partner).
        self.fields["org"].queryset = Organization.objects.filter(
            Q(pk__in=branches_for(user).values("pk")) | Q(pk=company.org_id))
        engineers = User.objects.filter(
            is_active=True, memberships__role__in=[Role.ENGINEER, Role.FIELD_ENGINEER])
        scope = scope_for(user)
        if not scope.all:
            engineers = engineers.filter(memberships__organization_id__in=scope.org_ids)
        self.fields["designated_engineer"].queryset = User.objects.filter(
            Q(pk__in=engineers.values("pk")) | Q(pk=company.designated_engineer_id)).order_by("username")
        for definition in definitions(CustomField.Target.CUSTOMER):
            self.fields[CF_PREFIX + definition.key] = _custom_form_field(definition)

    def service_values(self) -> dict[str, Any]:
        """Keyword arguments for customers.services.update_company."""
        data = dict(self.cleaned_data)
        custom = {k[len(CF_PREFIX):]: data.pop(k) for k in list(data) if k.startswith(CF_PREFIX)}
        return {**data, "custom_fields": custom}


def _initial_custom(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class ContactForm(forms.Form):
    """Add or edit a contact person."""

    name = forms.CharField(label=_("Full name"), max_length=64)
    title = forms.CharField(label=_("Job title"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)

    def __init__(self, *args: Any, contact=None, **kwargs: Any) -> None:
        if contact is not None:
            kwargs.setdefault("initial", {f: getattr(contact, f) for f in
                                          ("name", "title", "phone", "mobile", "email", "is_primary")})
        super().__init__(*args, **kwargs)


class SiteForm(forms.Form):
    """Add an address of the customer."""

    name = forms.CharField(label=_("Name"), max_length=128)
    province = forms.CharField(label=_("Province"), max_length=32, required=False)
    city = forms.CharField(label=_("City"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)


def apply_domain_errors(form: forms.Form, error: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: per field where the form has that field, else on top."""
    aliases = aliases or {}
    for key, messages in error.fields.items():
        name = aliases.get(key, key)
        if name.startswith("custom_fields."):
            name = CF_PREFIX + name[len("custom_fields."):]
        elif name.endswith("_id") and name not in form.fields:
            name = name.removesuffix("_id")  # services name foreign keys as the API does ("site_id")
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.detail)


def form_response(request, *, fragment: str, context: dict[str, Any], slot: str, status: int = 200) -> HttpResponse:
    """Answer with the form: as an htmx fragment swapped into `slot`, or as a full page.

    htmx does not swap 4xx answers by default, so a refused htmx form comes back as 200 and is
    retargeted into its slot; a plain browser post gets the real status (403, 422) with the full page.
    """
    if request.htmx:
        response = render(request, fragment, context)
        return reswap(retarget(response, slot), "innerHTML")
    return render(request, "customers/form_page.html", {**context, "fragment": fragment}, status=status)
