"""Staff pages for workflows: the list, a workflow with its diagram and versions, the draft editor with
its live preview, publishing (with the ticket migration mapping), import and export.

Every signed-in staff member may look; changing anything takes Perm.WORKFLOW_ADMIN (403 otherwise,
like the other configuration pages). Customer contacts get a 404. Writes call
loopdesk.workflows.services; the preview validates and draws without saving.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loopdesk.accounts.roles import Perm
from loopdesk.core.errors import DomainError

from . import services
from .diagram import label_of, render_svg
from .flow import lang_key
from .forms import ImportForm, JsonDefinitionForm, PublishForm, definition_from_rows, editor_rows
from .hooks import ticket_store
from .models import TicketMigration, Workflow, WorkflowVersion
from .validation import Problem, validate

V = WorkflowVersion.Status


def staff(view):
    """Signed-in service staff only; customer contacts get a 404 (the page does not exist for them)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_customer_only:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _require_admin(request) -> None:
    if not request.user.can(Perm.WORKFLOW_ADMIN):
        raise PermissionDenied(_("You may not change workflows."))


def _lang() -> str:
    return lang_key(get_language())


def _workflow(key: str) -> Workflow:
    return get_object_or_404(Workflow, key=key)


def _draft_or_404(workflow: Workflow) -> WorkflowVersion:
    draft = services.draft_of(workflow)
    if draft is None:
        raise Http404
    return draft


def describe(problems: list[Problem], definition: dict) -> list[dict]:
    """Problems with a readable place ("State “waiting_parts”", "Transition “accept”")."""
    states = definition.get("states") if isinstance(definition.get("states"), list) else []
    transitions = definition.get("transitions") if isinstance(definition.get("transitions"), list) else []
    out = []
    for path, message in problems:
        where = ""
        for name, items, text in (("states", states, _("State “%(key)s”")),
                                  ("transitions", transitions, _("Transition “%(key)s”"))):
            if path.startswith(name + "["):
                try:
                    i = int(path[len(name) + 1:path.index("]")])
                    item = items[i] if isinstance(items[i], dict) else {}
                except (ValueError, IndexError):
                    item = {}
                where = text % {"key": item.get("key") or f"#{path[len(name) + 1:path.index(']')]}"}
                rest = path[path.index("]") + 1:].lstrip(".")
                if rest:
                    where += f" · {rest}"
        out.append({"path": path, "where": where or path, "message": message})
    return out


def _diagram_context(definition: dict, title: str = "") -> dict:
    return {"svg": render_svg(definition, lang=_lang(), title=title or None)}


# --- reading -----------------------------------------------------------------------------------------


@staff
@require_GET
def workflow_list(request):
    """Every workflow: its ticket type, scope, current version and whether a draft is open."""
    workflows = list(Workflow.objects.select_related("category", "org").order_by("ticket_type", "key"))
    versions: dict[int, dict[str, WorkflowVersion]] = {}
    for version in WorkflowVersion.objects.filter(status__in=[V.PUBLISHED, V.DRAFT]).only(
            "id", "workflow_id", "number", "status", "published_at", "updated_at"):
        versions.setdefault(version.workflow_id, {})[version.status] = version
    rows = [{"workflow": w, "current": versions.get(w.pk, {}).get(V.PUBLISHED),
             "draft": versions.get(w.pk, {}).get(V.DRAFT)} for w in workflows]
    return render(request, "workflows/list.html", {
        "rows": rows, "can_admin": request.user.can(Perm.WORKFLOW_ADMIN), "import_form": ImportForm(),
    })


@staff
@require_GET
def workflow_detail(request, key: str):
    """A workflow: the current version's diagram, every version with its ticket count, export/import."""
    workflow = _workflow(key)
    versions = list(workflow.versions.select_related("created_by", "published_by").order_by("-number"))
    current = next((v for v in versions if v.status == V.PUBLISHED), None)
    draft = next((v for v in versions if v.status == V.DRAFT), None)
    shown = current or draft or (versions[0] if versions else None)
    counts = ticket_store().count_by_version([v.pk for v in versions]) if versions else {}
    for version in versions:
        version.ticket_count = counts.get(version.pk, 0)
    migrations = list(TicketMigration.objects.filter(to_version__workflow=workflow)
                      .select_related("from_version", "to_version", "confirmed_by")[:20])
    context = {
        "workflow": workflow, "versions": versions, "current": current, "draft": draft, "shown": shown,
        "migrations": migrations, "can_admin": request.user.can(Perm.WORKFLOW_ADMIN), "import_form": ImportForm(),
    }
    if shown is not None:
        context.update(_diagram_context(shown.definition, f"{workflow.name} v{shown.number}"))
    return render(request, "workflows/detail.html", context)


