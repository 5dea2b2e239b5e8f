"""/api/v1/workflows: list, read, draft, validate, publish, migrate tickets, import and export.

Staff may read; writing needs Perm.WORKFLOW_ADMIN (checked by the services). Customers get 403.
Errors are the API's problem details (raised here as domain errors); a definition's problems carry
their paths, e.g. `definition.transitions[3].to`. `POST /validate` always answers 200 with
`valid` and `problems`, since an invalid definition is the answer, not a bad request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from loopdesk.accounts.scope import scope_for
from loopdesk.core.errors import Forbidden, NotFound, ValidationFailed

from . import services
from .hooks import ticket_store
from .models import Workflow, WorkflowVersion
from .validation import validate

router = Router(tags=["workflows"])


class Body(Schema):
    model_config = ConfigDict(extra="forbid")


class ProblemOut(Schema):
    path: str = Field(description="Where in the definition, e.g. `transitions[3].to`.")
    message: str


class VersionSummary(Schema):
    id: int
    number: int
    status: str
    notes: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    published_by: str | None
    tickets: int = Field(description="Tickets running on this version.")


class VersionOut(VersionSummary):
    workflow_id: int
    workflow_key: str
    definition: dict[str, Any]
    valid: bool
    problems: list[ProblemOut]


class WorkflowOut(Schema):
    id: int
    key: str
    name: str
    ticket_type: str
    category_id: int | None
    org_id: int | None
    active: bool
    current_version_id: int | None
    draft_version_id: int | None
    updated_at: dt.datetime


class WorkflowDetailOut(WorkflowOut):
    versions: list[VersionSummary]


class WorkflowPage(Schema):
    items: list[WorkflowOut]
    next_cursor: str | None = None


class WorkflowIn(Body):
    key: str = Field(max_length=64)
    name: str = Field(max_length=100)
    ticket_type: str = Field(max_length=24)
    category_id: int | None = Field(None, ge=1)
    org_id: int | None = Field(None, ge=1)
    definition: dict[str, Any] | None = Field(None, description="Omit to start from the type's default workflow.")


class DraftIn(Body):
    definition: dict[str, Any] | None = Field(None, description="Omit to copy `base_version_id` or the current one.")
    base_version_id: int | None = Field(None, ge=1)
    notes: str = Field("", max_length=500)


class DraftPatch(Body):
    definition: dict[str, Any]
    notes: str | None = Field(None, max_length=500)


class DefinitionIn(Body):
    definition: Any


class ValidationOut(Schema):
    valid: bool
    problems: list[ProblemOut]


class MigrationIn(Body):
    mapping: dict[str, str] = Field(description="{state of the old version: state of the new version}")


class PublishIn(Body):
    migration: MigrationIn | None = Field(
        None, description="Move the previous version's tickets with this mapping (every state in use mapped)."
    )


class MigrateIn(Body):
    to_version_id: int = Field(ge=1)
    mapping: dict[str, str]


class ImportIn(Body):
    """An export (GET /workflows/{id}/export)."""

    format: str = "loopdesk.workflow"
    format_version: int = 1
    key: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=100)
    ticket_type: str | None = Field(None, max_length=24)
    category: int | None = None
    org: int | None = None
    version: int | None = None
    definition: Any = None


class MigrateOut(Schema):
    moved: int


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _reader(request: HttpRequest) -> Any:
    user = _user(request)
    if scope_for(user).customer_only:
        raise Forbidden(_("Only service staff may see workflows."))
    return user


def _workflow(workflow_id: int) -> Workflow:
    workflow = Workflow.objects.filter(pk=workflow_id).first()
    if workflow is None:
        raise NotFound(_("No such workflow."))
    return workflow


def _problems(definition: Any) -> list[dict]:
    return [{"path": p.path, "message": p.message} for p in validate(definition)]


def _summary(version: WorkflowVersion, counts: dict[int, int]) -> dict:
    return {
        "id": version.pk, "number": version.number, "status": version.status, "notes": version.notes,
        "created_at": version.created_at, "published_at": version.published_at,
        "published_by": str(version.published_by) if version.published_by_id else None,
        "tickets": counts.get(version.pk, 0),
    }


def version_out(version: WorkflowVersion) -> dict:
    problems = _problems(version.definition)
    counts = ticket_store().count_by_version([version.pk])
    return {
        **_summary(version, counts), "workflow_id": version.workflow_id, "workflow_key": version.workflow.key,
        "definition": version.definition, "valid": not problems, "problems": problems,
    }


def workflow_out(workflow: Workflow, versions: list[WorkflowVersion] | None = None) -> dict:
    versions = versions if versions is not None else list(workflow.versions.all())
    return {
        "id": workflow.pk, "key": workflow.key, "name": workflow.name, "ticket_type": workflow.ticket_type,
        "category_id": workflow.category_id, "org_id": workflow.org_id, "active": workflow.active,
        "current_version_id": next((v.pk for v in versions if v.status == WorkflowVersion.Status.PUBLISHED), None),
        "draft_version_id": next((v.pk for v in versions if v.status == WorkflowVersion.Status.DRAFT), None),
        "updated_at": workflow.updated_at,
    }


@router.get("", response=WorkflowPage, summary="Workflows")
def list_workflows(request: HttpRequest, ticket_type: str | None = None):
    """Every workflow (there are few), by ticket type; staff only."""
    _reader(request)
    qs = Workflow.objects.prefetch_related("versions")
    if ticket_type:
        qs = qs.filter(ticket_type=ticket_type)
    return {"items": [workflow_out(w, list(w.versions.all())) for w in qs], "next_cursor": None}


@router.post("", response={201: WorkflowDetailOut}, summary="Create a workflow (administrators)")
def create_workflow(request: HttpRequest, payload: WorkflowIn):
    """A new workflow with a first draft; a second general workflow for a type is refused (narrow it to a
    category or organisation subtree)."""
    from loopdesk.orgs.models import Organization

    category = org = None
    if payload.category_id is not None:
        category = services.category_by_id(payload.category_id)
    if payload.org_id is not None:
        org = Organization.objects.filter(pk=payload.org_id).first()
        if org is None:
            raise ValidationFailed(fields={"org_id": [_("No such organisation.")]})
    workflow = services.create_workflow(
        actor=_user(request), key=payload.key, name=payload.name, ticket_type=payload.ticket_type,
        category=category, org=org, definition=payload.definition,
    )
    return Status(201, get_workflow(request, workflow.pk))


@router.get("/{int:workflow_id}", response=WorkflowDetailOut, summary="A workflow with its versions")
def get_workflow(request: HttpRequest, workflow_id: int):
    _reader(request)
    workflow = _workflow(workflow_id)
    versions = list(workflow.versions.select_related("published_by"))
    counts = ticket_store().count_by_version([v.pk for v in versions])
    return {**workflow_out(workflow, versions), "versions": [_summary(v, counts) for v in versions]}


@router.get("/{int:workflow_id}/export", response=dict[str, Any], summary="Export a workflow as JSON")
def export_workflow(request: HttpRequest, workflow_id: int, version: int | None = None):
    """The current version (or version number `version`) in the import format."""
    _reader(request)
    workflow = _workflow(workflow_id)
    chosen = None
    if version is not None:
        chosen = workflow.versions.filter(number=version).first()
        if chosen is None:
            raise NotFound(_("No such workflow version."))
    return services.export_json(workflow, chosen)


@router.post("/import", response={201: VersionOut}, summary="Import a workflow (administrators)")
def import_workflow(request: HttpRequest, payload: ImportIn):
    """Reads an export: creates the workflow (with a draft) or a new draft of the workflow with the same
    key. The draft's problems are in the answer; publish it to put it to use."""
    version = services.import_json(actor=_user(request), data=payload.model_dump())
    return Status(201, version_out(WorkflowVersion.objects.select_related("workflow").get(pk=version.pk)))


