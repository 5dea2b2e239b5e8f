"""The workflow diagram: a layered layout in Python, drawn as inline SVG (structure, not pixels)."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import pytest

from loopdesk.workflows import defaults, diagram
from loopdesk.workflows.diagram import layout, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def state(key, zh, en, phase, **extra):
    return {"key": key, "label": {"zh-hans": zh, "en": en}, "phase": phase, **extra}


def transition(key, sources, to, zh, en):
    return {"key": key, "from": sources, "to": to, "label": {"zh-hans": zh, "en": en}, "roles": ["agent"]}


WORK_ORDER = {
    "states": [
        state("new", "新建", "New", "open", initial=True),
        state("in_progress", "处理中", "In progress", "working"),
        state("waiting_parts", "等待备件", "Waiting for parts", "waiting"),
        state("resolved", "已解决", "Resolved", "resolved"),
        state("closed", "已关闭", "Closed", "closed"),
        state("cancelled", "已取消", "Cancelled", "closed"),
    ],
    "transitions": [
        transition("start", ["new"], "in_progress", "开始处理", "Start"),
        transition("wait_parts", ["in_progress"], "waiting_parts", "等待备件", "Wait for parts"),
        transition("parts_in", ["waiting_parts"], "in_progress", "备件到货", "Parts arrived"),
        transition("resolve", ["in_progress"], "resolved", "解决", "Resolve"),
        transition("reopen", ["resolved"], "in_progress", "重新打开", "Reopen"),
        transition("close", ["resolved"], "closed", "关闭", "Close"),
        transition("cancel", ["new", "in_progress", "waiting_parts"], "cancelled", "取消", "Cancel"),
    ],
}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    return root


def states_of(root):
    return {g.get("data-state"): g for g in root.iter(f"{SVG}g") if "wf-state" in (g.get("class") or "").split()}


def edges_of(root):
    return {(g.get("data-from"), g.get("data-to")): g for g in root.iter(f"{SVG}g")
            if "wf-edge" in (g.get("class") or "").split()}


def classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def test_every_state_and_transition_is_drawn_with_its_label_and_phase():
    root = parse(render_svg(WORK_ORDER))
    states = states_of(root)
    assert list(states) == [s["key"] for s in WORK_ORDER["states"]]
    assert states["waiting_parts"].find(f"{SVG}text").text == "等待备件"
    assert "wf-phase-waiting" in classes(states["waiting_parts"])
    assert "wf-initial" in classes(states["new"])
    for g in states.values():
        assert g.find(f"{SVG}title").text  # each box names itself for screen readers
    edges = edges_of(root)
    # one edge per (from, to) pair: "cancel" leaves three states
    assert set(edges) == {("new", "in_progress"), ("in_progress", "waiting_parts"), ("waiting_parts", "in_progress"),
                          ("in_progress", "resolved"), ("resolved", "in_progress"), ("resolved", "closed"),
                          ("new", "cancelled"), ("in_progress", "cancelled"), ("waiting_parts", "cancelled")}
    assert edges[("in_progress", "waiting_parts")].find(f"{SVG}title").text == "处理中 → 等待备件: 等待备件"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "备件到货" in texts and "开始处理" in texts
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text.startswith("6")


def test_english_labels_and_legend():
    root = parse(render_svg(WORK_ORDER, lang="en"))
    assert states_of(root)["waiting_parts"].find(f"{SVG}text").text == "Waiting for parts"
    legend = [g.get("data-phase") for g in root.iter(f"{SVG}g") if g.get("class") == "wf-legend-phase"]
    assert legend == ["open", "working", "waiting", "resolved", "closed"]
    assert "Waiting" in [t.text for t in root.iter(f"{SVG}text")]


def test_missing_language_falls_back_to_the_other_then_the_key():
    definition = copy.deepcopy(WORK_ORDER)
    definition["states"][1]["label"] = {"zh-hans": "处理中"}
    definition["states"][2]["label"] = {}
    root = parse(render_svg(definition, lang="en"))
    assert states_of(root)["in_progress"].find(f"{SVG}text").text == "处理中"
    assert states_of(root)["waiting_parts"].find(f"{SVG}text").text == "waiting_parts"


def test_current_state_and_trail_are_marked():
    trail = ["new", "in_progress", "waiting_parts", "in_progress", "waiting_parts"]
    root = parse(render_svg(WORK_ORDER, current="waiting_parts", trail=trail))
    states = states_of(root)
    assert "wf-current" in classes(states["waiting_parts"])
    assert states["waiting_parts"].get("aria-current") == "step"
    assert [k for k, g in states.items() if "wf-current" in classes(g)] == ["waiting_parts"]
    assert {k for k, g in states.items() if "wf-visited" in classes(g)} == {"new", "in_progress", "waiting_parts"}
    edges = edges_of(root)
    assert edges[("new", "in_progress")].get("data-steps") == "1"
    assert edges[("in_progress", "waiting_parts")].get("data-steps") == "2 4"
    assert edges[("waiting_parts", "in_progress")].get("data-steps") == "3"
    assert "wf-trail" not in classes(edges[("in_progress", "resolved")])
    assert edges[("in_progress", "resolved")].get("data-steps") is None
    assert "等待备件 #2,4" in [t.text for t in root.iter(f"{SVG}text")]
    assert "处理中" in root.find(f"{SVG}desc").text


def test_without_current_or_trail_nothing_is_marked():
    svg = render_svg(WORK_ORDER)
    assert "wf-current" not in svg and "wf-trail" not in svg and "wf-visited" not in svg


def test_labels_are_escaped():
    definition = copy.deepcopy(WORK_ORDER)
    evil = '<script>alert("x")</script>&'
    definition["states"][2]["label"]["zh-hans"] = evil
    definition["transitions"][0]["label"]["zh-hans"] = '"><img src=x onerror=alert(1)>'
    definition["states"][2]["key"] = 'waiting"parts'
    svg = render_svg(definition, current='waiting"parts')
    assert "<script" not in svg and "<img" not in svg
    root = parse(svg)
    assert any(t.text == evil for t in root.iter(f"{SVG}text"))
    assert 'waiting"parts' in states_of(root)


def test_output_is_deterministic():
    assert render_svg(WORK_ORDER, current="in_progress", trail=["new", "in_progress"]) == render_svg(
        copy.deepcopy(WORK_ORDER), current="in_progress", trail=["new", "in_progress"])


def test_layers_follow_the_flow_from_the_initial_state():
    drawn = layout(WORK_ORDER)
    nodes = drawn.nodes
    assert nodes["new"].layer == 0
    assert nodes["new"].y < nodes["in_progress"].y < nodes["resolved"].y < nodes["closed"].y
    # the back edges (parts arrived, reopen) do not push their target down
    assert nodes["in_progress"].layer == 1
    assert nodes["waiting_parts"].layer == 2 and nodes["resolved"].layer == 2
    reversed_pairs = {(e.source, e.target) for e in drawn.edges if e.reversed}
    assert reversed_pairs == {("waiting_parts", "in_progress"), ("resolved", "in_progress")}
    # boxes of one layer never overlap
    for row in drawn.layers:
        boxes = sorted((nodes[k].x - nodes[k].width / 2, nodes[k].x + nodes[k].width / 2) for k in row)
        assert all(a[1] <= b[0] for a, b in zip(boxes, boxes[1:], strict=False))


def test_long_edges_pass_through_every_layer_between():
    drawn = layout(WORK_ORDER)
    cancel = next(e for e in drawn.edges if (e.source, e.target) == ("new", "cancelled"))
    layers = [drawn.nodes[k].layer for k in cancel.chain]
    assert layers == list(range(layers[0], layers[-1] + 1))
    assert all(drawn.nodes[k].dummy for k in cancel.chain[1:-1])


def test_saved_layout_positions_are_honoured():
    definition = copy.deepcopy(WORK_ORDER)
    definition["layout"] = {"waiting_parts": [900, 40], "unknown": [1, 2], "closed": "bad"}
    drawn = layout(definition)
    assert (drawn.nodes["waiting_parts"].x, drawn.nodes["waiting_parts"].y) == (900, 40)
    rect = states_of(parse(render_svg(definition)))["waiting_parts"].find(f"{SVG}rect")
    width = float(rect.get("width"))
    assert float(rect.get("x")) == pytest.approx(900 - width / 2)
    assert float(rect.get("y")) == pytest.approx(40 - diagram.BOX_H / 2)


@pytest.mark.parametrize("definition", [
    {}, {"states": []}, {"states": "x", "transitions": 3}, None,
    {"states": [{"key": "a"}, {"label": "x"}, "junk"], "transitions": [{"from": "a", "to": "a"}, {"to": "zz"}]},
    {"states": [state("a", "甲", "A", "open", initial=True), state("b", "乙", "B", "closed")],
     "transitions": [transition("t", ["a"], "b", "走", "Go"), transition("u", ["b"], "a", "回", "Back"),
                     transition("v", ["a"], "b", "也走", "Also")]},
])
def test_drafts_being_edited_still_render(definition):
    """The live preview draws whatever the administrator has typed so far, valid or not."""
    root = parse(render_svg(definition, current="nowhere", trail=["x", "y"]))
    assert root.find(f"{SVG}title") is not None


def test_two_transitions_between_the_same_states_share_one_labelled_edge():
    definition = {"states": [state("a", "甲", "A", "open", initial=True), state("b", "乙", "B", "closed")],
                  "transitions": [transition("t", ["a"], "b", "走", "Go"), transition("v", ["a"], "b", "也走", "Also")]}
    edges = edges_of(parse(render_svg(definition)))
    assert list(edges) == [("a", "b")]
    assert edges[("a", "b")].get("data-transitions") == "t v"
    assert "走 / 也走" in render_svg(definition)


@pytest.mark.parametrize("key", sorted(defaults.DEFAULTS))
def test_every_default_workflow_renders(key):
    definition = defaults.definition(key)
    root = parse(render_svg(definition, title="派工单流程 v1"))
    assert list(states_of(root)) == [s["key"] for s in definition["states"]]
    pairs = {(source, t["to"]) for t in definition["transitions"] for source in t["from"]}
    assert set(edges_of(root)) == pairs
    assert root.find(f"{SVG}title").text == "派工单流程 v1"
    drawn = layout(definition)
    assert drawn.nodes[next(s["key"] for s in definition["states"] if s.get("initial"))].layer == 0


@pytest.mark.parametrize("definition", [
    {}, {"states": "x", "transitions": 3}, {"states": [{"key": "a", "label": "A"}, 7], "transitions": [{"from": "a"}]},
])
def test_the_editor_draws_rows_for_broken_drafts(definition):
    from loopdesk.workflows.forms import editor_rows

    rows = editor_rows(definition)
    assert rows["states"][-1].key == "" and len(rows["transitions"]) >= 2
