"""The form that records an installation of a product at a customer (the installed base)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Asset, ProductVersion


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProductVersion) -> str:
        return f"{obj.product.name} {obj.version}"


class AssetForm(forms.Form):
    """Add an asset: which product version, where, with which serial or licence number."""

    product_version = VersionChoiceField(label=_("Product version"), queryset=ProductVersion.objects.none())
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False)
    serial = forms.CharField(label=_("Serial / licence number"), max_length=64, required=False)
    installed_on = forms.DateField(label=_("Installed on"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    licences = forms.IntegerField(label=_("Licences"), min_value=1, initial=1)
    status = forms.ChoiceField(label=_("Status"), choices=Asset.Status.choices, initial=Asset.Status.ACTIVE)

    def __init__(self, *args: Any, company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_version"].queryset = (
            ProductVersion.objects.filter(product__active=True).select_related("product")
            .order_by("product__name", "version")
        )
        self.fields["site"].queryset = company.sites.order_by("name")
