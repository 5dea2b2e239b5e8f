"""Webhook pages (endpoints, the delivery log, redelivery; Perm.INTEGRATION_ADMIN) and the ticket
panel "Linked systems" (what a ticket raised in other systems, and the buttons to raise more).

Views parse, check, call one service and render; a refusal is shown on the form and changes nothing."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import DomainError
from loopdesk.tickets.views.common import visible_ticket

from . import services
from .forms import DeliveryFilterForm, EndpointForm, RaiseForm, apply_domain_error
from .models import Delivery, Endpoint, ExternalLink

LOG_ROWS = 100


def integration_admin(view):
    """Signed in and holding Perm.INTEGRATION_ADMIN (customer contacts get a 404)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_customer_only:
            raise Http404
        if not request.user.can(Perm.INTEGRATION_ADMIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _deliveries(request, endpoint: Endpoint | None = None):
    form = DeliveryFilterForm(request.GET or None)
    rows = Delivery.objects.select_related("endpoint", "ticket").order_by("-id")
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    if form.is_valid() and form.cleaned_data["status"]:
        rows = rows.filter(status=form.cleaned_data["status"])
    return form, list(rows[:LOG_ROWS])


@integration_admin
@require_GET
def endpoint_list(request):
    """Endpoints and the latest deliveries to any of them."""
    form, deliveries = _deliveries(request)
    return render(request, "integrations/list.html", {
        "endpoints": Endpoint.objects.all(), "deliveries": deliveries, "filter": form})


def _values(form: EndpointForm) -> dict:
    data = dict(form.cleaned_data)
    data["events"] = list(data["events"])
    return data


@integration_admin
@require_http_methods(["GET", "POST"])
def endpoint_create(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.create_endpoint(actor=request.user, **_values(form))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Endpoint added. Copy its secret now: it is shown only once."))
            return _detail(request, endpoint, secret=endpoint.secret)
    return render(request, "integrations/form_page.html", {
        "form": form, "title": _("Add endpoint"), "action": reverse("integrations:endpoint_add"),
        "back": reverse("integrations:list"), "target": "this"}, status=422 if form.errors else 200)


def _detail(request, endpoint: Endpoint, *, secret: str = ""):
    form, deliveries = _deliveries(request, endpoint)
    return render(request, "integrations/endpoint.html", {
        "endpoint": endpoint, "secret": secret, "deliveries": deliveries, "filter": form,
        "links": endpoint.links.select_related("ticket").order_by("-id")[:20]})


@integration_admin
@require_GET
def endpoint_detail(request, pk: int):
    return _detail(request, get_object_or_404(Endpoint, pk=pk))


@integration_admin
@require_http_methods(["GET", "POST"])
def endpoint_edit(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    initial = {name: getattr(endpoint, name) for name in services.ENDPOINT_FIELDS}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(actor=request.user, endpoint=endpoint, **_values(form))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("integrations:endpoint", pk=endpoint.pk)
    url = reverse("integrations:endpoint_edit", args=[endpoint.pk])
    return render(request, "integrations/form_page.html", {
        "form": form, "title": _("Edit endpoint"), "action": url, "target": "this",
        "back": reverse("integrations:endpoint", args=[endpoint.pk])}, status=422 if form.errors else 200)


@integration_admin
@require_POST
def endpoint_rotate(request, pk: int):
    endpoint = services.rotate_secret(actor=request.user, endpoint=get_object_or_404(Endpoint, pk=pk))
    messages.success(request, _("New secret made. Copy it now: it is shown only once."))
    return _detail(request, endpoint, secret=endpoint.secret)


@integration_admin
@require_POST
def endpoint_delete(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    try:
        services.delete_endpoint(actor=request.user, endpoint=endpoint)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("integrations:endpoint", pk=endpoint.pk)
    messages.success(request, _("Endpoint removed."))
    return redirect("integrations:list")


@integration_admin
@require_POST
def endpoint_ping(request, pk: int):
    """Send a test message (event "ping") to check the receiver and its signature check."""
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if not endpoint.active:
        messages.error(request, _("The endpoint is inactive; activate it first."))
    else:
        services.send(endpoint=endpoint, event="ping", ticket=None, payload={"hello": "loopdesk"})
        messages.success(request, _("Test message queued; see the delivery log."))
    return redirect("integrations:endpoint", pk=endpoint.pk)


@integration_admin
@require_GET
def delivery_detail(request, pk: int):
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint", "ticket"), pk=pk)
    return render(request, "integrations/delivery.html", {
        "delivery": delivery, "attempts": delivery.attempt_log.all(), "body": services.pretty_payload(delivery)})


@integration_admin
@require_POST
def delivery_redeliver(request, pk: int):
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        services.redeliver(actor=request.user, delivery=delivery)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("integrations:delivery", pk=delivery.pk)


# --- the ticket panel -----------------------------------------------------------------------------

def _panel_ticket(request, pk: int):
    if request.user.is_customer_only:
        raise Http404
    return visible_ticket(request, pk)


def _panel(request, ticket, *, form: RaiseForm | None = None, flash: str = ""):
    links = list(ExternalLink.objects.filter(ticket=ticket).select_related("endpoint").order_by("-id"))
    can_raise = request.user.can(Perm.TICKET_EDIT)
    kinds = [(k, label) for k, label in ExternalLink.Kind.choices if services.endpoints_for(k)] if can_raise else []
    if form is None and kinds:
        form = RaiseForm()
    if form is not None:
        form.fields["kind"].choices = kinds or form.fields["kind"].choices
    return render(request, "integrations/_ticket_panel.html", {
        "ticket": ticket, "links": links, "form": form if kinds else None, "flash": flash})


@login_required
@require_GET
def ticket_panel(request, pk: int):
    return _panel(request, _panel_ticket(request, pk))


@login_required
@require_POST
def ticket_raise(request, pk: int):
    """Raise an opportunity / defect / requirement from the ticket (answers with the panel)."""
    ticket = _panel_ticket(request, pk)
    form = RaiseForm(request.POST)
    if form.is_valid():
        try:
            link = services.raise_external(actor=request.user, ticket=ticket, kind=form.cleaned_data["kind"],
                                           note=form.cleaned_data["note"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            flash = _("%(kind)s requested in %(system)s.") % {
                "kind": link.get_kind_display(), "system": link.endpoint.name}
            if not request.htmx:
                messages.success(request, flash)
                return redirect("tickets:detail", pk=ticket.pk)
            return _panel(request, ticket, flash=flash)
    if not request.htmx:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("tickets:detail", pk=ticket.pk)
    return _panel(request, ticket, form=form)  # htmx swaps only 2xx answers
