"""JSON condition trees: validation with error paths, and fast evaluation over a flat dict of facts.

Pure logic (no ORM, never ``eval``). Used by automation rules and workflow transition guards.

A tree is one node:

- ``{"all": [node, ...]}`` — every child holds (an empty list holds);
- ``{"any": [node, ...]}`` — at least one child holds (an empty list does not hold);
- ``{"not": node}``;
- a comparison ``{"field": "ticket.priority", "op": "eq", "value": "P1"}``.

``{}`` (or ``None``) is the empty tree and always holds.

Comparison operators: ``eq ne lt le gt ge in not_in contains startswith regex is_empty changed
between``. ``contains``, ``startswith``, ``eq``, ``ne``, ``in``, ``not_in`` and ``regex`` accept
``"ignore_case": true``. ``is_empty`` takes no value (``"value": false`` means "is not empty").
``between`` takes ``[low, high]`` (both inclusive). ``changed`` takes optional ``from`` / ``to`` (a
scalar or a list of accepted values) and looks at ``facts["changes"]``, a dict mapping a field path to
``(old, new)``. ``regex`` patterns are compiled with the ``regex`` package and searched with a time
limit (:data:`REGEX_TIMEOUT` seconds); a search that runs out of time does not match.

Facts are a flat dict ``{"ticket.priority": "P2", "customer.vip": 1, "ticket.cf.erp": "U8", ...}``; a
missing fact is ``None``. Ordering operators compare numbers with numbers, strings with strings and
datetimes/dates with datetimes/dates or ISO strings; anything else does not match (never raises).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import regex
from django.utils.translation import gettext as _

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

REGEX_TIMEOUT = 0.05
MAX_DEPTH = 16
MAX_NODES = 500
MAX_PATTERN = 500

OPERATORS = (
    "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "startswith",
    "regex", "is_empty", "changed", "between",
)  # fmt: skip
_SCALAR = (str, int, float, bool, type(None))
_FIELD_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[A-Za-z0-9_\-]+)+$")
_CI_OPS = {"eq", "ne", "in", "not_in", "contains", "startswith", "regex"}
_ORDER_OPS = {"lt", "le", "gt", "ge"}
_NODE_KEYS = {"all", "any", "not"}
_COMPARISON_KEYS = {"field", "op", "value", "ignore_case", "from", "to"}


class Facts(dict):
    """A dict of facts whose missing keys read as None. Compiled predicates index facts with ``[]``;
    plain dicts given to them are wrapped in this once per call. Subclasses may load facts lazily in
    ``__missing__``."""

    def __missing__(self, key: str) -> Any:
        return None


class ConditionError(ValueError):
    """Raised by :func:`compile_tree` for a tree that does not validate; ``errors`` lists (path, message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{p}: {m}" for p, m in errors))


# ---------------------------------------------------------------- validation


def validate(tree: Any, *, fields: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """Every error of ``tree`` as ``(path, message)``; an empty list means the tree is valid.

    Paths look like ``all[2].value`` (``""`` is the root). With ``fields`` (known field paths, e.g.
    ``{"ticket.priority": ...}``), unknown fields are refused too; a known prefix ending in ``.cf``
    accepts any key below it.
    """
    errors: list[tuple[str, str]] = []
    if tree is None or tree == {}:
        return errors
    counter = [0]
    _validate_node(tree, "", 0, errors, counter, fields)
    if counter[0] > MAX_NODES:
        errors.append(("", _("The condition has more than %(n)d nodes.") % {"n": MAX_NODES}))
    return errors


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _validate_node(node, path, depth, errors, counter, fields) -> None:
    counter[0] += 1
    if depth > MAX_DEPTH:
        errors.append((path, _("The condition is nested more than %(n)d levels deep.") % {"n": MAX_DEPTH}))
        return
    if not isinstance(node, dict):
        errors.append((path, _("Expected an object.")))
        return
    groups = _NODE_KEYS & node.keys()
    if groups:
        if len(node) != 1:
            errors.append((path, _("A group has exactly one key: all, any or not.")))
            return
        key = next(iter(groups))
        child = node[key]
        if key == "not":
            _validate_node(child, _join(path, "not"), depth + 1, errors, counter, fields)
            return
        if not isinstance(child, list):
            errors.append((_join(path, key), _("Expected a list of conditions.")))
            return
        for i, sub in enumerate(child):
            _validate_node(sub, f"{_join(path, key)}[{i}]", depth + 1, errors, counter, fields)
        return
    _validate_comparison(node, path, errors, fields)


def _validate_comparison(node, path, errors, fields) -> None:
    for extra in sorted(node.keys() - _COMPARISON_KEYS):
        errors.append((_join(path, extra), _("Unknown key.")))
    field = node.get("field")
    if not isinstance(field, str) or not _FIELD_RE.match(field):
        errors.append((_join(path, "field"), _("Expected a field path such as ticket.priority.")))
    elif fields is not None and not _known_field(field, fields):
        errors.append((_join(path, "field"), _("Unknown field “%(field)s”.") % {"field": field}))
    op = node.get("op")
    if op not in OPERATORS:
        errors.append(
            (
                _join(path, "op"),
                _("Unknown operator; expected one of: %(ops)s.") % {"ops": ", ".join(OPERATORS)},
            )
        )
        return
    vpath = _join(path, "value")
    has_value = "value" in node
    value = node.get("value")
    if "ignore_case" in node and (op not in _CI_OPS or not isinstance(node["ignore_case"], bool)):
        errors.append((_join(path, "ignore_case"), _("ignore_case is a boolean, for text operators only.")))
    if op != "changed":
        for key in ("from", "to"):
            if key in node:
                errors.append((_join(path, key), _("Only the changed operator takes from/to.")))
    if op in ("eq", "ne"):
        if not has_value:
            errors.append((vpath, _("A value is required.")))
        elif not isinstance(value, _SCALAR):
            errors.append((vpath, _("Expected a text, number, boolean or null value.")))
    elif op in _ORDER_OPS:
        if not _orderable(value):
            errors.append((vpath, _("Expected a number or a text/date value.")))
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not all(isinstance(v, _SCALAR) for v in value):
            errors.append((vpath, _("Expected a list of values.")))
    elif op in ("contains", "startswith"):
        if op == "startswith" and not isinstance(value, str):
            errors.append((vpath, _("Expected a text value.")))
        elif op == "contains" and (not isinstance(value, _SCALAR) or value is None):
            errors.append((vpath, _("Expected a text, number or boolean value.")))
    elif op == "regex":
        if not isinstance(value, str) or not value:
            errors.append((vpath, _("Expected a regular expression.")))
        elif len(value) > MAX_PATTERN:
            errors.append((vpath, _("The pattern is longer than %(n)d characters.") % {"n": MAX_PATTERN}))
        else:
            try:
                regex.compile(value)
            except regex.error as exc:
                errors.append((vpath, _("Invalid regular expression: %(error)s") % {"error": exc}))
    elif op == "is_empty":
        if has_value and not isinstance(value, bool):
            errors.append((vpath, _("is_empty takes no value, or true/false.")))
    elif op == "between":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_orderable(v) for v in value)
            or type(value[0]) is not type(value[1])
        ):
            errors.append((vpath, _("Expected [low, high] of the same type.")))
    elif op == "changed":
        if has_value:
            errors.append((vpath, _("changed takes from/to, not value.")))
        for key in ("from", "to"):
            if key in node:
                v = node[key]
                ok = isinstance(v, _SCALAR) or (
                    isinstance(v, list) and all(isinstance(x, _SCALAR) for x in v)
                )
                if not ok:
                    errors.append((_join(path, key), _("Expected a value or a list of values.")))


