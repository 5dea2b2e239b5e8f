"""The customer portal: a contact's requests, a new request, one request's public conversation and
the contact's actions on it. Thin views: parse, check who is asking, call one service, render."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from loopdesk.accounts.models import User
from loopdesk.assist import services as assist
from loopdesk.core.errors import DomainError
from loopdesk.tickets.models import Ticket

from . import queries, services
from .forms import ConfirmForm, ReopenForm, ReplyForm, RequestForm, WithdrawForm, apply_domain_error
from .words import status_words


class PortalRequest(HttpRequest):
    """What the middleware and `customer_required` guarantee: a signed-in user and htmx details."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


def customer_required(view):
    """Portal pages are for customer contacts; service staff have the workspace instead."""

    @login_required
    @wraps(view)
    def wrapper(request: PortalRequest, *args, **kwargs):
        if not request.user.is_customer_only:
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapper


SESSION_KEY = "assist_suggestion_session"  # the suggestion session of the request being typed


def current_session(request: PortalRequest):
    """The contact's open suggestion session of this browser session, if any."""
    return assist.open_session_for(request.user, request.session.get(SESSION_KEY))


def _request_or_404(request: PortalRequest, pk: int) -> Ticket:
    try:
        return queries.get_request(request.user, pk)
    except Ticket.DoesNotExist:
        raise Http404(_("No such request.")) from None


@require_GET
@customer_required
def home(request: PortalRequest) -> HttpResponse:
    """Every request of the contact's companies, newest first."""
    state = request.GET.get("state", "all")
    state = state if state in queries.STATES else "all"
    q = request.GET.get("q", "").strip()[:100]
    page = queries.page_of(queries.requests_of(request.user, state=state, q=q), request.GET.get("after", ""))
    context = {
        "page": page, "state": state, "q": q, "counts": queries.counts_of(request.user),
        "many_companies": queries.companies_of(request.user).count() > 1,
        "questions": queries.next_questions(request.user) if not q and not request.htmx else [],
    }
    if request.htmx and request.htmx.target == "request-list":
        return render(request, "portal/_request_list.html", context)
    return render(request, "portal/home.html", context)


@customer_required
def new(request: PortalRequest) -> HttpResponse:
    """Submit a request: on success go to it, on a refusal show why and keep what was typed."""
    if request.method == "POST":
        form = RequestForm(request.user, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.submit_request(
                    actor=request.user, company=data["company"], title=data["title"],
                    description=data["description"], type=data["type"], asset=data["asset"],
                    urgency=data["urgency"], custom_fields=form.custom_values(), uploads=data["attachments"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                session = current_session(request)
                if session is not None:  # the request was sent after all: not a deflection
                    assist.mark_submitted(session=session, ticket=ticket)
                request.session.pop(SESSION_KEY, None)
                messages.success(request, _("Your request %(number)s was submitted.") % {"number": ticket.number})
                return redirect("portal:detail", pk=ticket.pk)
    else:
        form = RequestForm(request.user, initial={"type": request.GET.get("type", "")})
    if not form.has_company:
        messages.error(request, _("Your login is not linked to a company yet; please call the service hotline."))
    return render(request, "portal/new.html", {"form": form})


@require_GET
@customer_required
def new_fields(request: PortalRequest) -> HttpResponse:
    """The custom fields of the type just chosen (htmx swaps them into the new-request form)."""
    form = RequestForm(request.user, initial={"type": request.GET.get("type", "")})
    return render(request, "portal/_custom_fields.html", {"form": form})


def _detail_context(request: PortalRequest, ticket: Ticket, **bound) -> dict:
    """What the request page shows; `bound` carries a refused form back with its input and errors."""
    return {
        "ticket": ticket,
        "status_words": status_words(ticket.status),
        "timeline": queries.public_timeline(ticket),
        "actions": queries.actions_for(ticket),
        "service_levels": queries.service_levels(ticket),
        "reply_form": bound.get("reply_form") or ReplyForm(),
        "reopen_form": bound.get("reopen_form") or ReopenForm(),
        "withdraw_form": bound.get("withdraw_form") or WithdrawForm(),
        "open_panel": bound.get("open_panel", ""),
    }


@require_GET
@customer_required
def detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The public side of one request: conversation, status history, the contact's actions."""
    ticket = _request_or_404(request, pk)
    return render(request, "portal/detail.html", _detail_context(request, ticket))


def _act(request: PortalRequest, pk: int, form_class, form_key: str, call, done: str) -> HttpResponse:
    """Run one action on the request and answer it: htmx gets the refreshed request body, a plain
    POST is redirected (success) or re-rendered with the error and the typed text (refusal)."""
    ticket = _request_or_404(request, pk)
    form = form_class(request.POST, request.FILES)
    ok = form.is_valid()
    if ok:
        try:
            call(ticket, form.cleaned_data)
        except DomainError as exc:
            ok = False
            apply_domain_error(form, exc)
    if ok:
        messages.success(request, done)
        if not request.htmx:
            return redirect("portal:detail", pk=ticket.pk)
        ticket = _request_or_404(request, pk)
        context = _detail_context(request, ticket)
    else:
        for msg in form.non_field_errors():
            messages.error(request, msg)
        ticket = _request_or_404(request, pk)
        context = _detail_context(request, ticket, **{form_key: form, "open_panel": form_key})
    template = "portal/_request_body.html" if request.htmx else "portal/detail.html"
    # htmx swaps only 2xx answers, so a refusal it must show comes back as 200; a plain POST says 422.
    status = 200 if request.htmx or ok else 422
    return render(request, template, {**context, "oob_messages": bool(request.htmx)}, status=status)


@require_POST
@customer_required
def reply(request: PortalRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, ReplyForm, "reply_form",
        lambda t, d: services.reply(actor=request.user, ticket=t, body=d["body"], uploads=d["attachments"]),
        _("Your reply was sent."),
    )


@require_POST
@customer_required
def confirm(request: PortalRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, ConfirmForm, "confirm_form",
        lambda t, d: services.confirm_resolution(actor=request.user, ticket=t),
        _("Thank you for confirming. The request is closed."),
    )


@require_POST
@customer_required
def reopen(request: PortalRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, ReopenForm, "reopen_form",
        lambda t, d: services.reopen_request(actor=request.user, ticket=t, reason=d["reason"]),
        _("The request was reopened; the service team will look at it again."),
    )


@require_POST
@customer_required
def withdraw(request: PortalRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, WithdrawForm, "withdraw_form",
        lambda t, d: services.withdraw_request(actor=request.user, ticket=t, reason=d["reason"]),
        _("The request was withdrawn."),
    )
