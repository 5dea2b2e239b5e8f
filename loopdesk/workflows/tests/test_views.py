"""The workflow pages: who may look and who may change, the editor's rows and live preview, publishing
with the ticket migration mapping, import/export, and the ticket page's workflow panel."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loopdesk.tickets.services import create_ticket, transition_ticket
from loopdesk.workflows import services
from loopdesk.workflows.forms import definition_from_rows
from loopdesk.workflows.models import Workflow, WorkflowVersion
from loopdesk.workflows.validation import validate
from loopdesk.workflows.vocabulary import ROLES

HTMX = {"HTTP_HX_REQUEST": "true"}
V = WorkflowVersion.Status


class FormFields(HTMLParser):
    """The values a browser would post from one <form id=...> of a page (checked boxes only)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.select, self.textarea = form_id, False, None, None
        self.data: dict[str, list[str]] = {}

    def add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.add(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self.add(a["name"], a.get("value") or "")
        elif tag == "select":
            self.select, self.first = a["name"], None
            self.data.setdefault(self.select, [])
        elif tag == "option" and self.select:
            if self.first is None:
                self.first = a.get("value", "")
            if "selected" in a:
                self.add(self.select, a.get("value", ""))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.add(self.textarea, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            if not self.data[self.select]:
                self.data[self.select] = [self.first or ""]
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data


def form_data(html: str, form_id: str = "wf-editor") -> dict[str, list[str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    assert parser.data, f"no form #{form_id}"
    return parser.data


@pytest.fixture
def work_order(world):
    return Workflow.objects.get(key="work_order")


@pytest.fixture
def draft(world, work_order):
    return services.create_draft(actor=world.admin, workflow=work_order)


def editor_data(client, workflow) -> dict[str, list[str]]:
    page = client.get(reverse("workflows:edit", args=[workflow.key]))
    assert page.status_code == 200
    return form_data(page.content.decode())


def add_state(data, key, zh, en, phase):
    i = int(data["state-count"][0]) - 1  # the blank row
    data |= {f"state-{i}-key": [key], f"state-{i}-zh": [zh], f"state-{i}-en": [en], f"state-{i}-phase": [phase]}


def add_transition(data, n, key, sources, to, zh, en, roles=("engineer", "agent")):
    i = int(data["tr-count"][0]) - 2 + n  # the two blank rows
    data |= {f"tr-{i}-key": [key], f"tr-{i}-from": list(sources), f"tr-{i}-to": [to], f"tr-{i}-zh": [zh],
             f"tr-{i}-en": [en], f"tr-{i}-roles": list(roles)}


# --- looking -----------------------------------------------------------------------------------------


def test_staff_see_the_list_and_the_diagram_without_edit_controls(client, world, work_order,
                                                                  django_assert_max_num_queries):
    client.force_login(world.agent)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("workflows:list"))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-workflow="work_order"' in html and 'id="import-form"' not in html
    with django_assert_max_num_queries(10):
        page = client.get(reverse("workflows:detail", args=["work_order"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg' in html and 'data-state="waiting_customer"' in html and "wf-legend" in html
    assert 'id="create-draft"' not in html and 'id="import-form"' not in html
    assert 'id="export-json"' in html
    version = services.published_of(work_order)
    assert client.get(reverse("workflows:version", args=["work_order", version.number])).status_code == 200


def test_customers_and_strangers_get_no_workflow_pages(client, world):
    assert client.get(reverse("workflows:list")).status_code == 302  # to the sign-in page
    client.force_login(world.customer)
    assert client.get(reverse("workflows:list")).status_code == 404
    assert client.get(reverse("workflows:detail", args=["work_order"])).status_code == 404
    client.force_login(world.agent)
    assert client.get(reverse("workflows:detail", args=["nope"])).status_code == 404


def test_an_agent_without_workflow_admin_can_change_nothing(client, world, work_order):
    client.force_login(world.agent)
    key = work_order.key
    assert client.post(reverse("workflows:create_draft", args=[key])).status_code == 403
    assert not work_order.versions.filter(status=V.DRAFT).exists()
    services.create_draft(actor=world.admin, workflow=work_order)
    for name in ("edit", "publish"):
        assert client.get(reverse(f"workflows:{name}", args=[key])).status_code == 403
    for name in ("edit", "edit_json", "preview", "publish", "discard"):
        assert client.post(reverse(f"workflows:{name}", args=[key]), {"definition": "{}"}).status_code == 403
    upload = SimpleUploadedFile("w.json", json.dumps(services.export_json(work_order)).encode())
    assert client.post(reverse("workflows:import"), {"file": upload}).status_code == 403
    draft = services.draft_of(work_order)
    assert draft.definition == services.published_of(work_order).definition


def test_the_detail_page_counts_tickets_per_version(client, world, work_order):
    create_ticket(actor=world.agent, title="上门更换硬盘", description="服务器硬盘告警", company=world.acme,
                  type="work_order")
    client.force_login(world.admin)
    html = client.get(reverse("workflows:detail", args=["work_order"])).content.decode()
    assert 'id="create-draft"' in html and 'id="import-form"' in html
    row = html[html.index('data-version="1"'):]
    assert "<td>1</td>" in row[:row.index("</tr>")]


# --- editing -----------------------------------------------------------------------------------------


def test_admin_starts_a_draft_and_the_editor_shows_its_rows(client, world, work_order):
    client.force_login(world.admin)
    response = client.post(reverse("workflows:create_draft", args=["work_order"]))
    assert response.status_code == 302 and response["Location"] == reverse("workflows:edit", args=["work_order"])
    data = editor_data(client, work_order)
    definition = services.draft_of(work_order).definition
    assert int(data["state-count"][0]) == len(definition["states"]) + 1
    assert int(data["tr-count"][0]) == len(definition["transitions"]) + 2
    # the page posts back exactly the definition it shows
    assert definition_from_rows(data, base=definition) == normalised(definition)


def normalised(definition):
    """What the editor rows carry: every transition property spelled out, in a fixed order."""
    out = {"states": [], "transitions": []}
    order = {s["key"]: i for i, s in enumerate(definition["states"])}
    roles = list(ROLES)
    for s in definition["states"]:
        state = {"key": s["key"], "label": s["label"], "phase": s["phase"]}
        if s.get("initial"):
            state["initial"] = True
        out["states"].append(state)
    for t in definition["transitions"]:
        out["transitions"].append({
            "key": t["key"], "from": sorted(t["from"], key=order.get), "to": t["to"], "label": t["label"],
            "roles": sorted(t.get("roles", []), key=roles.index),
            "customer": t.get("customer", False), "required": t.get("required", []), "form": t.get("form", []),
            **{k: t[k] for k in ("guard", "within_days", "actions") if k in t},
        })
    return out


def test_live_preview_draws_and_checks_without_saving(client, world, work_order, draft):
    client.force_login(world.admin)
    data = editor_data(client, work_order)
    add_state(data, "waiting_vendor", "等待厂商", "Waiting for vendor", "waiting")
    response = client.post(reverse("workflows:preview", args=["work_order"]), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<svg" in html and 'data-state="waiting_vendor"' in html
    assert "等待厂商" in html and 'data-path="states[' in html and "waiting_vendor" in html
    assert "<html" not in html  # a fragment
    draft.refresh_from_db()
    assert "waiting_vendor" not in {s["key"] for s in draft.definition["states"]}
    # with transitions in and out the problem goes away
    add_transition(data, 0, "wait_vendor", ["in_progress"], "waiting_vendor", "等待厂商", "Wait for vendor")
    add_transition(data, 1, "vendor_back", ["waiting_vendor"], "in_progress", "厂商答复", "Vendor replied")
    html = client.post(reverse("workflows:preview", args=["work_order"]), data, **HTMX).content.decode()
    assert 'id="wf-valid"' in html and 'data-from="in_progress" data-to="waiting_vendor"' in html


def test_preview_of_the_json_box_reports_bad_json(client, world, work_order, draft):
    client.force_login(world.admin)
    url = reverse("workflows:preview", args=["work_order"])
    html = client.post(url, {"mode": "json", "definition": "{nope"}, **HTMX).content.decode()
    assert "JSON" in html and "errorlist" in html
    broken = dict(draft.definition, states=[s for s in draft.definition["states"] if s["key"] != "resolved"])
    html = client.post(url, {"mode": "json", "definition": json.dumps(broken)}, **HTMX).content.decode()
    assert "transitions[" in html and "“resolved”" in html


def test_saving_rows_adds_renames_and_removes(client, world, work_order, draft):
    client.force_login(world.admin)
    data = editor_data(client, work_order)
    add_state(data, "waiting_vendor", "等待厂商", "Waiting for vendor", "waiting")
    add_transition(data, 0, "wait_vendor", ["in_progress"], "waiting_vendor", "等待厂商", "Wait for vendor")
    add_transition(data, 1, "vendor_back", ["waiting_vendor"], "in_progress", "厂商答复", "Vendor replied")
    response = client.post(reverse("workflows:edit", args=["work_order"]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    keys = [s["key"] for s in draft.definition["states"]]
    assert "waiting_vendor" in keys
    assert validate(draft.definition) == []
    # rename on_site → at_customer, remove waiting_parts
    data = editor_data(client, work_order)
    row = next(k for k, v in data.items() if k.endswith("-orig") and v == ["on_site"]).removesuffix("-orig")
    data[f"{row}-key"] = ["at_customer"]
    gone = next(k for k, v in data.items() if k.endswith("-orig") and v == ["waiting_parts"]).removesuffix("-orig")
    data[f"{gone}-delete"] = ["1"]
    client.post(reverse("workflows:edit", args=["work_order"]), data)
    draft.refresh_from_db()
    keys = [s["key"] for s in draft.definition["states"]]
    assert "at_customer" in keys and "on_site" not in keys and "waiting_parts" not in keys
    arrive = next(t for t in draft.definition["transitions"] if t["key"] == "arrive")
    assert arrive["to"] == "at_customer"
    assert all("waiting_parts" not in t["from"] and t["to"] != "waiting_parts" for t in draft.definition["transitions"])
    assert not any(t["key"] == "wait_parts" for t in draft.definition["transitions"])
    start = next(t for t in draft.definition["transitions"] if t["key"] == "start")
    assert "at_customer" in start["from"]


def test_rows_keep_guards_actions_and_windows():
    base = {"states": [{"key": "a", "label": {"zh-hans": "甲"}, "phase": "open", "initial": True},
                       {"key": "b", "label": {"zh-hans": "乙"}, "phase": "closed"}],
            "transitions": [], "layout": {"a": [10, 20], "b": [10, 120]}}
    extra = {"within_days": 7, "actions": [{"type": "set", "field": "priority", "value": 1}], "guard": None}
    data = {"state-count": ["2"], "state-0-key": ["start"], "state-0-orig": ["a"], "state-0-zh": ["甲"],
            "state-0-phase": ["open"], "state-0-initial": ["1"], "state-1-key": ["b"], "state-1-orig": ["b"],
            "state-1-zh": ["乙"], "state-1-en": ["B"], "state-1-phase": ["closed"],
            "tr-count": ["1"], "tr-0-orig": ["go"], "tr-0-key": ["go"], "tr-0-from": ["a"], "tr-0-to": ["b"],
            "tr-0-zh": ["走"], "tr-0-roles": ["agent"], "tr-0-extra": [json.dumps(extra)]}
    definition = definition_from_rows(data, base=base)
    assert definition["states"][0] == {"key": "start", "label": {"zh-hans": "甲"}, "phase": "open", "initial": True}
    assert definition["transitions"][0]["from"] == ["start"]
    assert definition["transitions"][0]["within_days"] == 7 and definition["transitions"][0]["actions"] == extra["actions"]
    assert definition["layout"] == {"start": [10, 20], "b": [10, 120]}


def test_json_editor_saves_and_refuses_bad_json(client, world, work_order, draft):
    client.force_login(world.admin)
    changed = dict(draft.definition)
    changed["states"] = [dict(s, label={"zh-hans": "派工完成", "en": "Dispatched"}) if s["key"] == "dispatched" else s
                         for s in changed["states"]]
    response = client.post(reverse("workflows:edit_json", args=["work_order"]), {"definition": json.dumps(changed)})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.definition == changed
    response = client.post(reverse("workflows:edit_json", args=["work_order"]), {"definition": "[1, 2"})
    assert response.status_code == 422 and "JSON" in response.content.decode()
    draft.refresh_from_db()
    assert draft.definition == changed


# --- publishing --------------------------------------------------------------------------------------


def test_publish_refuses_an_invalid_draft(client, world, work_order, draft):
    client.force_login(world.admin)
    broken = dict(draft.definition, states=draft.definition["states"] + [
        {"key": "limbo", "label": {"zh-hans": "悬空"}, "phase": "waiting"}])
    services.update_draft(actor=world.admin, version=draft, definition=broken)
    page = client.get(reverse("workflows:publish", args=["work_order"]))
    assert page.status_code == 200 and 'id="publish-form"' not in page.content.decode()
    response = client.post(reverse("workflows:publish", args=["work_order"]), {"tickets": "keep"})
    assert response.status_code == 422
    draft.refresh_from_db()
    assert draft.status == V.DRAFT


def test_publish_without_tickets_in_flight(client, world, work_order, draft):
    client.force_login(world.admin)
    page = client.get(reverse("workflows:publish", args=["work_order"]))
    html = page.content.decode()
    assert 'id="publish-form"' in html and 'id="migration-mapping"' not in html
    response = client.post(reverse("workflows:publish", args=["work_order"]), {"notes": "加等待备件"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == V.PUBLISHED and draft.notes == "加等待备件"


def test_publish_maps_every_state_in_use_before_moving_tickets(client, world, work_order):
    old = services.published_of(work_order)
    ticket = create_ticket(actor=world.agent, title="备件更换", description="主板故障", company=world.acme,
                           type="work_order", assignee=world.engineer)
    for to in ("in_progress", "waiting_parts"):
        transition_ticket(actor=world.engineer, ticket=ticket, to=to)
    draft = services.create_draft(actor=world.admin, workflow=work_order)
    definition = dict(draft.definition)
    definition["states"] = [s for s in definition["states"] if s["key"] != "waiting_parts"]
    definition["transitions"] = [dict(t, **{"from": [s for s in t["from"] if s != "waiting_parts"]})
                                 for t in definition["transitions"] if t["to"] != "waiting_parts"]
    services.update_draft(actor=world.admin, version=draft, definition=definition)
    client.force_login(world.admin)
    url = reverse("workflows:publish", args=["work_order"])
    html = client.get(url).content.decode()
    assert 'id="migration-mapping"' in html and 'data-state="waiting_parts"' in html
    # "move" with the state in use left unmapped: refused, nothing published
    response = client.post(url, {"tickets": "move", "map-waiting_parts": ""})
    assert response.status_code == 422 and "field-error" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == V.DRAFT
    response = client.post(url, {"tickets": "move", "map-waiting_parts": "in_progress"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.workflow_version_id == draft.pk and ticket.status == "in_progress"
    old.refresh_from_db()
    assert old.status == V.RETIRED


# --- import and export -------------------------------------------------------------------------------


def test_export_then_import_round_trip(client, world, work_order):
    client.force_login(world.admin)
    response = client.get(reverse("workflows:export", args=["work_order"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    exported = json.loads(response.content)
    assert exported["definition"] == services.published_of(work_order).definition
    # onto the same workflow's page: a draft equal to the exported definition
    upload = SimpleUploadedFile("wo.json", response.content, content_type="application/json")
    response = client.post(reverse("workflows:import"), {"file": upload, "workflow": "work_order"})
    assert response.status_code == 302 and response["Location"] == reverse("workflows:edit", args=["work_order"])
    assert services.draft_of(work_order).definition == exported["definition"]
    # pasted on the list page under a new key: a new workflow (narrowed, so it may share the type)
    exported |= {"key": "work_order_copy", "name": "派工单流程（副本）"}
    response = client.post(reverse("workflows:import"), {"text": json.dumps(exported, ensure_ascii=False)})
    copy = Workflow.objects.filter(key="work_order_copy").first()
    if copy is not None:  # the type already has a general workflow: the service may refuse a second one
        assert copy.versions.get().definition == exported["definition"]
    else:
        assert response.status_code == 302
    response = client.post(reverse("workflows:import"), {"text": "not json"}, follow=True)
    assert "JSON" in response.content.decode()


def test_viewing_staff_may_export(client, world, work_order):
    client.force_login(world.engineer)
    response = client.get(reverse("workflows:export", args=["work_order"]) + "?version=1")
    assert response.status_code == 200 and json.loads(response.content)["version"] == 1


# --- the ticket page's panel -------------------------------------------------------------------------


def test_ticket_panel_highlights_the_state_and_traces_the_path(client, world, work_order):
    ticket = create_ticket(actor=world.agent, title="上门维修", description="打印机卡纸", company=world.acme,
                           type="work_order", assignee=world.engineer)
    for to in ("in_progress", "waiting_parts", "in_progress"):
        transition_ticket(actor=world.engineer, ticket=ticket, to=to)
    client.force_login(world.engineer)
    response = client.get(reverse("tickets:workflow_diagram", args=[ticket.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<h2>")
    assert 'class="wf-state wf-phase-working wf-current wf-visited" data-state="in_progress"' in html
    assert 'data-from="in_progress" data-to="waiting_parts"' in html
    edge = html[html.index('data-from="in_progress" data-to="waiting_parts"') - 40:]
    assert "wf-trail" in edge[:60] and 'data-steps="2"' in edge[:300]
    assert "等待备件" in html


def test_ticket_panel_is_404_for_tickets_out_of_scope(client, world):
    ticket = create_ticket(actor=world.agent, title="上门维修", description="打印机卡纸", company=world.acme,
                           type="work_order")
    for user in (world.other_partner_agent, world.sh_agent):
        client.force_login(user)
        assert client.get(reverse("tickets:workflow_diagram", args=[ticket.pk]), **HTMX).status_code == 404
    client.force_login(world.other_customer)
    assert client.get(reverse("tickets:workflow_diagram", args=[ticket.pk]), **HTMX).status_code in (302, 404)


def test_pages_speak_english_too(client, world, work_order, draft):
    client.force_login(world.admin)
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    html = client.get(reverse("workflows:edit", args=["work_order"]), **english).content.decode()
    assert "Save draft" in html and "Waiting for parts" in html and "保存草稿" not in html
    html = client.get(reverse("workflows:detail", args=["work_order"]), **english).content.decode()
    assert "Versions" in html and ">Working<" in html  # the legend's phase names
    html = client.get(reverse("workflows:edit", args=["work_order"])).content.decode()
    assert "保存草稿" in html and "等待备件" in html
