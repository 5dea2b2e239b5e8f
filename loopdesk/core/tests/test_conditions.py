"""The JSON condition trees: every operator, the groups, validation paths, the regex time limit."""

import datetime as dt

import pytest

from loopdesk.core import conditions
from loopdesk.core.conditions import ConditionError, compile_tree, evaluate, validate

FACTS = {
    "ticket.priority": "P2",
    "ticket.title": "打印机无法打印 Printer jam",
    "ticket.tags": ["vip", "urgent"],
    "ticket.category.path": "硬件/打印机",
    "ticket.cf.erp": "U8",
    "ticket.reopen_count": 2,
    "ticket.created_at": dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC),
    "ticket.assignee": None,
    "customer.vip": 1,
    "customer.name": "Acme",
    "contract.level": "gold",
    "asset.product_version": "V16.1",
    "flag.on": True,
    "changes": {"ticket.status": ("new", "assigned"), "ticket.priority": ("P3", "P2")},
}


def cmp(field, op, value=None, **extra):
    node = {"field": field, "op": op, **extra}
    if value is not None:
        node["value"] = value
    return node


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (cmp("ticket.priority", "eq", "P2"), True),
        (cmp("ticket.priority", "eq", "p2"), False),
        (cmp("ticket.priority", "eq", "p2", ignore_case=True), True),
        (cmp("ticket.priority", "ne", "P1"), True),
        (cmp("ticket.priority", "ne", "P2"), False),
        ({"field": "ticket.assignee", "op": "eq", "value": None}, True),
        (cmp("customer.vip", "eq", True), False),  # booleans never equal numbers
        (cmp("flag.on", "eq", True), True),
        (cmp("ticket.reopen_count", "lt", 3), True),
        (cmp("ticket.reopen_count", "le", 2), True),
        (cmp("ticket.reopen_count", "gt", 2), False),
        (cmp("ticket.reopen_count", "ge", 2), True),
        (cmp("ticket.reopen_count", "gt", "1"), False),  # types must fit
        (cmp("ticket.priority", "lt", "P3"), True),
        (cmp("ticket.created_at", "gt", "2026-02-28"), True),
        (cmp("ticket.created_at", "lt", "2026-03-01T07:00:00+00:00"), False),
        (cmp("ticket.priority", "in", ["P1", "P2"]), True),
        (cmp("ticket.priority", "in", ["p1", "p2"], ignore_case=True), True),
        (cmp("ticket.priority", "not_in", ["P1", "P2"]), False),
        (cmp("ticket.tags", "in", ["vip"]), True),
        (cmp("ticket.title", "contains", "打印"), True),
        (cmp("ticket.title", "contains", "PRINTER", ignore_case=True), True),
        (cmp("ticket.title", "contains", "PRINTER"), False),
        (cmp("ticket.tags", "contains", "urgent"), True),
        (cmp("ticket.tags", "contains", "later"), False),
        (cmp("customer.vip", "contains", 1), False),
        (cmp("ticket.category.path", "startswith", "硬件/"), True),
        (cmp("ticket.category.path", "startswith", "软件/"), False),
        (cmp("ticket.title", "regex", r"^打印.*jam$"), True),
        (cmp("ticket.title", "regex", r"PRINTER", ignore_case=True), True),
        (cmp("asset.product_version", "regex", r"^V1[0-5]\."), False),
        (cmp("ticket.assignee", "is_empty"), True),
        (cmp("ticket.assignee", "is_empty", False), False),
        (cmp("ticket.tags", "is_empty"), False),
        (cmp("ticket.missing", "is_empty"), True),
        (cmp("ticket.reopen_count", "between", [1, 2]), True),
        (cmp("ticket.reopen_count", "between", [3, 9]), False),
        (cmp("ticket.created_at", "between", ["2026-03-01", "2026-03-02"]), True),
        ({"field": "ticket.status", "op": "changed"}, True),
        ({"field": "ticket.status", "op": "changed", "from": "new", "to": "assigned"}, True),
        ({"field": "ticket.status", "op": "changed", "to": ["resolved", "closed"]}, False),
        ({"field": "ticket.priority", "op": "changed", "from": ["P3", "P4"]}, True),
        ({"field": "ticket.category", "op": "changed"}, False),
        (cmp("ticket.cf.erp", "eq", "U8"), True),
        (cmp("contract.level", "in", ["gold", "platinum"]), True),
    ],
)
def test_operators(node, expected):
    assert validate(node) == []
    assert evaluate(node, FACTS) is expected


