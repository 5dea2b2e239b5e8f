"""Writes and look-ups for workflows: drafts, validation, publishing, ticket migration, import/export.

Drafts may be saved invalid (the editor shows the problems live); publishing refuses an invalid
definition. Publishing retires the previous version, whose tickets keep running on it unless the
administrator confirms an explicit state mapping that moves them (a TicketMigration).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.caches import ProcessCache
from loopdesk.core.errors import Conflict, NotFound, ValidationFailed
from loopdesk.core.services import record_audit

from . import defaults
from .flow import forget, pick_label
from .hooks import ticket_store
from .models import TicketMigration, Workflow, WorkflowVersion
from .validation import Problem, validate
from .vocabulary import KEY_RE, TICKET_TYPES

EXPORT_FORMAT = "loopdesk.workflow"
EXPORT_FORMAT_VERSION = 1
V = WorkflowVersion.Status


def problems_as_fields(problems: list[Problem], prefix: str = "definition") -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for path, message in problems:
        name = f"{prefix}.{path}" if path else prefix
        fields.setdefault(name, []).append(message)
    return fields


def _definition_of(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValidationFailed(fields={"definition": [_("A workflow definition is a JSON object.")]})
    return value


# --- reads -------------------------------------------------------------------------------------------


def _ancestors(node: Any) -> list[int]:
    """Ids of the node and its ancestors (nearest first), following `parent`."""
    ids, seen = [], set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        ids.append(node.pk)
        node = node.parent
    return ids


def current_version(ticket_type: str, category: Any = None, org: Any = None) -> WorkflowVersion | None:
    """The current version of the workflow that applies to a ticket of this type (and category /
    organisation): the most specific active workflow wins (category subtree, then organisation
    subtree, then the type's general workflow). None if no workflow applies."""
    versions = list(
        WorkflowVersion.objects.filter(status=V.PUBLISHED, workflow__active=True, workflow__ticket_type=ticket_type)
        .select_related("workflow").order_by("workflow__key")
    )
    if len(versions) <= 1:
        version = versions[0] if versions else None
        if version is None or (version.workflow.category_id is None and version.workflow.org_id is None):
            return version
    cats = _ancestors(category) if category is not None and any(v.workflow.category_id for v in versions) else []
    orgs = _ancestors(org) if org is not None and any(v.workflow.org_id for v in versions) else []
    best, best_score = None, None
    for version in versions:
        wf = version.workflow
        if wf.category_id is not None and wf.category_id not in cats:
            continue
        if wf.org_id is not None and wf.org_id not in orgs:
            continue
        # nearer ancestors are more specific; a category narrows more than an organisation
        score = (
            -cats.index(wf.category_id) if wf.category_id else -10_000,
            -orgs.index(wf.org_id) if wf.org_id else -10_000,
        )
        if best_score is None or score > best_score:
            best, best_score = version, score
    return best


def draft_of(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.versions.filter(status=V.DRAFT).first()


def published_of(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.versions.filter(status=V.PUBLISHED).first()


# --- drafts ------------------------------------------------------------------------------------------


def _next_number(workflow: Workflow) -> int:
    return (workflow.versions.aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def create_workflow(
    *, actor: Any, key: str, name: str, ticket_type: str, category: Any = None, org: Any = None,
    definition: dict | None = None,
) -> Workflow:
    """A new workflow with a first draft (from `definition`, else the type's default workflow)."""
    require(actor, Perm.WORKFLOW_ADMIN)
    errors: dict[str, list[str]] = {}
    if not isinstance(key, str) or not KEY_RE.match(key.replace("-", "_")[:24]) or len(key) > 64:
        errors["key"] = [_("Use lower-case letters, digits, - or _, starting with a letter.")]
    elif Workflow.objects.filter(key=key).exists():
        errors["key"] = [_("Another workflow already has this key.")]
    if not (name or "").strip():
        errors["name"] = [_("Enter a name.")]
    if ticket_type not in TICKET_TYPES:
        errors["ticket_type"] = [_("Unknown ticket type.")]
    if category is None and org is None and ticket_type in TICKET_TYPES and Workflow.objects.filter(
        ticket_type=ticket_type, category=None, org=None, active=True
    ).exists():
        errors["ticket_type"] = [_(
            "This type already has a general workflow; narrow the new one to a category or organisation.")]
    if errors:
        raise ValidationFailed(fields=errors)
    workflow = Workflow.objects.create(
        key=key, name=name.strip()[:100], ticket_type=ticket_type, category=category, org=org
    )
    if definition is None:
        definition = defaults.definition(ticket_type)
    WorkflowVersion.objects.create(
        workflow=workflow, number=1, status=V.DRAFT, definition=_definition_of(definition), created_by=_user(actor)
    )
    record_audit(actor=actor, obj=workflow, action="create", changes={"key": [None, key]})
    return workflow


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


@transaction.atomic
def create_draft(
    *, actor: Any, workflow: Workflow, definition: dict | None = None, base_version: WorkflowVersion | None = None,
    notes: str = "",
) -> WorkflowVersion:
    """Start the next version as a draft, from `definition`, else a copy of `base_version`, else of the
    current version. Refused while the workflow already has a draft."""
    require(actor, Perm.WORKFLOW_ADMIN)
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    existing = draft_of(workflow)
    if existing is not None:
        raise Conflict(_("This workflow already has a draft (version %(n)d); edit or publish it first.")
                       % {"n": existing.number})
    if base_version is not None and base_version.workflow_id != workflow.pk:
        raise ValidationFailed(fields={"base_version": [_("This version belongs to another workflow.")]})
    if definition is None:
        base = base_version or published_of(workflow) or workflow.versions.order_by("-number").first()
        definition = dict(base.definition) if base else defaults.definition(workflow.ticket_type)
    version = WorkflowVersion.objects.create(
        workflow=workflow, number=_next_number(workflow), status=V.DRAFT, definition=_definition_of(definition),
        created_by=_user(actor), notes=(notes or "")[:500],
    )
    record_audit(actor=actor, obj=version, action="create", changes={"number": [None, version.number]})
    version.problems = validate(version.definition)  # type: ignore[attr-defined]
    return version


@transaction.atomic
def update_draft(*, actor: Any, version: WorkflowVersion, definition: dict, notes: str | None = None
                 ) -> WorkflowVersion:
    """Replace the draft's definition. Its problems are returned on `version.problems`, not raised, so
    an editor can show them while the administrator works."""
    require(actor, Perm.WORKFLOW_ADMIN)
    version = WorkflowVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != V.DRAFT:
        raise Conflict(_("Version %(n)d is published; start a new draft to change it.") % {"n": version.number})
    version.definition = _definition_of(definition)
    if notes is not None:
        version.notes = notes[:500]
    version.save()
    forget(version.pk)
    record_audit(actor=actor, obj=version, action="update", changes={"definition": ["…", "…"]})
    version.problems = validate(version.definition)  # type: ignore[attr-defined]
    return version


@transaction.atomic
def discard_draft(*, actor: Any, version: WorkflowVersion) -> None:
    require(actor, Perm.WORKFLOW_ADMIN)
    if version.status != V.DRAFT:
        raise Conflict(_("Only a draft can be discarded."))
    record_audit(actor=actor, obj=version, action="delete")
    version.delete()


# --- publishing and migration ------------------------------------------------------------------------


@transaction.atomic
def publish(*, actor: Any, version: WorkflowVersion, migration: dict | None = None) -> WorkflowVersion:
    """Make the draft the workflow's current version. The previous version is retired; its tickets
    keep running on it, unless `migration={"mapping": {old_state: new_state}}` moves them (every state
    in use must be mapped). An invalid definition is refused with the problems as field paths."""
    require(actor, Perm.WORKFLOW_ADMIN)
    Workflow.objects.select_for_update().get(pk=version.workflow_id)
    version = WorkflowVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != V.DRAFT:
        raise Conflict(_("Version %(n)d is already published.") % {"n": version.number})
    problems = validate(version.definition)
    if problems:
        raise ValidationFailed(_("The workflow has %(n)d problem(s); fix them before publishing.")
                               % {"n": len(problems)}, fields=problems_as_fields(problems))
    if migration is not None and (not isinstance(migration, dict) or not isinstance(migration.get("mapping"), dict)):
        raise ValidationFailed(fields={"migration.mapping": [_("Give the mapping as {old state: new state}.")]})
    previous = WorkflowVersion.objects.select_for_update().filter(workflow_id=version.workflow_id,
                                                                  status=V.PUBLISHED).first()
    if migration is not None and previous is None:
        raise ValidationFailed(fields={"migration": [_("There is no earlier version to migrate tickets from.")]})
    now = timezone.now()
    if previous is not None:
        # Tickets not yet bound to a version ran on the current one: bind them before it retires.
        if previous.workflow.category_id is None and previous.workflow.org_id is None:
            ticket_store().bind_legacy(previous)
        previous.status = V.RETIRED
        previous.save(update_fields=["status", "updated_at"])
    version.status, version.published_at, version.published_by = V.PUBLISHED, now, _user(actor)
    version.save()
    forget(version.pk)
    record_audit(actor=actor, obj=version, action="publish", changes={"status": [V.DRAFT, V.PUBLISHED]})
    if migration is not None:
        migrate_tickets(actor=actor, from_version=previous, to_version=version, mapping=migration["mapping"])
    return version


def check_mapping(from_version: WorkflowVersion, to_version: WorkflowVersion, mapping: Any) -> dict[str, str]:
    """The mapping, checked: every state in use on `from_version` maps to a state of `to_version`."""
    from .flow import Flow

    if not isinstance(mapping, dict):
        raise ValidationFailed(fields={"mapping": [_("Give the mapping as {old state: new state}.")]})
    old = Flow.compile(from_version.definition)
    new = Flow.compile(to_version.definition)
    in_use = ticket_store().states_in_use(from_version.pk)
    errors: dict[str, list[str]] = {}
    for state, target in mapping.items():
        if state not in old.states and state not in in_use:
            errors[f"mapping.{state}"] = [_("“%(key)s” is not a state of version %(n)d.") % {
                "key": state, "n": from_version.number}]
        elif target not in new.states:
            errors[f"mapping.{state}"] = [_("“%(key)s” is not a state of version %(n)d.") % {
                "key": target, "n": to_version.number}]
    for state, count in sorted(in_use.items()):
        if state not in mapping:
            errors[f"mapping.{state}"] = [_("%(count)d ticket(s) are in “%(key)s”: map it to a new state.") % {
                "count": count, "key": state}]
    if errors:
        raise ValidationFailed(_("The state mapping is incomplete or wrong."), fields=errors)
    return {str(k): str(v) for k, v in mapping.items()}


@transaction.atomic
def migrate_tickets(*, actor: Any, from_version: WorkflowVersion, to_version: WorkflowVersion, mapping: dict
                    ) -> int:
    """Move every ticket running on `from_version` to `to_version`, mapping their states. Refused
    unless every state in use is mapped to an existing state. Returns the number of tickets moved."""
    require(actor, Perm.WORKFLOW_ADMIN)
    if from_version.workflow_id != to_version.workflow_id:
        raise ValidationFailed(fields={"to_version": [_("Both versions must belong to the same workflow.")]})
    if to_version.status != V.PUBLISHED:
        raise ValidationFailed(fields={"to_version": [_("Tickets can only move to the current version.")]})
    if from_version.pk == to_version.pk:
        raise ValidationFailed(fields={"to_version": [_("Choose another version.")]})
    mapping = check_mapping(from_version, to_version, mapping)
    record = TicketMigration.objects.create(
        from_version=from_version, to_version=to_version, mapping=mapping, confirmed_by=_user(actor)
    )
    moved = ticket_store().move(actor=actor, from_version=from_version, to_version=to_version, mapping=mapping,
                                migration=record)
    record.tickets_moved = moved
    record.save(update_fields=["tickets_moved"])
    record_audit(actor=actor, obj=record, action="migrate", changes={"tickets_moved": [0, moved]})
    return moved


# --- import / export ---------------------------------------------------------------------------------


def export_json(workflow: Workflow, version: WorkflowVersion | None = None) -> dict:
    """The workflow as a JSON document that `import_json` reads back (current version by default)."""
    version = version or published_of(workflow) or workflow.versions.order_by("-number").first()
    return {
        "format": EXPORT_FORMAT, "format_version": EXPORT_FORMAT_VERSION,
        "key": workflow.key, "name": workflow.name, "ticket_type": workflow.ticket_type,
        "category": workflow.category_id, "org": workflow.org_id,
        "version": version.number if version else None,
        "definition": version.definition if version else {},
    }


@transaction.atomic
def import_json(*, actor: Any, data: Any) -> WorkflowVersion:
    """Read an exported workflow: a new workflow with a draft, or a new draft of the workflow with the
    same key (replacing its open draft). Problems of the definition are on `version.problems`."""
    require(actor, Perm.WORKFLOW_ADMIN)
    if not isinstance(data, dict):
        raise ValidationFailed(fields={"": [_("Expected a JSON object.")]})
    errors: dict[str, list[str]] = {}
    if data.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        errors["format"] = [_("Not a Loopdesk workflow export.")]
    if data.get("format_version", EXPORT_FORMAT_VERSION) != EXPORT_FORMAT_VERSION:
        errors["format_version"] = [_("Unsupported format version.")]
    key = data.get("key")
    if not isinstance(key, str) or not key:
        errors["key"] = [_("Give the workflow's key.")]
    if not isinstance(data.get("definition"), dict):
        errors["definition"] = [_("A workflow definition is a JSON object.")]
    if errors:
        raise ValidationFailed(fields=errors)
    workflow = Workflow.objects.filter(key=key).first()
    if workflow is None:
        ticket_type = data.get("ticket_type")
        name = data.get("name") if isinstance(data.get("name"), str) else ""
        category = category_by_id(data["category"]) if data.get("category") else None
        org = None
        if data.get("org"):
            from loopdesk.orgs.models import Organization

            org = Organization.objects.filter(pk=data["org"]).first()
            if org is None:
                raise ValidationFailed(fields={"org": [_("No such organisation.")]})
        workflow = create_workflow(actor=actor, key=key, name=name or key, ticket_type=ticket_type,
                                   category=category, org=org, definition=data["definition"])
        version = workflow.versions.get()
        version.problems = validate(version.definition)  # type: ignore[attr-defined]
        return version
    if data.get("ticket_type", workflow.ticket_type) != workflow.ticket_type:
        raise ValidationFailed(fields={"ticket_type": [_("The workflow “%(key)s” is for another ticket type.") % {
            "key": key}]})
    draft = draft_of(workflow)
    if draft is not None:
        return update_draft(actor=actor, version=draft, definition=data["definition"])
    return create_draft(actor=actor, workflow=workflow, definition=data["definition"], notes=_("Imported"))


# --- reference data ----------------------------------------------------------------------------------


def ensure_defaults(apps: Any = None) -> int:
    """Create the six default workflows (published version 1) where missing; returns how many.
    `apps` is the migration's app registry when called from the data migration."""
    wf_model = apps.get_model("workflows", "Workflow") if apps else Workflow
    version_model = apps.get_model("workflows", "WorkflowVersion") if apps else WorkflowVersion
    created = 0
    for key, (ticket_type, names, _factory) in defaults.DEFAULTS.items():
        if wf_model.objects.filter(key=key).exists():
            continue
        workflow = wf_model.objects.create(key=key, name=names["zh-hans"], ticket_type=ticket_type)
        version_model.objects.create(
            workflow=workflow, number=1, status=V.PUBLISHED, definition=defaults.definition(key),
            published_at=timezone.now(), notes="Loopdesk default",
        )
        created += 1
    return created


def get_version(pk: int) -> WorkflowVersion:
    version = WorkflowVersion.objects.select_related("workflow").filter(pk=pk).first()
    if version is None:
        raise NotFound(_("No such workflow version."))
    return version


def state_keys_in_phase(phase: str) -> set[str]:
    """Every state key that is in `phase` in some published or retired version (for indexed scans)."""
    keys: set[str] = set()
    for definition in WorkflowVersion.objects.exclude(status=V.DRAFT).values_list("definition", flat=True):
        for state in (definition or {}).get("states", []):
            if isinstance(state, dict) and state.get("phase") == phase:
                keys.add(state.get("key"))
    return keys


_state_choices = ProcessCache("workflows.state_choices", ttl=10.0)
_state_choices.connect(WorkflowVersion)


def state_choices() -> list[tuple[str, str]]:
    """(key, label) of every state of a published or retired workflow version, for filters: the
    built-in statuses first in their order, then the workflows' own states by label (the first label
    a key has, in the active language)."""
    from django.utils.translation import get_language

    def load() -> list[tuple[str, str]]:
        labels: dict[str, str] = {}
        for definition in WorkflowVersion.objects.exclude(status=V.DRAFT).order_by("-id").values_list(
                "definition", flat=True):
            for state in (definition or {}).get("states", []):
                if isinstance(state, dict) and state.get("key") and state["key"] not in labels:
                    labels[state["key"]] = pick_label(state.get("label"), default=state["key"])
        known = [key for key in defaults.known_labels() if key in labels]
        rest = sorted((key for key in labels if key not in known), key=lambda k: labels[k])
        return [(key, labels[key]) for key in known + rest]

    return _state_choices.get(get_language(), load)


def category_by_id(pk: int) -> Any:
    """A ticket category by id (workflows may be narrowed to a category subtree)."""
    from django.apps import apps

    category = apps.get_model("tickets", "Category").objects.filter(pk=pk).first()
    if category is None:
        raise ValidationFailed(fields={"category_id": [_("No such category.")]})
    return category


def bind_unbound_tickets() -> int:
    """Bind every ticket without a version to the current version of its type's general workflow (one
    UPDATE per type), e.g. after the demo generator bulk-created tickets. Returns how many."""
    store = ticket_store()
    bound = 0
    for version in WorkflowVersion.objects.filter(
        status=V.PUBLISHED, workflow__active=True, workflow__category__isnull=True, workflow__org__isnull=True
    ).select_related("workflow"):
        bound += store.bind_legacy(version)
    return bound