@router.post("/validate", response=ValidationOut, summary="Validate a definition")
def validate_definition(request: HttpRequest, payload: DefinitionIn):
    """Always 200: `valid` and the `problems` with their paths (an empty list when valid)."""
    _reader(request)
    problems = _problems(payload.definition)
    return {"valid": not problems, "problems": problems}


@router.post("/{int:workflow_id}/drafts", response={201: VersionOut}, summary="Start a draft (administrators)")
def create_draft(request: HttpRequest, workflow_id: int, payload: DraftIn):
    """A new draft from `definition`, else a copy of `base_version_id`, else of the current version.
    409 while the workflow already has a draft."""
    workflow = _workflow(workflow_id)
    base = None
    if payload.base_version_id is not None:
        base = WorkflowVersion.objects.filter(pk=payload.base_version_id, workflow=workflow).first()
        if base is None:
            raise ValidationFailed(fields={"base_version_id": [_("No such version of this workflow.")]})
    version = services.create_draft(actor=_user(request), workflow=workflow, definition=payload.definition,
                                    base_version=base, notes=payload.notes)
    return Status(201, version_out(version))


@router.get("/versions/{int:version_id}", response=VersionOut, summary="A workflow version")
def get_version(request: HttpRequest, version_id: int):
    _reader(request)
    return version_out(services.get_version(version_id))


