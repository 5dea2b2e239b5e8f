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
        token = _chain.set(_Chain(depth=(chain.depth + 1) if chain else 1, fired=own.fired))
        try:
            current, results = ticket, []
            for action in c.rule.actions:
                current, result = rule_actions.run_safely(action, current, rule=c.rule)
                results.append(result)
        finally:
            _chain.reset(token)
        if current is not ticket:
            _copy_fields(current, ticket)
        _record(ticket, c.rule, trigger, results)
        outcomes.append(Outcome(c.rule, results))
        if c.rule.stop_processing:
            break
        facts = TicketFacts(ticket, changes=changes, extra=extra)  # later rules see what this one did
    return outcomes


def _copy_fields(source: Any, target: Any) -> None:
    """Bring `target` (the caller's instance) up to date with what the actions saved."""
    for f in type(target)._meta.concrete_fields:
        if not f.primary_key:
            setattr(target, f.attname, getattr(source, f.attname))


def _record(ticket: Any, rule: Rule, trigger: str, results: list[dict]) -> None:
    from loopdesk.tickets.models import Event
    from loopdesk.tickets.services.core import record_event

    now = timezone.now()
    RuleFiring.objects.create(
        rule=rule, rule_name=rule.name[:120], rule_version=rule.version, ticket=ticket, at=now, trigger=trigger,
        results=results,
    )
    record_event(
        ticket, actor=None, kind=Event.Kind.RULE, internal=True, at=now,
        data={"rule_id": rule.pk, "rule": rule.name, "trigger": trigger, "actions": results},
    )


# ---------------------------------------------------------------- receivers

_KIND_TRIGGER = {"created": Trigger.CREATED, "changed": Trigger.UPDATED, "assigned": Trigger.UPDATED,
                 "status": Trigger.TRANSITIONED}


def on_ticket_event(sender: Any, *, ticket: Any, event: Any, actor: Any, **_kwargs: Any) -> None:
    trigger = _KIND_TRIGGER.get(event.kind)
    if trigger is None:
        return
    compiled = rules_for(trigger)
    if not compiled:
        return
    extra = {
        "event.kind": event.kind,
        "event.by_system": actor is None,
        "event.by_customer": bool(actor is not None and getattr(actor, "is_customer_only", False)),
    }
    process(ticket, trigger, changes=event.changes, extra=extra, only=compiled)


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
