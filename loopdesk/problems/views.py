"""Problem pages: the list of problems in the user's scope, a problem with its root cause, workaround,
known-error state and incidents, the create form (from incidents or from scratch), and the ticket
panel "Problem" on incidents. Reading needs only ticket visibility; writing needs Perm.PROBLEM_MANAGE.

Views parse, check, call one service and render; a refusal is shown as a message and changes nothing."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import DomainError
from loopdesk.customers.models import Company
from loopdesk.tickets.choices import TicketType
from loopdesk.tickets.models import Ticket
from loopdesk.tickets.views.common import visible_ticket

from . import services
from .forms import LinkForm, ProblemForm, RaiseForm, RecordForm, ResolveForm, numbers

LIST_ROWS = 200


def staff(view):
    """Signed in and service staff (customer contacts get a 404)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_customer_only:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _manager(request) -> None:
    if not request.user.can(Perm.PROBLEM_MANAGE):
        raise PermissionDenied


def _problem(request, pk: int) -> Ticket:
    problem = visible_ticket(request, pk)
    if problem.type != TicketType.PROBLEM:
        raise Http404
    return problem


def _error(request, error: DomainError) -> None:
    details = [f"{m}" for msgs in error.fields.values() for m in msgs]
    messages.error(request, " ".join([error.detail, *details]) if details else error.detail)


@staff
@require_GET
def problem_list(request):
    """Problems in the user's scope: open ones by default, `?show=known` known errors, `?show=all` all."""
    show = request.GET.get("show", "open")
    rows = services.problems_visible_to(request.user).annotate(
        incident_count=Count("links_in", filter=Q(links_in__kind="caused_by"))).order_by("-updated_at", "-id")
    if show == "known":
        rows = rows.filter(problem_record__known_error=True)
    elif show != "all":
        show = "open"
        rows = rows.filter(is_open=True)
    return render(request, "problems/list.html", {
        "problems": rows[:LIST_ROWS], "show": show, "can_manage": request.user.can(Perm.PROBLEM_MANAGE)})


def _incidents_by_number(request, text: str) -> tuple[list[Ticket], list[str]]:
    wanted = numbers(text)
    found = {t.number: t for t in Ticket.objects.visible_to(request.user).filter(number__in=wanted)}
    return [found[n] for n in wanted if n in found], [n for n in wanted if n not in found]


@staff
@require_http_methods(["GET", "POST"])
def problem_create(request):
    """A new problem from incidents (numbers, or `?incident=<id>` from a ticket) or from scratch."""
    _manager(request)
    initial = {}
    if request.GET.get("incident", "").isdigit():
        incident = Ticket.objects.visible_to(request.user).filter(pk=request.GET["incident"]).first()
        if incident is not None:
            initial = {"incidents": incident.number, "title": incident.title}
    form = ProblemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incidents, missing = _incidents_by_number(request, data["incidents"])
        company = None
        if data["company"]:
            company = Company.objects.visible_to(request.user).filter(code=data["company"].strip()).first()
            if company is None:
                form.add_error("company", _("No customer with this code in your scope."))
        if missing:
            form.add_error("incidents", _("Not found: %(list)s") % {"list": ", ".join(missing)})
        if not form.errors:
            try:
                problem = services.create_problem(actor=request.user, title=data["title"],
                                                  description=data["description"], company=company,
                                                  incidents=incidents)
            except DomainError as error:
                fields = {"incident_ids": "incidents", "company_id": "company", "title": "title",
                          "description": "description"}
                for name, msgs in error.fields.items():
                    for m in msgs:
                        form.add_error(fields.get(name), m)
                if not error.fields:
                    form.add_error(None, error.detail)
            else:
                messages.success(request, _("Problem %(number)s opened.") % {"number": problem.number})
                return redirect("problems:detail", pk=problem.pk)
    return render(request, "problems/form_page.html", {
        "form": form, "title": _("New problem"), "action": reverse("problems:new"), "target": "this",
        "back": reverse("problems:list")}, status=422 if form.errors else 200)


def _detail_context(request, problem: Ticket) -> dict:
    record = services.record_of(problem)
    incidents = list(services.incidents_of(problem).select_related("company").order_by("-is_open", "-id"))
    visible = set(Ticket.objects.visible_to(request.user).filter(pk__in=[i.pk for i in incidents])
                  .values_list("pk", flat=True))
    return {
        "problem": problem, "record": record, "incidents": incidents, "visible": visible,
        "versions": list(record.affected_versions.select_related("product")),
        "can_manage": request.user.can(Perm.PROBLEM_MANAGE),
        "record_form": RecordForm(initial={"root_cause": record.root_cause, "workaround": record.workaround,
                                           "known_error": record.known_error}),
        "link_form": LinkForm(), "resolve_form": ResolveForm(),
    }