@staff
@require_GET
def version_detail(request, key: str, number: int):
    """One version: its diagram and its definition as JSON."""
    workflow = _workflow(key)
    version = get_object_or_404(workflow.versions, number=number)
    return render(request, "workflows/version.html", {
        "workflow": workflow, "version": version,
        "definition_json": json.dumps(version.definition, ensure_ascii=False, indent=2),
        **_diagram_context(version.definition, f"{workflow.name} v{version.number}"),
    })


@staff
@require_GET
def export(request, key: str):
    """The workflow's current version (or `?version=N`) as a JSON file that import reads back."""
    workflow = _workflow(key)
    version = None
    if request.GET.get("version", "").isdigit():
        version = get_object_or_404(workflow.versions, number=int(request.GET["version"]))
    data = services.export_json(workflow, version)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="workflow-{workflow.key}-v{data["version"]}.json"'
    return response


# --- changing ----------------------------------------------------------------------------------------


@staff
@require_POST
def import_workflow(request):
    """Read an exported workflow: a new workflow, or a new draft of the one with the same key. From a
    workflow's page (`workflow` field) the file always becomes a draft of that workflow."""
    _require_admin(request)
    form = ImportForm(request.POST, request.FILES)
    target = request.POST.get("workflow", "")
    back = redirect("workflows:detail", key=target) if target else redirect("workflows:list")
    if target:
        _workflow(target)
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return back
    data = form.cleaned_data["payload"]
    if target:
        data["key"] = target
    try:
        version = services.import_json(actor=request.user, data=data)
    except DomainError as exc:
        messages.error(request, _("Import refused: %(reasons)s") % {"reasons": _reasons(exc)})
        return back
    problems = getattr(version, "problems", [])
    messages.success(request, ngettext(
        "Imported as draft version %(n)d (%(p)d problem to fix before publishing).",
        "Imported as draft version %(n)d (%(p)d problems to fix before publishing).", len(problems),
    ) % {"n": version.number, "p": len(problems)})
    return redirect("workflows:edit", key=version.workflow.key)


def _reasons(exc: DomainError) -> str:
    details = [f"{name}: {'; '.join(msgs)}" if name else "; ".join(msgs) for name, msgs in exc.fields.items()]
    return " · ".join([exc.detail, *details]) if details else exc.detail


@staff
@require_POST
def create_draft(request, key: str):
    """Start the next version as a copy of the current one and open the editor."""
    _require_admin(request)
    workflow = _workflow(key)
    try:
        services.create_draft(actor=request.user, workflow=workflow)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("workflows:detail", key=key)
    return redirect("workflows:edit", key=key)


