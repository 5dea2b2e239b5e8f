"""Forms of the contract pages. They only parse input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loopdesk.accounts.models import User
from loopdesk.accounts.roles import Role

from .models import Contract, Entitlement, ServiceProduct

DATE = forms.DateInput(attrs={"type": "date"})


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    level = forms.ChoiceField(label=_("Level"), required=False, choices=[("", _("All levels")), *Contract.Level.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Contract.Status.choices])
    company = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ContractForm(forms.Form):
    """A new contract. The customer is named by its code (there are too many for a list)."""

    company_code = forms.CharField(label=_("Customer code"), max_length=32)
    number = forms.CharField(label=_("Contract number"), max_length=64)
    level = forms.ChoiceField(label=_("Level"), choices=Contract.Level.choices)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    overage = forms.ChoiceField(label=_("When the entitlement is used up"), choices=Contract.Overage.choices)
    designated_engineer: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Designated engineer"), required=False, queryset=User.objects.none())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True, memberships__role__in=[
            Role.ENGINEER, Role.FIELD_ENGINEER, Role.MANAGER]).distinct().order_by("display_name", "username")
        self.fields["designated_engineer"].queryset = staff  # type: ignore[attr-defined]


class ContractEditForm(ContractForm):
    """Changing a contract's terms (its number and customer stay)."""

    status = forms.ChoiceField(label=_("Status"), choices=Contract.Status.choices)

    field_order = ["level", "status", "starts_on", "ends_on", "overage", "designated_engineer", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["company_code"], self.fields["number"]


class EntitlementForm(forms.Form):
    product_code = forms.ChoiceField(label=_("Service product"), choices=())
    quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=0, max_value=100000,
                                  help_text=_("Empty means unlimited."))
    period = forms.ChoiceField(label=_("Period"), choices=Entitlement.Period.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_code"].choices = [  # type: ignore[attr-defined]
            (p.code, f"{p.name} ({p.get_unit_display()})") for p in ServiceProduct.objects.filter(active=True)
        ]