@staff
@require_GET
def problem_detail(request, pk: int):
    problem = _problem(request, pk)
    return render(request, "problems/detail.html", _detail_context(request, problem))


def problem_action(view):
    """POST, staff, PROBLEM_MANAGE, a problem the user may see; then back to the problem page."""

    @staff
    @require_POST
    @wraps(view)
    def wrapper(request, pk: int, **kwargs):
        _manager(request)
        problem = _problem(request, pk)
        try:
            message = view(request, problem, **kwargs)
        except DomainError as error:
            _error(request, error)
        else:
            if message:
                messages.success(request, message)
        return redirect("problems:detail", pk=problem.pk)

    return wrapper


@problem_action
def save_record(request, problem):
    form = RecordForm(request.POST)
    if not form.is_valid():
        return None
    services.update_problem(actor=request.user, problem=problem, **form.cleaned_data)
    return _("Saved.")


@problem_action
def publish(request, problem):
    article = services.publish_known_error(actor=request.user, problem=problem)
    return _("Known error published to the knowledge base (article status: %(status)s).") % {
        "status": article.get_status_display()}


@problem_action
def link(request, problem):
    form = LinkForm(request.POST)
    if not form.is_valid():
        return None
    incidents, missing = _incidents_by_number(request, form.cleaned_data["number"])
    if missing or not incidents:
        messages.error(request, _("Not found: %(list)s") % {"list": ", ".join(missing)})
        return None
    for incident in incidents:
        services.link_incident(actor=request.user, problem=problem, incident=incident)
    return _("Incident linked.")


@problem_action
def unlink(request, problem, incident_pk: int):
    incident = Ticket.objects.visible_to(request.user).filter(pk=incident_pk).first()
    if incident is None:
        raise Http404
    services.unlink_incident(actor=request.user, problem=problem, incident=incident)
    return _("Incident unlinked.")


@problem_action
def resolve(request, problem):
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Describe how the problem was resolved."))
        return None
    counts = services.resolve_problem(actor=request.user, problem=problem, **form.cleaned_data)
    return _("Problem resolved. Incidents replied to: %(replied)s, resolved: %(resolved)s, skipped: %(skipped)s.") % counts


# --- the ticket panel -----------------------------------------------------------------------------

def _panel_ticket(request, pk: int) -> Ticket:
    if request.user.is_customer_only:
        raise Http404
    return visible_ticket(request, pk)


def _panel(request, ticket: Ticket, *, form: RaiseForm | None = None, flash: str = "", error: str = ""):
    if ticket.type == TicketType.PROBLEM:
        return render(request, "problems/_ticket_panel.html", {
            "ticket": ticket, "self_record": services.record_of(ticket),
            "incident_count": services.incidents_of(ticket).count()})
    problems = list(services.problems_of(ticket).filter(
        pk__in=Ticket.objects.visible_to(request.user).values("pk")))
    can_manage = request.user.can(Perm.PROBLEM_MANAGE)
    return render(request, "problems/_ticket_panel.html", {
        "ticket": ticket, "problems": problems, "can_manage": can_manage, "flash": flash, "error": error,
        "form": form or RaiseForm(initial={"title": ticket.title}),
    })


@login_required
@require_GET
def ticket_panel(request, pk: int):
    return _panel(request, _panel_ticket(request, pk))


@login_required
@require_POST
def ticket_raise(request, pk: int):
    """Raise a problem from this incident (or join the open problem it is already linked to)."""
    ticket = _panel_ticket(request, pk)
    _manager(request)
    form = RaiseForm(request.POST)
    if not form.is_valid():
        return _panel(request, ticket, form=form)
    try:
        problem = services.problem_for_incidents(actor=request.user, incidents=[ticket], title=form.cleaned_data["title"])
    except DomainError as error:
        return _panel(request, ticket, form=form, error=error.detail)
    flash = _("Linked to problem %(number)s.") % {"number": problem.number}
    if not request.htmx:
        messages.success(request, flash)
        return redirect("tickets:detail", pk=ticket.pk)
    return _panel(request, ticket, flash=flash)