def _orderable(value) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _known_field(field: str, fields: Mapping[str, Any]) -> bool:
    if field in fields:
        return True
    parts = field.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in fields and prefix.endswith(".cf"):
            return True
    return False


# ---------------------------------------------------------------- compilation


def compile_tree(tree: Any, *, wrap: bool = True) -> Predicate:
    """Compile ``tree`` to a predicate ``facts -> bool``; raises :class:`ConditionError` if invalid.
    ``facts`` may be any mapping (a :class:`Facts` is used as it is). With ``wrap=False`` the predicate
    takes only a :class:`Facts` (or a subclass) and skips that check: the engine's hot path."""
    errors = validate(tree)
    if errors:
        raise ConditionError(errors)
    inner = _compile(tree)
    if not wrap:
        return inner

    def predicate(facts: Facts) -> bool:
        if not isinstance(facts, Facts):
            facts = Facts(facts)
        return inner(facts)

    return predicate


@lru_cache(maxsize=4096)
def _compile_cached(key: str, wrap: bool = True) -> Predicate:
    return compile_tree(json.loads(key), wrap=wrap)


def compiled(tree: Any, *, key: Any = None, wrap: bool = True) -> Predicate:
    """The predicate of ``tree``, cached. ``key`` (e.g. ``(rule.pk, rule.version)``) skips hashing the
    tree; the caller must make sure the key changes whenever the tree does."""
    if key is not None:
        pred = _by_key.get((key, wrap))
        if pred is None:
            if len(_by_key) > 4096:
                _by_key.clear()
            pred = _by_key[(key, wrap)] = compile_tree(tree, wrap=wrap)
        return pred
    return _compile_cached(json.dumps(tree, sort_keys=True, ensure_ascii=False), wrap)


