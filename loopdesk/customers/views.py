"""Staff pages for customers: the hotline's one-box search, the list, the customer page and its forms.

Every page reads through `Company.objects.visible_to(user)`, so a company outside the user's scope is a
404, and customer contacts (who have the portal) get 404 on all of them. Writes go through
customers.services; a refusal is shown on the form and changes nothing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from loopdesk.accounts.roles import Perm
from loopdesk.core.customfields import definitions
from loopdesk.core.errors import DomainError, Forbidden
from loopdesk.core.models import CustomField
from loopdesk.orgs.models import Organization

from . import services
from .forms import CompanyForm, ContactForm, CustomerFilterForm, SiteForm, apply_domain_errors, form_response
from .models import Company, find_customers

PAGE_SIZE = 50
RECENT_TICKETS = 10


def staff_only(view):
    """Signed-in staff who may view customers; anyone else (customer contacts included) gets a 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_customer_only or not user.can(Perm.CUSTOMER_VIEW):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def visible_company(request, pk: int) -> Company:
    """The company `pk` if the user may see it, else 404 (never reveal that it exists)."""
    companies = Company.objects.visible_to(request.user).select_related("org", "designated_engineer")
    return get_object_or_404(companies, pk=pk)


def require_edit(user) -> None:
    """Only roles with customer.edit change customers (partner agents and executives only read)."""
    if not user.can(Perm.CUSTOMER_EDIT):
        raise Forbidden(_("You may not change customer data."))


@staff_only
@require_GET
def search(request):
    """One box: company name or code, contact name, phone (first or last digits) or e-mail.

    An htmx request gets just the results (the search-as-you-type box and the top bar); a plain request
    the full page, or straight the customer page when a full phone number, e-mail or code names one customer.
    """
    q = request.GET.get("q", "").strip()[:100]
    hits = find_customers(request.user, q) if q else []
    # Restoring a pushed search from history needs the whole page, though htmx asks for it.
    partial = request.htmx and not request.htmx.history_restore_request
    if not partial and len(hits) == 1 and hits[0].exact:
        return redirect("customers:detail", pk=hits[0].company.pk)
    template = "customers/_search_results.html" if partial else "customers/search.html"
    return render(request, template, {"q": q, "hits": hits})


