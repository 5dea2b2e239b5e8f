"""The next-question model: a first-order Markov chain over customers' question events, smoothed.

Pure Python, no ORM (training.py reads the database). An event is what a customer asked or read:
`c:<category id>` (a request in that category) or `a:<article id>` (an article read), with the
product it concerned (None when unknown). Each customer's events in time order give transitions
prev → next. Training counts them four ways:

- `ptrans[product][prev][next]` (the next event's product), `trans[prev][next]` (any product),
- `ppop[product][next]` and `pop[next]`: how often each event happens at all.

`rank` orders candidates by P(next | prev, product), a hierarchy of Dirichlet-smoothed estimates:
each level's counts are pulled towards the level below with the weight of `ALPHA` observations —
product transitions from `prev` → all transitions from `prev` → the product's event frequencies →
overall frequencies. A context seen often speaks for itself; a rare one falls back to popularity,
so the chain is never worse than its own baseline for lack of data. Rows keep the `KEEP` most
frequent next events, so the stored model stays small however much history there is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

KEEP = 30
ALPHA = 20.0  # how many observations the level below counts as (Dirichlet prior strength)
NONE = "-"  # JSON key of "no product"


@dataclass(frozen=True)
class Event:
    company: int
    at: float  # seconds since the epoch
    token: str
    product: int | None = None


def pkey(product: int | None) -> str:
    return NONE if product is None else str(product)


@dataclass
class Counts:
    """Transition and popularity counts while training."""

    trans: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    ptrans: dict[str, dict[str, Counter]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))
    pop: Counter = field(default_factory=Counter)
    ppop: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    events: int = 0
    transitions: int = 0

    def add_event(self, event: Event) -> None:
        self.events += 1
        self.pop[event.token] += 1
        self.ppop[pkey(event.product)][event.token] += 1

    def add_transition(self, prev: Event, event: Event) -> None:
        self.transitions += 1
        self.trans[prev.token][event.token] += 1
        self.ptrans[pkey(event.product)][prev.token][event.token] += 1

    def to_data(self, keep: int = KEEP) -> dict[str, Any]:
        """The JSON-able model: every row cut to its `keep` most frequent entries."""

        def top(counter: Counter) -> dict[str, int]:
            return dict(counter.most_common(keep))

        return {
            "trans": {prev: top(row) for prev, row in self.trans.items()},
            "ptrans": {p: {prev: top(row) for prev, row in rows.items()} for p, rows in self.ptrans.items()},
            "pop": top(self.pop),
            "ppop": {p: top(row) for p, row in self.ppop.items()},
        }


def by_company(events: Iterable[Event]) -> Iterator[list[Event]]:
    """Group a stream sorted by company into each company's events in time order."""
    current: list[Event] = []
    for event in events:
        if current and event.company != current[0].company:
            yield sorted(current, key=lambda e: (e.at, e.token))
            current = []
        current.append(event)
    if current:
        yield sorted(current, key=lambda e: (e.at, e.token))


def train(sequences: Iterable[list[Event]], *, until: float | None = None) -> Counts:
    """Count the events (before `until`, if given) of every customer's time-ordered sequence."""
    counts = Counts()
    for sequence in sequences:
        prev = None
        for event in sequence:
            if until is not None and event.at >= until:
                break
            counts.add_event(event)
            if prev is not None:
                counts.add_transition(prev, event)
            prev = event
    return counts


def _row(row: dict[str, int] | None) -> tuple[dict[str, int], int]:
    row = row or {}
    return row, sum(row.values())


def _smooth(row: dict[str, int] | None, prior: dict[str, float], alpha: float = ALPHA) -> dict[str, float]:
    """(count + alpha × prior) / (total + alpha) for every token in the row or the prior."""
    counts, total = _row(row)
    if not total:
        return dict(prior)
    tokens = set(counts) | set(prior)
    return {t: (counts.get(t, 0) + alpha * prior.get(t, 0.0)) / (total + alpha) for t in tokens}


def distribution(data: dict[str, Any], prev: str | None, product: int | None) -> dict[str, float]:
    """P(next | prev, product), each level smoothed towards the one below it."""
    p = pkey(product)
    pop, total = _row(data.get("pop"))
    overall = {t: n / total for t, n in pop.items()} if total else {}
    by_product = _smooth(data.get("ppop", {}).get(p), overall)
    if not prev:
        return by_product
    after = _smooth(data.get("trans", {}).get(prev), by_product)
    return _smooth(data.get("ptrans", {}).get(p, {}).get(prev), after)


def rank(data: dict[str, Any], prev: str | None, product: int | None, k: int = 3) -> list[tuple[str, float]]:
    """The `k` most likely next events after `prev` (None: no history) for `product`, best first."""
    ranked = sorted(distribution(data, prev, product).items(), key=lambda item: (-item[1], item[0]))
    return ranked[:k]


def popular(data: dict[str, Any], product: int | None, k: int = 3) -> list[tuple[str, float]]:
    """The baseline: the product's most frequent events (then the globally most frequent)."""
    return rank(data, None, product, k)


@dataclass
class Evaluation:
    transitions: int
    hits: int
    baseline_hits: int
    train_events: int
    train_transitions: int

    @property
    def hit_at_3(self) -> float:
        return self.hits / self.transitions if self.transitions else 0.0

    @property
    def baseline_hit_at_3(self) -> float:
        return self.baseline_hits / self.transitions if self.transitions else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "hit_at_3": round(self.hit_at_3, 4), "baseline_hit_at_3": round(self.baseline_hit_at_3, 4),
            "transitions": self.transitions, "hits": self.hits, "baseline_hits": self.baseline_hits,
            "train_events": self.train_events, "train_transitions": self.train_transitions,
        }


def hit_at_k(data: dict[str, Any], pairs: Iterable[tuple[str, str, int | None]], k: int = 3) -> tuple[int, int, int]:
    """(transitions, model hits, popularity-baseline hits) over (prev, next, product) pairs."""
    cache: dict[tuple[str | None, int | None], set[str]] = {}
    n = hits = base = 0
    for prev, nxt, product in pairs:
        n += 1
        key = (prev, product)
        if key not in cache:
            cache[key] = {t for t, _s in rank(data, prev, product, k)}
        hits += nxt in cache[key]
        bkey = (None, product)
        if bkey not in cache:
            cache[bkey] = {t for t, _s in popular(data, product, k)}
        base += nxt in cache[bkey]
    return n, hits, base


def evaluate(sequences: Iterable[list[Event]], *, start: float, end: float, k: int = 3) -> Evaluation:
    """Train on the events before `start`; hit@k on every transition whose next event lies in
    [start, end) (its previous event may be older), against the popularity baseline."""
    counts = Counts()
    test: list[tuple[str, str, int | None]] = []
    for sequence in sequences:
        prev = None
        for event in sequence:
            if event.at >= end:
                break
            if event.at < start:
                counts.add_event(event)
                if prev is not None:
                    counts.add_transition(prev, event)
            elif prev is not None:
                test.append((prev.token, event.token, event.product))
            prev = event
    data = counts.to_data()
    n, hits, base = hit_at_k(data, test, k)
    return Evaluation(n, hits, base, counts.events, counts.transitions)