@staff
@require_POST
def discard_draft(request, key: str):
    _require_admin(request)
    workflow = _workflow(key)
    try:
        services.discard_draft(actor=request.user, version=_draft_or_404(workflow))
        messages.success(request, _("Draft discarded."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("workflows:detail", key=key)


def _editor(request, workflow: Workflow, draft: WorkflowVersion, *, json_form=None, status=200):
    definition = draft.definition
    problems = validate(definition)
    context = {
        "workflow": workflow, "draft": draft, "problems": describe(problems, definition),
        "json_form": json_form or JsonDefinitionForm(initial={
            "definition": json.dumps(definition, ensure_ascii=False, indent=2)}),
        "current": services.published_of(workflow),
        **editor_rows(definition, _lang()), **_diagram_context(definition, f"{workflow.name} v{draft.number}"),
    }
    return render(request, "workflows/edit.html", context, status=status)


@staff
@require_http_methods(["GET", "POST"])
def edit(request, key: str):
    """The draft editor. GET draws it; POST saves the structured rows (then, with `publish`, goes on
    to the publish page)."""
    _require_admin(request)
    workflow = _workflow(key)
    draft = services.draft_of(workflow)
    if draft is None:
        messages.info(request, _("This workflow has no draft; start one from the current version."))
        return redirect("workflows:detail", key=key)
    if request.method == "POST":
        definition = definition_from_rows(request.POST, base=draft.definition)
        try:
            draft = services.update_draft(actor=request.user, version=draft, definition=definition)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("workflows:edit", key=key)
        if request.POST.get("next") == "publish":
            return redirect("workflows:publish", key=key)
        _saved_message(request, draft)
        return redirect("workflows:edit", key=key)
    return _editor(request, workflow, draft)


def _saved_message(request, draft: WorkflowVersion) -> None:
    problems = getattr(draft, "problems", [])
    if problems:
        messages.warning(request, ngettext(
            "Draft saved; %(n)d problem remains before it can be published.",
            "Draft saved; %(n)d problems remain before it can be published.", len(problems)) % {"n": len(problems)})
    else:
        messages.success(request, _("Draft saved; it is valid and can be published."))


@staff
@require_POST
def edit_json(request, key: str):
    """Save the draft from the advanced JSON editor."""
    _require_admin(request)
    workflow = _workflow(key)
    draft = _draft_or_404(workflow)
    form = JsonDefinitionForm(request.POST)
    if not form.is_valid():
        return _editor(request, workflow, draft, json_form=form, status=422)
    try:
        draft = services.update_draft(actor=request.user, version=draft, definition=form.cleaned_data["definition"])
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("workflows:edit", key=key)
    _saved_message(request, draft)
    return redirect("workflows:edit", key=key)


@staff
@require_POST
def preview(request, key: str):
    """The live preview (an htmx fragment): the diagram and the validation problems of what is in the
    editor now, from the structured rows or (`mode=json`) the JSON box. Nothing is saved."""
    _require_admin(request)
    workflow = _workflow(key)
    draft = _draft_or_404(workflow)
    error = ""
    if request.POST.get("mode") == "json":
        form = JsonDefinitionForm(request.POST)
        if form.is_valid():
            definition = form.cleaned_data["definition"]
        else:
            definition = draft.definition
            error = "; ".join(form.errors.get("definition", []))
    else:
        definition = definition_from_rows(request.POST, base=draft.definition)
    problems = [] if error else validate(definition)
    return render(request, "workflows/_preview.html", {
        "workflow": workflow, "problems": describe(problems, definition), "json_error": error,
        **_diagram_context(definition, f"{workflow.name} v{draft.number}"),
    })


@staff
@require_http_methods(["GET", "POST"])
def publish(request, key: str):
    """Publish the draft. When tickets run on the current version, the administrator either lets them
    finish there or maps each state they are in to a state of the new version (every one must be
    mapped; the service refuses otherwise)."""
    _require_admin(request)
    workflow = _workflow(key)
    draft = services.draft_of(workflow)
    if draft is None:
        messages.info(request, _("This workflow has no draft to publish."))
        return redirect("workflows:detail", key=key)
    current = services.published_of(workflow)
    in_use = ticket_store().states_in_use(current.pk) if current else {}
    old_labels = _state_labels(current.definition) if current else {}
    new_states = list(_state_labels(draft.definition).items())
    form = PublishForm(request.POST or None, in_use=in_use, old_labels=old_labels, new_states=new_states)
    move = request.POST.get("tickets", "keep" if not in_use else "move") == "move"
    refusal, status = "", 200
    if request.method == "POST" and form.is_valid():
        migration = None
        if in_use and move:
            migration = {"mapping": {k: v for k, v in form.mapping().items() if v}}
        try:
            if notes := form.cleaned_data.get("notes"):
                draft = services.update_draft(actor=request.user, version=draft, definition=draft.definition,
                                              notes=notes)
            version = services.publish(actor=request.user, version=draft, migration=migration)
        except DomainError as exc:
            status, refusal = exc.status, exc.detail
            for name, errors in exc.fields.items():
                field = "map-" + name.removeprefix("migration.").removeprefix("mapping.")
                if field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
        else:
            messages.success(request, _("Version %(n)d published.") % {"n": version.number})
            return redirect("workflows:detail", key=key)
    problems = validate(draft.definition)
    return render(request, "workflows/publish.html", {
        "workflow": workflow, "draft": draft, "current": current, "form": form, "in_use": in_use,
        "move": move, "problems": describe(problems, draft.definition), "refusal": refusal,
        **_diagram_context(draft.definition, f"{workflow.name} v{draft.number}"),
    }, status=status)


def _state_labels(definition: dict) -> dict[str, str]:
    lang = _lang()
    return {s["key"]: label_of(s, lang) for s in definition.get("states") or []
            if isinstance(s, dict) and isinstance(s.get("key"), str)}