def test_groups():
    yes, no = cmp("ticket.priority", "eq", "P2"), cmp("ticket.priority", "eq", "P1")
    assert evaluate({"all": [yes, yes]}, FACTS)
    assert not evaluate({"all": [yes, no]}, FACTS)
    assert evaluate({"any": [no, yes]}, FACTS)
    assert not evaluate({"any": [no, no]}, FACTS)
    assert evaluate({"not": no}, FACTS)
    assert not evaluate({"not": yes}, FACTS)
    assert evaluate({"all": []}, FACTS)
    assert not evaluate({"any": []}, FACTS)
    assert evaluate({}, FACTS)
    assert evaluate(None, FACTS)
    nested = {"all": [{"any": [no, {"not": no}]}, {"not": {"all": [yes, no]}}]}
    assert evaluate(nested, FACTS)


def test_missing_facts_never_raise():
    for op, value in [("lt", 1), ("contains", "x"), ("startswith", "x"), ("regex", "x"), ("between", [1, 2])]:
        assert evaluate(cmp("nowhere.field", op, value), {}) is False
    assert evaluate({"field": "ticket.status", "op": "changed"}, {}) is False


def test_validation_reports_every_error_with_its_path():
    tree = {
        "all": [
            cmp("ticket.priority", "eq", "P1"),
            {"field": "ticket.priority", "op": "equals", "value": "P1"},
            {
                "any": [
                    cmp("ticket.title", "regex", "([unclosed"),
                    {"field": "BAD FIELD", "op": "eq", "value": 1},
                ]
            },
            {"not": cmp("ticket.x", "between", [1])},
            {"field": "ticket.x", "op": "in", "value": "P1", "extra": 1},
            "oops",
            {"all": "not a list"},
            {"all": [], "any": []},
            {"field": "ticket.x", "op": "eq", "value": {"a": 1}},
            {"field": "ticket.x", "op": "eq"},
            {"field": "ticket.x", "op": "changed", "value": 1, "to": {"x": 1}},
            {"field": "ticket.x", "op": "lt", "value": True},
            {"field": "ticket.x", "op": "lt", "value": 1, "ignore_case": True},
            {"field": "ticket.x", "op": "eq", "value": 1, "from": 1},
        ]
    }
    paths = [p for p, _ in validate(tree)]
    assert paths == [
        "all[1].op",
        "all[2].any[0].value",
        "all[2].any[1].field",
        "all[3].not.value",
        "all[4].extra",
        "all[4].value",
        "all[5]",
        "all[6].all",
        "all[7]",
        "all[8].value",
        "all[9].value",
        "all[10].value",
        "all[10].to",
        "all[11].value",
        "all[12].ignore_case",
        "all[13].from",
    ]
    assert all(msg for _, msg in validate(tree))
    with pytest.raises(ConditionError) as exc:
        compile_tree(tree)
    assert exc.value.errors[0][0] == "all[1].op"


def test_validation_of_roots_and_limits():
    assert [p for p, _ in validate([])] == [""]
    assert validate({}) == []
    deep = cmp("ticket.a", "eq", 1)
    for _ in range(conditions.MAX_DEPTH + 2):
        deep = {"not": deep}
    assert validate(deep)
    wide = {"any": [cmp("ticket.a", "eq", i) for i in range(conditions.MAX_NODES + 1)]}
    assert [p for p, _ in validate(wide)] == [""]
    assert validate(cmp("ticket.a", "regex", "x" * (conditions.MAX_PATTERN + 1)))


def test_known_fields():
    known = {"ticket.priority": "choice", "ticket.cf": "custom"}
    assert validate(cmp("ticket.priority", "eq", "P1"), fields=known) == []
    assert validate(cmp("ticket.cf.erp", "eq", "U8"), fields=known) == []
    assert [p for p, _ in validate(cmp("ticket.nope", "eq", 1), fields=known)] == ["field"]


def test_regex_has_a_time_limit(monkeypatch):
    node = cmp("ticket.title", "regex", r"(x+x+)+y")
    subject = {"ticket.title": "x" * 30 + "z" + "xxy"}
    assert compile_tree(node)(subject) is True
    # With a limit too short for the search, it is cut off and counts as no match (never hangs).
    monkeypatch.setattr(conditions, "REGEX_TIMEOUT", 0.000001)
    assert compile_tree(node)(subject) is False


def test_compiled_form_is_cached():
    node = cmp("ticket.priority", "eq", "P2")
    assert conditions.compiled(node) is conditions.compiled(dict(node))
    first = conditions.compiled(node, key=("rule", 1, 1))
    assert conditions.compiled({"field": "ignored.x", "op": "eq", "value": 0}, key=("rule", 1, 1)) is first
    assert conditions.compiled(node, key=("rule", 1, 2)) is not first