def _update(request: HttpRequest, version_id: int, payload: DraftPatch):
    version = services.update_draft(actor=_user(request), version=services.get_version(version_id),
                                    definition=payload.definition, notes=payload.notes)
    return version_out(WorkflowVersion.objects.select_related("workflow").get(pk=version.pk))


@router.put("/versions/{int:version_id}", response=VersionOut, summary="Replace a draft's definition")
def put_version(request: HttpRequest, version_id: int, payload: DraftPatch):
    """Saved even when invalid; the answer lists the problems. 409 for a published version."""
    return _update(request, version_id, payload)


@router.patch("/versions/{int:version_id}", response=VersionOut, summary="Change a draft")
def patch_version(request: HttpRequest, version_id: int, payload: DraftPatch):
    return _update(request, version_id, payload)


@router.delete("/versions/{int:version_id}", response={204: None}, summary="Discard a draft")
def delete_version(request: HttpRequest, version_id: int):
    services.discard_draft(actor=_user(request), version=services.get_version(version_id))
    return Status(204, None)


@router.post("/versions/{int:version_id}/publish", response=VersionOut, summary="Publish a draft")
def publish_version(request: HttpRequest, version_id: int, payload: PublishIn | None = None):
    """The draft becomes the current version; the previous one is retired and its tickets stay on it,
    unless `migration.mapping` moves them (every state in use must be mapped). 422 with the problems'
    paths (`definition.…`) when the definition is invalid."""
    migration = payload.migration.model_dump() if payload and payload.migration else None
    version = services.publish(actor=_user(request), version=services.get_version(version_id), migration=migration)
    return version_out(WorkflowVersion.objects.select_related("workflow", "published_by").get(pk=version.pk))


@router.post("/versions/{int:version_id}/migrate", response=MigrateOut, summary="Move tickets to another version")
def migrate_version(request: HttpRequest, version_id: int, payload: MigrateIn):
    """Moves every ticket running on this version to `to_version_id` (the workflow's current version),
    mapping states as given; refused unless every state in use is mapped to an existing state."""
    source = services.get_version(version_id)
    target = WorkflowVersion.objects.filter(pk=payload.to_version_id).first()
    if target is None:
        raise ValidationFailed(fields={"to_version_id": [_("No such workflow version.")]})
    moved = services.migrate_tickets(actor=_user(request), from_version=source, to_version=target,
                                     mapping=payload.mapping)
    return {"moved": moved}