_by_key: dict[Any, Predicate] = {}


def evaluate(tree: Any, facts: Facts, *, key: Any = None) -> bool:
    """Whether ``tree`` holds for ``facts`` (compiled once and cached)."""
    return compiled(tree, key=key)(facts)


def _always(_facts) -> bool:
    return True


def _compile(node) -> Predicate:
    if node is None or node == {}:
        return _always
    if "all" in node:
        children = tuple(_compile(c) for c in node["all"])
        if not children:
            return _always
        if len(children) == 1:
            return children[0]
        if len(children) == 2:
            a, b = children
            return lambda f: a(f) and b(f)
        if len(children) == 3:
            a, b, c = children
            return lambda f: a(f) and b(f) and c(f)
        return lambda f: all(c(f) for c in children)
    if "any" in node:
        children = tuple(_compile(c) for c in node["any"])
        if len(children) == 1:
            return children[0]
        if len(children) == 2:
            a, b = children
            return lambda f: a(f) or b(f)
        return lambda f: any(c(f) for c in children)
    if "not" in node:
        child = _compile(node["not"])
        return lambda f: not child(f)
    return _comparison(node)


def _fold(v):
    return v.casefold() if isinstance(v, str) else v


def _comparison(node) -> Predicate:  # noqa: C901 - one branch per operator
    field: str = node["field"]
    op: str = node["op"]
    value = node.get("value")
    ci = bool(node.get("ignore_case"))

    if op == "changed":
        has_from, has_to = "from" in node, "to" in node
        from_ok = _matcher(node.get("from"))
        to_ok = _matcher(node.get("to"))

        def changed(f):
            change = (f["changes"] or {}).get(field)
            if change is None:
                return False
            old, new = change
            return (not has_from or from_ok(old)) and (not has_to or to_ok(new))

        return changed

    if op == "is_empty":
        want = value if isinstance(value, bool) else True
        return lambda f: _empty(f[field]) is want

    if op in ("eq", "ne"):
        negate = op == "ne"
        if ci and isinstance(value, str):
            target = value.casefold()

            def eq(f):
                v = f[field]
                return (isinstance(v, str) and v.casefold() == target) is not negate

            return eq

        if type(value) in _NUMBER_TYPES:
            nums = _NUMBER_TYPES
            if negate:
                return lambda f: not (type(v := f[field]) in nums and v == value)
            return lambda f: type(v := f[field]) in nums and v == value
        if type(value) is bool:
            if negate:
                return lambda f: f[field] is not value
            return lambda f: f[field] is value
        if isinstance(value, str) or value is None:
            if negate:
                return lambda f: f[field] != value
            return lambda f: f[field] == value

        def eq_exact(f):
            return _equal(f[field], value) is not negate

        return eq_exact

    if op in ("in", "not_in"):
        negate = op == "not_in"
        folded = [_fold(v) if ci else v for v in value if not isinstance(v, float) or v == v]
        bools = frozenset(v for v in folded if type(v) is bool)
        others = frozenset(v for v in folded if type(v) is not bool)

        def one(x) -> bool:
            t = type(x)
            if t is bool:
                return x in bools
            if t is str:
                return (x.casefold() if ci else x) in others
            return t in _NUMBER_TYPES and x in others

        def member(f):
            v = f[field]
            t = type(v)
            if (t is str and not ci) or t is int:
                hit = v in others
            elif t in _SEQUENCES:
                hit = any(one(x) for x in v)
            else:
                hit = v is not None and one(v)
            return hit is not negate

        return member

    if op == "contains":
        needle = value.casefold() if ci and isinstance(value, str) else value

        def contains(f):
            v = f[field]
            if isinstance(v, str):
                if not isinstance(needle, str):
                    return False
                return needle in (v.casefold() if ci else v)
            if isinstance(v, (list, tuple, set, frozenset)):
                if ci:
                    return any(_fold(x) == needle for x in v)
                return any(_equal(x, needle) for x in v)
            return False

        return contains

    if op == "startswith":
        prefix = value.casefold() if ci else value

        def startswith(f):
            v = f[field]
            return isinstance(v, str) and (v.casefold() if ci else v).startswith(prefix)

        return startswith

    if op == "regex":
        pattern = regex.compile(value, regex.IGNORECASE if ci else 0)
        memo = ("regex", field, value, ci)  # rules often share a pattern: search once per facts

        def match(f):
            hit = dict.get(f, memo)
            if hit is not None:
                return hit
            v = f[field]
            if v is None or isinstance(v, (list, dict)):
                hit = False
            else:
                try:
                    hit = pattern.search(str(v), timeout=REGEX_TIMEOUT) is not None
                except TimeoutError:
                    hit = False
            dict.__setitem__(f, memo, hit)
            return hit

        return match

    if op in _ORDER_OPS and type(value) in _NUMBER_TYPES:
        # numbers: one closure per operator (the common case, kept free of calls)
        nums = _NUMBER_TYPES
        if op == "lt":
            return lambda f: type(v := f[field]) in nums and v < value
        if op == "le":
            return lambda f: type(v := f[field]) in nums and v <= value
        if op == "gt":
            return lambda f: type(v := f[field]) in nums and v > value
        return lambda f: type(v := f[field]) in nums and v >= value

    if op in _ORDER_OPS:
        cmp = _ORDER_FUNCS[op]
        coerce = _coercer(value)
        return lambda f: coerce(f[field], cmp)

    if op == "between":
        low, high = value
        c_low, c_high = _coercer(low), _coercer(high)
        return lambda f: c_low(f[field], _ge) and c_high(f[field], _le)

    raise ConditionError([("op", f"unknown operator {op}")])  # validated before; unreachable


