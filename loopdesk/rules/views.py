"""Pages of the rules engine (Perm.RULE_ADMIN): list and reorder, edit with live validation, dry run,
firing log, escalation tiers. Thin: parse, call a service, render."""

from __future__ import annotations

import re
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loopdesk.accounts.models import Group
from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import DomainError

from . import services
from .forms import DryRunForm, RuleForm, as_json
from .models import EscalationTier, Rule, RuleFiring, Trigger


def rule_admin(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.can(Perm.RULE_ADMIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _rule(pk: int) -> Rule:
    rule = Rule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


@rule_admin
def rule_list(request):
    rules = list(Rule.objects.order_by("order", "id"))
    by_trigger = [(label, [r for r in rules if r.trigger == value]) for value, label in Trigger.choices]
    return render(request, "rules/list.html", {"by_trigger": by_trigger, "count": len(rules)})


@rule_admin
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int | None = None):
    rule = _rule(pk) if pk else None
    if rule is not None:
        initial = {f: getattr(rule, f) for f in ("name", "description", "trigger", "order", "interval_minutes",
                                                 "active", "stop_processing")}
        initial |= {"conditions": as_json(rule.conditions), "actions": as_json(rule.actions)}
    else:
        initial = {}
    form = RuleForm(request.POST or None, initial=initial)
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        values, errors = form.values()
        if not errors:
            try:
                if rule is None:
                    rule = services.create_rule(actor=request.user, **values)
                else:
                    rule = services.update_rule(actor=request.user, rule=rule, **values)
            except DomainError as exc:
                errors = exc.fields or {"": [exc.detail]}
            else:
                messages.success(request, _("The rule “%(name)s” is saved.") % {"name": rule.name})
                return redirect("rules:list")
    return render(request, "rules/edit.html", {
        "form": form, "rule": rule, "errors": sorted(errors.items()),
        "recent": RuleFiring.objects.filter(rule=rule, dry_run=False)[:10] if rule else [],
    })


@rule_admin
@require_POST
def validate(request):
    """Live validation of the editor (htmx): the errors of the rule as it stands, each with its path."""
    form = RuleForm(request.POST)
    form.is_valid()
    values, errors = form.values()
    for name, field_errors in form.errors.items():
        errors.setdefault(name, []).extend(field_errors)
    check = {k: v for k, v in values.items() if k in services.RULE_FIELDS and k not in errors}
    for name, field_errors in services.validate_rule(check).items():
        errors.setdefault(name, []).extend(field_errors)
    return render(request, "rules/_errors.html", {"errors": sorted(errors.items()), "checked": True})


@rule_admin
@require_POST
def toggle(request, pk: int):
    rule = _rule(pk)
    services.update_rule(actor=request.user, rule=rule, active=not rule.active)
    return redirect("rules:list")


@rule_admin
@require_POST
def move(request, pk: int):
    """Move a rule one place up or down among the rules of its trigger."""
    rule = _rule(pk)
    ids = list(Rule.objects.filter(trigger=rule.trigger).order_by("order", "id").values_list("pk", flat=True))
    i = ids.index(rule.pk)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        services.reorder_rules(actor=request.user, ids=ids)
    return redirect("rules:list")


@rule_admin
@require_POST
def delete(request, pk: int):
    rule = _rule(pk)
    services.delete_rule(actor=request.user, rule=rule)
    messages.success(request, _("The rule “%(name)s” is deleted.") % {"name": rule.name})
    return redirect("rules:list")


@rule_admin
def dry_run(request):
    """Which rules would fire on chosen tickets (by number, or the latest of a queue), writing nothing."""
    from loopdesk.tickets.models import Ticket

    form = DryRunForm(request.GET or None)
    form.fields["rule"].choices = [("", _("Every active rule"))] + [
        (r.pk, f"{r.get_trigger_display()} · {r.name}") for r in Rule.objects.order_by("trigger", "order", "id")]
    report, missing = None, []
    if request.GET and form.is_valid():
        data = form.cleaned_data
        visible = Ticket.objects.visible_to(request.user)
        numbers = [n for n in re.split(r"[\s,，;；]+", data["numbers"] or "") if n][:50]
        tickets = list(visible.filter(number__in=numbers).select_related("company"))
        missing = sorted(set(numbers) - {t.number for t in tickets})
        if data["queue"]:
            qs = visible.select_related("company").order_by("-created_at", "-id")
            if data["queue"] in ("open", "unassigned"):
                qs = qs.filter(is_open=True)
            if data["queue"] == "unassigned":
                qs = qs.filter(assignee__isnull=True)
            tickets += [t for t in qs[: data["limit"] or 10] if t.number not in set(numbers)]
        rules = (list(Rule.objects.filter(pk=data["rule"])) if data["rule"]
                 else list(Rule.objects.filter(active=True)))
        report = services.dry_run(actor=request.user, rules=rules, tickets=tickets)
    return render(request, "rules/dry_run.html", {"form": form, "report": report, "missing": missing})


@rule_admin
def firings(request):
    """The latest firings on tickets the user may see."""
    from loopdesk.tickets.models import Ticket

    qs = RuleFiring.objects.filter(dry_run=False, ticket__in=Ticket.objects.visible_to(request.user).values("id"))
    rule = None
    if request.GET.get("rule", "").isdigit():
        rule = Rule.objects.filter(pk=int(request.GET["rule"])).first()
        qs = qs.filter(rule_id=int(request.GET["rule"]))
    rows = qs.select_related("ticket").only(
        "id", "rule_id", "rule_name", "at", "trigger", "results", "ticket__id", "ticket__number", "ticket__title"
    ).order_by("-at", "-id")[:100]
    return render(request, "rules/firings.html", {"rows": rows, "rule": rule})


@rule_admin
@require_http_methods(["GET", "POST"])
def tiers(request):
    """Escalation tiers: where the `escalate` action sends a group's tickets."""
    groups = list(Group.objects.filter(active=True).select_related("organization").order_by("name"))
    if request.method == "POST":
        by_id = {g.pk: g for g in groups}
        group = by_id.get(int(request.POST.get("group") or 0))
        next_id = int(request.POST.get("next_group") or 0)
        if group is None or (next_id and next_id not in by_id):
            messages.error(request, _("Choose active groups."))
        else:
            try:
                services.set_escalation_tier(actor=request.user, group=group, next_group=by_id.get(next_id))
            except DomainError as exc:
                messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms) or exc.detail)
            else:
                messages.success(request, _("The escalation tiers are saved."))
        return redirect("rules:tiers")
    rows = EscalationTier.objects.select_related("group", "next_group").order_by("group__name")
    return render(request, "rules/tiers.html", {"rows": rows, "groups": groups})
