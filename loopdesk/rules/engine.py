"""The rules engine: which rules a ticket event triggers, in order, and what firing them does.

Hot path. The active rules of each trigger are cached per process with their compiled conditions
(keyed by the condition tree): when no rule has a trigger, handling its events costs no query. The
cache is dropped when a rule is saved or deleted in this process and reloaded at least every
`RELOAD_SECONDS` (so other processes see a change within that time).

Recursion guard: a chain starts with an event caused by someone other than the rules engine (depth 0).
Events caused by the actions of rules fired at depth 0 are depth 1 and may trigger rules again; events
caused at depth 1 trigger nothing. Within one chain a rule fires at most once per ticket. The engine's
own timeline entries (Event.Kind.RULE) never trigger rules.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from loopdesk.core import conditions

from . import actions as rule_actions
from .facts import TicketFacts
from .models import Rule, RuleFiring, Trigger

log = logging.getLogger(__name__)

RELOAD_SECONDS = 10.0
MAX_DEPTH = 1


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    predicate: conditions.Predicate
    fields: frozenset[str] = field(default_factory=frozenset)


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_trigger: dict[str, list[CompiledRule]] | None = None
        self.loaded_at = 0.0
        # Rule writes not yet committed: while some are pending, rules are read fresh, never cached
        # (a rolled-back write must not leave a ghost rule in the cache). `pending_block` is the
        # outermost atomic block of the writing transaction: once it is gone, the writes are settled.
        self.pending = 0
        self.pending_block: Any = None


_cache = _Cache()


def invalidate(*_args: Any, **_kwargs: Any) -> None:
    """Forget the cached rules (called on every rule save/delete)."""
    with _cache.lock:
        _cache.by_trigger = None
        if connection.in_atomic_block:
            _cache.pending += 1
            _cache.pending_block = connection.atomic_blocks[0] if connection.atomic_blocks else None
            transaction.on_commit(_committed)


def _committed() -> None:
    with _cache.lock:
        _cache.pending = max(0, _cache.pending - 1)
        _cache.by_trigger = None


def reset_cache() -> None:
    """Drop the cache and the pending-write count (tests)."""
    with _cache.lock:
        _cache.by_trigger = None
        _cache.pending = 0
        _cache.pending_block = None


def compile_rule(rule: Rule) -> CompiledRule:
    # Keyed by the tree itself (canonical JSON): ids may be reused after a delete, trees never lie.
    predicate = conditions.compiled(rule.conditions or {}, wrap=False)  # facts are always TicketFacts
    return CompiledRule(rule=rule, predicate=predicate)


def _load() -> dict[str, list[CompiledRule]]:
    by_trigger: dict[str, list[CompiledRule]] = {}
    for rule in Rule.objects.filter(active=True).order_by("order", "id"):
        try:
            by_trigger.setdefault(rule.trigger, []).append(compile_rule(rule))
        except conditions.ConditionError:
            log.warning("rule %s has invalid conditions; skipped", rule.pk)
    return by_trigger


def rules_for(trigger: str) -> list[CompiledRule]:
    """The active rules of `trigger`, in order, compiled (cached; see the module docstring)."""
    if _cache.pending:
        blocks = connection.atomic_blocks
        if not blocks or blocks[0] is not _cache.pending_block:
            # The transaction that wrote a rule ended without committing it: forget it.
            reset_cache()
    now = time.monotonic()
    cached = _cache.by_trigger
    if cached is not None and now - _cache.loaded_at < RELOAD_SECONDS:
        return cached.get(trigger, [])
    loaded = _load()
    if not _cache.pending:
        with _cache.lock:
            _cache.by_trigger, _cache.loaded_at = loaded, now
    return loaded.get(trigger, [])


# ---------------------------------------------------------------- chains and recursion


@dataclass
class _Chain:
    depth: int = 0
    fired: set[tuple[int, int]] = field(default_factory=set)


_chain: contextvars.ContextVar[_Chain | None] = contextvars.ContextVar("rules_chain", default=None)


# ---------------------------------------------------------------- firing


@dataclass
class Outcome:
    rule: Rule
    results: list[dict]


def matching(compiled: Iterable[CompiledRule], facts: TicketFacts) -> list[CompiledRule]:
    """The rules whose conditions hold, in order, cut after the first with stop_processing."""
    out = []
    for c in compiled:
        if c.predicate(facts):
            out.append(c)
            if c.rule.stop_processing:
                break
    return out


def process(ticket: Any, trigger: str, *, changes: dict | None = None, extra: dict | None = None,
            only: list[CompiledRule] | None = None) -> list[Outcome]:
    """Run the rules of `trigger` on `ticket` (inside the caller's transaction) and record each firing."""
    compiled = only if only is not None else rules_for(trigger)
    if not compiled:
        return []
    chain = _chain.get()
    if chain is not None and chain.depth > MAX_DEPTH:
        return []
    outcomes: list[Outcome] = []
    facts = TicketFacts(ticket, changes=changes, extra=extra)
    own = chain or _Chain()
    for c in compiled:
        key = (c.rule.pk, ticket.pk)
        if key in own.fired or not c.predicate(facts):
            continue
        own.fired.add(key)
        results = _run_actions(ticket, c.rule, c.rule.actions, [], depth=(chain.depth + 1) if chain else 1, own=own)
        _record(ticket, c.rule, trigger, results)
        outcomes.append(Outcome(c.rule, results))
        if c.rule.stop_processing:
            break
        facts = TicketFacts(ticket, changes=changes, extra=extra)  # later rules see what this one did
    return outcomes


def _run_actions(ticket: Any, rule: Rule, actions: list[dict], results: list[dict], *, depth: int,
                 own: _Chain) -> list[dict]:
    """Run `actions` of `rule` on `ticket`, the events they cause one level down the chain; append
    their summaries to `results` and return it."""
    token = _chain.set(_Chain(depth=depth, fired=own.fired))
    current = ticket
    try:
        for action in actions:
            current, result = rule_actions.run_safely(action, current, rule=rule)
            results.append(result)
    finally:
        _chain.reset(token)
    if current is not ticket:
        _copy_fields(current, ticket)
    return results


def _copy_fields(source: Any, target: Any) -> None:
    """Bring `target` (the caller's instance) up to date with what the actions saved."""
    for f in type(target)._meta.concrete_fields:
        if not f.primary_key:
            setattr(target, f.attname, getattr(source, f.attname))


# Firings waiting to be written together (while the rules of a batch of new tickets run), or None.
_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar("rules_pending", default=None)


def _record(ticket: Any, rule: Rule, trigger: str, results: list[dict]) -> None:
    pending = _pending.get()
    if pending is not None:
        pending.append((ticket, rule, trigger, results))
    else:
        _record_all([(ticket, rule, trigger, results)])


def _record_all(fired: list[tuple[Any, Rule, str, list[dict]]]) -> None:
    """The firings and their timeline entries, one insert each for all of them."""
    from loopdesk.tickets.models import Event
    from loopdesk.tickets.services.core import record_events

    now = timezone.now()
    RuleFiring.objects.bulk_create([
        RuleFiring(rule=rule, rule_name=rule.name[:120], rule_version=rule.version, ticket=ticket, at=now,
                   trigger=trigger, results=results)
        for ticket, rule, trigger, results in fired
    ])
    record_events([
        (ticket, {"kind": Event.Kind.RULE, "internal": True, "at": now,
                  "data": {"rule_id": rule.pk, "rule": rule.name, "trigger": trigger, "actions": results}})
        for ticket, rule, trigger, results in fired
    ], actor=None)


# ---------------------------------------------------------------- new tickets

# Actions that only set the ticket's own fields: on a ticket not yet stored they run in memory.
FIELD_ACTIONS = frozenset({"set_field", "classify", "set_priority", "set_responsibility"})
# Actions that need the ticket stored but change none of its fields (so no later rule's conditions):
# they can wait for the insert while the following rules still act before it.
SIDE_ACTIONS = frozenset({"notify", "webhook", "add_watcher", "problem_from_incidents"})


@dataclass
class _BeforeInsert:
    """The "created" rules of a ticket not yet stored: those fired on it, each with the actions left
    for after the insert (recorded once those ran), and the rules that could not act before it."""

    fired: list[tuple[Rule, list[dict], list[dict]]]  # rule, results so far, actions left
    rest: list[CompiledRule]
    extra: dict
    changes: dict  # what they changed, {field: [old, new]}: the "updated" rules hear of it after the insert


def on_tickets_creating(sender: Any, *, tickets: list[Any], actor: Any, **_kwargs: Any) -> None:
    """The receiver of `ticket_creating`: fire the "created" rules on the new tickets before they are
    stored. Actions that set fields run at once, so each ticket is inserted classified and prioritised
    (no update, no re-planned clocks); side actions (notify, webhook, …) wait for the insert. A rule
    that changes the stored ticket (assign, escalate) ends this: the rules after it run after it, once
    the ticket is stored, in order, as they always did."""
    compiled = rules_for(Trigger.CREATED)
    chain = _chain.get()
    if not compiled or (chain is not None and chain.depth > MAX_DEPTH):
        return
    extra = _event_facts("created", actor)
    for ticket in tickets:
        ticket._rules_before_insert = _fire_before_insert(ticket, compiled, extra)


def _fire_before_insert(ticket: Any, compiled: list[CompiledRule], extra: dict) -> _BeforeInsert:
    from loopdesk.core.services import diff
    from loopdesk.tickets.services.core import EDITABLE_FIELDS

    settable = [*EDITABLE_FIELDS, "custom_fields"]
    before = {name: getattr(ticket, name) for name in settable}
    fired: list[tuple[Rule, list[dict], list[dict]]] = []
    rest: list[CompiledRule] = []
    facts = TicketFacts(ticket, extra=extra)
    for index, c in enumerate(compiled):
        if not c.predicate(facts):
            continue
        actions = c.rule.actions
        leading = next((i for i, action in enumerate(actions) if action["type"] not in FIELD_ACTIONS), len(actions))
        results = [rule_actions.run_safely(action, ticket, rule=c.rule)[1] for action in actions[:leading]]
        fired.append((c.rule, results, actions[leading:]))
        if c.rule.stop_processing:
            break
        if any(action["type"] not in SIDE_ACTIONS for action in actions[leading:]):
            # It changes the ticket after the insert (assign, escalate, a field after a side action):
            # the rules after it must see that, so they run after it too.
            rest = compiled[index + 1:]
            break
        facts = TicketFacts(ticket, extra=extra)  # later rules see what this one did
    changes = diff(SimpleNamespace(**before), {name: getattr(ticket, name) for name in settable})
    return _BeforeInsert(fired, rest, extra, changes)


def on_tickets_created(sender: Any, *, created: list[tuple[Any, Any]], actor: Any, **_kwargs: Any) -> None:
    """The receiver of `tickets_created`: run the rules left for after the insert, then record every
    firing of the batch (those made before the insert too) in one write."""
    settled = [(ticket, ticket.__dict__.pop("_rules_before_insert", None)) for ticket, _event in created]
    pending: list = []
    token = _pending.set(pending)
    try:
        for ticket, s in settled:
            if s is not None:
                _fire_after_insert(ticket, s, pending)
    finally:
        _pending.reset(token)
    if pending:
        _record_all(pending)


def _fire_after_insert(ticket: Any, s: _BeforeInsert, pending: list) -> None:
    # The chain goes on from where the ticket was created: a ticket a rule creates (a problem record)
    # is one level down already, and the recursion guard must count that.
    chain = _chain.get()
    own = chain or _Chain()
    own.fired.update((rule.pk, ticket.pk) for rule, _results, _left in s.fired)
    depth = chain.depth + 1 if chain else 1
    if s.changes and (updated := rules_for(Trigger.UPDATED)):
        # As if the rules had updated the stored ticket: the "updated" rules react one level down.
        token = _chain.set(_Chain(depth=depth, fired=own.fired))
        try:
            process(ticket, Trigger.UPDATED, changes=s.changes, extra=_event_facts("changed", None), only=updated)
        finally:
            _chain.reset(token)
    for rule, results, left in s.fired:
        if left:
            _run_actions(ticket, rule, left, results, depth=depth, own=own)
        pending.append((ticket, rule, Trigger.CREATED, results))
    if s.rest:
        process(ticket, Trigger.CREATED, extra=s.extra, only=s.rest)


# ---------------------------------------------------------------- receivers

# "created" is not here: new tickets are handled by on_tickets_creating and on_tickets_created.
_KIND_TRIGGER = {"changed": Trigger.UPDATED, "assigned": Trigger.UPDATED, "status": Trigger.TRANSITIONED}


def _event_facts(kind: str, actor: Any) -> dict:
    return {
        "event.kind": kind,
        "event.by_system": actor is None,
        "event.by_customer": bool(actor is not None and getattr(actor, "is_customer_only", False)),
    }


def on_ticket_event(sender: Any, *, ticket: Any, event: Any, actor: Any, **_kwargs: Any) -> None:
    trigger = _KIND_TRIGGER.get(event.kind)
    if trigger is None:
        return
    compiled = rules_for(trigger)
    if not compiled:
        return
    process(ticket, trigger, changes=event.changes, extra=_event_facts(event.kind, actor), only=compiled)


def on_clock_warning(sender: Any, *, ticket: Any, clock: Any, level: Any = None, percent: int = 0, **_kw: Any) -> None:
    compiled = rules_for(Trigger.SLA_WARNING)
    if compiled:
        process(ticket, Trigger.SLA_WARNING, extra=_sla_facts(clock, level, percent), only=compiled)


def on_clock_breached(sender: Any, *, ticket: Any, clock: Any, **_kw: Any) -> None:
    compiled = rules_for(Trigger.SLA_BREACH)
    if compiled:
        process(ticket, Trigger.SLA_BREACH, extra=_sla_facts(clock, None, 100), only=compiled)


def _sla_facts(clock: Any, level: Any, percent: int) -> dict:
    return {
        "sla.percent": percent,
        "sla.metric": getattr(clock, "metric", None),  # first_response, resolution, …
        "sla.kind": getattr(clock, "kind", None),  # sla (to the customer) or ola (internal)
        "sla.level": str(level) if level is not None else None,
    }