def _hashable(v) -> bool:
    return isinstance(v, _SCALAR)


def _equal(a, b) -> bool:
    # True == 1 in Python; keep booleans apart from numbers.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    return a == b


def _empty(v) -> bool:
    return v is None or v == "" or (isinstance(v, (list, tuple, dict, set)) and not v)


def _matcher(expected) -> Callable[[Any], bool]:
    if isinstance(expected, list):
        options = tuple(expected)
        return lambda v: any(_equal(v, o) for o in options)
    return lambda v: _equal(v, expected)


def _lt(a, b):
    return a < b


def _le(a, b):
    return a <= b


def _gt(a, b):
    return a > b


def _ge(a, b):
    return a >= b


_ORDER_FUNCS = {"lt": _lt, "le": _le, "gt": _gt, "ge": _ge}
_NUMBER_TYPES = (int, float)
_SEQUENCES = (list, tuple, set, frozenset)


def _coercer(value) -> Callable[[Any, Callable[[Any, Any], bool]], bool]:
    """A function (fact, cmp) -> cmp(fact, value) when the types fit, else False."""
    if isinstance(value, (int, float)):

        def num(v, cmp):
            return type(v) in _NUMBER_TYPES and cmp(v, value)

        return num
    as_datetime = _parse_datetime(value)
    as_date = _parse_date(value)

    def text(v, cmp):
        if isinstance(v, str):
            return cmp(v, value)
        if isinstance(v, dt.datetime) and as_datetime is not None:
            other = as_datetime
            if (v.tzinfo is None) != (other.tzinfo is None):
                other = other.replace(tzinfo=v.tzinfo)
            return cmp(v, other)
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime) and as_date is not None:
            return cmp(v, as_date)
        return False

    return text


def _parse_datetime(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        parsed = _parse_datetime(value)
        return parsed.date() if parsed else None