@staff_only
@require_GET
def company_list(request):
    """All visible customers, filtered by branch (with its service centres), VIP level and search text."""
    form = CustomerFilterForm(request.GET or None, user=request.user)
    companies = Company.objects.visible_to(request.user).select_related("org").order_by("name", "pk")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            companies = companies.search(data["q"])
        if data["branch"]:
            companies = companies.filter(org_id__in=Organization.objects.subtree_ids([data["branch"]]))
        if data["vip"] is not None:
            companies = companies.filter(vip_level=data["vip"])
    page = Paginator(companies, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/list.html", {"form": form, "page": page})


@staff_only
@require_GET
def company_detail(request, pk: int):
    """The customer page: fields and custom fields, contacts, sites, installed base, recent tickets."""
    company = visible_company(request, pk)
    context = {
        **company_card_context(request, company),
        **contacts_context(request, company),
        **sites_context(request, company),
        **assets_context(request, company),
        "tickets": recent_tickets(request, company),
        "new_ticket_url": _new_ticket_url(company),
    }
    return render(request, "customers/detail.html", context)


# --- Sections of the customer page, re-rendered alone after an htmx form succeeds. ------------------

def company_card_context(request, company: Company) -> dict:
    labels = {d.key: d for d in definitions(CustomField.Target.CUSTOMER)}
    custom = [(labels[k].label if k in labels else k, _display_custom(v)) for k, v in company.custom_fields.items()]
    return {"company": company, "custom_values": custom, "can_edit": request.user.can(Perm.CUSTOMER_EDIT)}


def contacts_context(request, company: Company) -> dict:
    return {"company": company, "contacts": list(company.contacts.order_by("-is_primary", "name", "pk")),
            "can_edit": request.user.can(Perm.CUSTOMER_EDIT)}


def sites_context(request, company: Company) -> dict:
    return {"company": company, "sites": list(company.sites.order_by("name", "pk")),
            "can_edit": request.user.can(Perm.CUSTOMER_EDIT)}


def assets_context(request, company: Company) -> dict:
    assets = company.assets.select_related("product_version__product", "site").order_by("status", "-installed_on", "pk")
    return {"company": company, "assets": list(assets), "can_edit": request.user.can(Perm.CUSTOMER_EDIT)}


def recent_tickets(request, company: Company) -> list:
    """The customer's latest tickets that the user may see (through the reverse relation, so this lower
    app needs no import of tickets; the manager is the tickets app's own scoped queryset)."""
    related = getattr(company, "tickets", None)
    if related is None:
        return []
    return list(related.visible_to(request.user).select_related("assignee").order_by("-created_at")[:RECENT_TICKETS])


def _new_ticket_url(company: Company) -> str | None:
    try:
        return f"{reverse('tickets:new')}?company={company.pk}"
    except NoReverseMatch:
        return None


def _display_custom(value):
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value


# --- Forms ---------------------------------------------------------------------------------------

def handle_form(request, *, company, form, save, section: str, section_template: str, section_context,
                title: str, success: str):
    """The one flow of every customer-page form.

    GET shows the form. POST checks the permission, validates, calls `save()` (one service call) and
    answers with the refreshed section (htmx) or a redirect to the customer page; any refusal is shown
    on the form and nothing changes.
    """
    # The form replaces its section (id `section`) on success and fills the slot `<section>-form` otherwise.
    context = {"company": company, "form": form, "title": title, "action": request.get_full_path(),
               "target": f"#{section}", "back": reverse("customers:detail", args=[company.pk])}
    status = 200
    try:
        require_edit(request.user)
        if request.method == "POST":
            if form.is_valid():
                save()
                if request.htmx:
                    return render(request, section_template, section_context(request, company))
                messages.success(request, success)
                return redirect("customers:detail", pk=company.pk)
            status = 422
    except Forbidden as exc:
        context["refusal"] = exc.detail  # show the refusal, not a form that cannot be sent
        status = exc.status
    except DomainError as exc:
        apply_domain_errors(form, exc)
        status = exc.status
    return form_response(request, fragment="_form.html", context=context, slot=f"#{section}-form",
                         status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def company_edit(request, pk: int):
    company = visible_company(request, pk)
    form = CompanyForm(request.POST or None, user=request.user, company=company)
    return handle_form(
        request, company=company, form=form,
        save=lambda: services.update_company(actor=request.user, company=company, **form.service_values()),
        section="company", section_template="customers/_company.html",
        section_context=company_card_context, title=_("Edit customer"), success=_("Customer saved."),
    )


@staff_only
@require_http_methods(["GET", "POST"])
def contact_add(request, pk: int):
    company = visible_company(request, pk)
    form = ContactForm(request.POST or None)
    return handle_form(
        request, company=company, form=form,
        save=lambda: services.create_contact(actor=request.user, company=company, **form.cleaned_data),
        section="contacts", section_template="customers/_contacts.html",
        section_context=contacts_context, title=_("Add contact"), success=_("Contact added."),
    )


@staff_only
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int, contact_pk: int):
    company = visible_company(request, pk)
    contact = get_object_or_404(company.contacts, pk=contact_pk)
    form = ContactForm(request.POST or None, contact=contact)
    return handle_form(
        request, company=company, form=form,
        save=lambda: services.update_contact(actor=request.user, contact=contact, **form.cleaned_data),
        section="contacts", section_template="customers/_contacts.html",
        section_context=contacts_context, title=_("Edit contact"), success=_("Contact saved."),
    )


@staff_only
@require_http_methods(["GET", "POST"])
def site_add(request, pk: int):
    company = visible_company(request, pk)
    form = SiteForm(request.POST or None)
    return handle_form(
        request, company=company, form=form,
        save=lambda: services.create_site(actor=request.user, company=company, **form.cleaned_data),
        section="sites", section_template="customers/_sites.html", section_context=sites_context, title=_("Add site"), success=_("Site added."),
    )
