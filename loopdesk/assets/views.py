"""Staff forms for a customer's installed base, shown as a section of the customer page."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loopdesk.customers.views import assets_context, handle_form, staff_only, visible_company

from . import services
from .forms import AssetForm


@staff_only
@require_http_methods(["GET", "POST"])
def asset_add(request, pk: int):
    """Record that the customer `pk` runs a product version (optionally at one of its sites)."""
    company = visible_company(request, pk)
    form = AssetForm(request.POST or None, company=company)

    def save():
        values = dict(form.cleaned_data)
        if values["site"] is None:
            values.pop("site")
        return services.create_asset(actor=request.user, company=company, **values)

    return handle_form(
        request, company=company, form=form, save=save,
        section="assets", section_template="assets/_assets.html", section_context=assets_context,
        title=_("Add asset"), success=_("Asset added."),
    )
