"""One search over articles and tickets, limited to what the user may see.

The query is segmented like the index (see segment.py); every term must match (a word, one of its
synonyms, or all of its characters). PostgreSQL ranks with ts_rank_cd over the weighted tsvector
(title A, body B, characters D); SQLite with FTS5's bm25 and column weights. Both scores are then
boosted for freshness and helpful votes, and the top hits get highlighted snippets."""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from loopdesk.accounts.scope import scope_for
from loopdesk.core.caches import ProcessCache

from .index import day_number, refresh_dictionary
from .models import Article
from .segment import QueryTerm, query_terms

MAX_LIMIT = 50
SNIPPET_CHARS = 120
_FRESH_DAYS = 180.0
# ts_rank_cd weights for D, C, B, A: a title word counts 2.5× a body word, a lone character little.
_PG_WEIGHTS = "{0.05, 0.1, 0.4, 1.0}"
_FTS_WEIGHTS = (10.0, 4.0, 0.5)  # bm25 weights of title, body, chars
TITLE_BONUS = 1.5  # a hit with every query term in its title scores 2.5× as much
SCANNED = 300  # PostgreSQL checks visibility for this many matches of a query first (see _pg_ranked) …
CANDIDATES = 120  # … and scores at most this many of the visible ones (their vectors are read out of line)
WIDER = 10  # a user who may see too few of them is checked again against this many times as many
TITLE_FIRST = True  # narrow queries look among the documents with every term in the title first


@dataclass
class Hit:
    """One ranked result: the object, its escaped title and snippet with <mark>ed matches."""

    type: str
    id: int
    title: str
    title_html: str
    snippet: str
    score: float
    obj: Any


@dataclass
class Filters:
    product: int | None = None
    version: int | None = None
    category: int | None = None
    article_type: str | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None


def search(user: Any, q: str, *, type: str = "article", filters: Filters | None = None, limit: int = 20) -> list[Hit]:
    """The best `limit` hits for `q` among the articles (or tickets) `user` may see."""
    refresh_dictionary()
    terms = query_terms(q or "")
    if not terms:
        return []
    filters = filters or Filters()
    limit = max(1, min(limit, MAX_LIMIT))
    model, visible_ids = _visible(user, type, filters)
    ranked = _ranked(type, terms, visible_ids, limit) if visible_ids is not None else []
    if not ranked:
        return []
    objects = model._default_manager.in_bulk([pk for pk, _ in ranked])
    pattern, chars = _patterns(terms)
    hits = []
    for pk, score in ranked:
        obj = objects.get(pk)
        if obj is None:
            continue
        text = obj.text() if isinstance(obj, Article) else "\n".join(
            p for p in (obj.description, obj.resolution) if p
        )
        hits.append(Hit(
            type=type, id=pk, title=obj.title, title_html=highlight(obj.title, pattern, chars, whole=True),
            snippet=highlight(text, pattern, chars), score=round(float(score), 6), obj=obj,
        ))
    return hits


def _visible(user: Any, type: str, filters: Filters) -> tuple[Any, tuple[str, tuple] | None]:
    """The model searched and the compiled subquery of the ids `user` may see among the filtered
    objects (None: none at all). Building and compiling it costs more than a millisecond of Python,
    so it is remembered for as long as the user's scope is (accounts.scope keeps that a few seconds
    per process and forgets it when memberships, groups or contacts change)."""

    def build() -> tuple[Any, tuple[str, tuple] | None]:
        visible = _tickets(user, filters) if type == "ticket" else _articles(user, filters)
        try:
            return visible.model, visible.values("id").query.get_compiler(connection=connection).as_sql()
        except EmptyResultSet:
            return visible.model, None

    if not getattr(user, "is_authenticated", False):
        return build()
    scope = scope_for(user)
    key = (user.pk, id(scope), type, dataclasses.astuple(filters))
    remembered_scope, built = _visible_sql.get(key, lambda: (scope, build()))
    return built if remembered_scope is scope else build()


_visible_sql = ProcessCache("knowledge.visible_sql", ttl=60.0, max_entries=10_000)


def _articles(user: Any, f: Filters) -> QuerySet:
    qs = Article.objects.visible_to(user).filter(status="published")
    if f.product:
        qs = qs.filter(id__in=Article.products.through.objects.filter(product_id=f.product).values("article_id"))
    if f.version:
        qs = qs.filter(
            id__in=Article.versions.through.objects.filter(productversion_id=f.version).values("article_id")
        )
    if f.category:
        qs = qs.filter(category_id=f.category)
    if f.article_type:
        qs = qs.filter(type=f.article_type)
    if f.since:
        qs = qs.filter(published_at__date__gte=f.since)
    if f.until:
        qs = qs.filter(published_at__date__lte=f.until)
    return qs


def _tickets(user: Any, f: Filters) -> QuerySet:
    from loopdesk.tickets.models import Ticket

    qs = Ticket.objects.visible_to(user)
    if f.product:
        qs = qs.filter(asset__product_version__product_id=f.product)
    if f.version:
        qs = qs.filter(asset__product_version_id=f.version)
    if f.category:
        qs = qs.filter(category_id=f.category)
    if f.since:
        qs = qs.filter(created_at__date__gte=f.since)
    if f.until:
        qs = qs.filter(created_at__date__lte=f.until)
    return qs


def _ranked(kind: str, terms: list[QueryTerm], visible_ids: tuple[str, tuple], limit: int) -> list[tuple[int, float]]:
    today = day_number(timezone.now())
    # The engines' scores weigh a title word only so much against a body that repeats it; the pool
    # is re-ranked below with an explicit bonus for query terms found in the title.
    pool = max(limit * 4, 40)
    boost = (
        f"(1.0 + 0.3 * {_FRESH_DAYS} / ({_FRESH_DAYS} + MAX(0, %s - d.fresh_day))) * (0.7 + 0.6 * d.quality)"
    )
    if connection.vendor == "postgresql":
        rows = _pg_ranked(kind, terms, visible_ids, today, pool, boost.replace("MAX(", "GREATEST("))
    else:
        rows = _fts_ranked(kind, terms, visible_ids, today, pool, boost)
    ranked = [(int(pk), score * (1.0 + TITLE_BONUS * title_share(terms, title))) for pk, title, score in rows]
    ranked.sort(key=lambda r: (-r[1], -r[0]))
    return ranked[:limit]


def _fts_ranked(kind: str, terms: list[QueryTerm], visible_ids: tuple[str, tuple], today: int, pool: int,
                boost: str) -> list:
    """(object_id, title, score) of the best `pool` visible matches, on SQLite (FTS5's bm25)."""
    sub_sql, sub_params = visible_ids
    weights = ", ".join(str(w) for w in _FTS_WEIGHTS)
    sql = (
        f"SELECT d.object_id, d.title, -bm25(knowledge_fts, {weights}) * {boost} AS score "
        "FROM knowledge_fts JOIN knowledge_searchdoc d ON d.id = knowledge_fts.rowid "
        f"WHERE knowledge_fts MATCH %s AND d.kind = %s AND d.object_id IN ({sub_sql}) "
        "ORDER BY score DESC, d.object_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [today, fts_query(terms), kind, *sub_params, pool])
        return cursor.fetchall()


def _pg_ranked(kind: str, terms: list[QueryTerm], visible_ids: tuple[str, tuple], today: int, pool: int,
               boost: str) -> list:
    """(object_id, title, score) of the best `pool` visible matches, on PostgreSQL.

    Scoring reads each document's whole tsvector (title, body and every character, stored out of line),
    and a broad query matches thousands of articles. So the matches are first ordered from the small
    columns only, the first SCANNED of them are checked against the visibility rule in the same
    statement (a semi-join by primary key), and only the first CANDIDATES visible ones are scored.
    When fewer than CANDIDATES of the SCANNED are visible although there were more matches (a user
    who may see a small part of the documents), the statement runs again over WIDER times as many.

    How the SCANNED are picked depends on how broad the query is (_pg_matches, from PostgreSQL's
    estimates): a query matching up to BROAD of the documents takes every match from the GIN index and
    puts those with query terms in their title first; a broader one (a word most documents contain)
    walks the documents best first on kb_searchdoc_rank and stops after SCANNED matches, and the title
    counts only in the ranking."""
    query = pg_query(terms)
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        # No sequential scan: it reads every document's vector (half a second at 100,000 articles),
        # which the planner's estimate for common tokens such as "0" or "13" prefers over the GIN
        # index. No JIT either: the estimates of these statements pass its threshold, and compiling
        # costs more than the few thousand rows they read.
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('jit'), "
                       "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)")
        settings = cursor.fetchone()[:2]
        # Tickets: those holding the query's words first. A Chinese word also matches a document
        # holding all of its characters, and the characters' index entries (each character is in a
        # good part of a million tickets) cost PostgreSQL more than the rest of the search; they are
        # read only when fewer than `pool` tickets hold the words (a character-only match ranks
        # below a word match anyway: characters weigh 0.05, words 0.4 or 1).
        strict_first = kind == "ticket" and any(term.chars for term in terms)
        for strict in (True, False) if strict_first else (False,):
            match = pg_query(terms, strict=strict)
            matches = _pg_matches(cursor, kind, terms, strict=strict)
            rows = None
            if kind == "ticket":
                rows = _pg_recent(cursor, match, query, matches, visible_ids, today, pool, boost)
            if rows is None:
                rows = _pg_best(cursor, kind, match, query, terms, matches, visible_ids, today, pool, boost)
            if len(rows) >= pool:
                break
        if nested:  # a caller's transaction goes on after this block (SET LOCAL lasts until it ends)
            cursor.execute("SELECT set_config('enable_seqscan', %s, true), set_config('jit', %s, true)", settings)
    return [row[:3] for row in rows]


def _pg_best(cursor: Any, kind: str, match: str, query: str, terms: list[QueryTerm], matches: float,
             visible_ids: tuple[str, tuple], today: int, pool: int, boost: str) -> list:
    """The candidates picked in ranking order (see _pg_ranked): documents matching tsquery `match`,
    scored against `query`."""
    visible_sql, visible_params = visible_ids
    rank_order = "d.quality DESC, d.fresh_day DESC, d.object_id DESC"
    broad = matches > BROAD * _documents(cursor)
    if broad:
        order, order_params = rank_order, []
    else:
        title_hits, order_params = _pg_title_hits(terms)
        order = f"{title_hits} DESC, {rank_order}"
    # The matches in `order`: every document matching the query, or (first, for a narrow query
    # of whole words) those with every query term among their title tokens, which come first in
    # that order and are found on kb_searchdoc_title_tokens_<kind>. If there are at least as many of
    # those as are wanted, they are exactly the first of all matches.
    all_matches = ("SELECT d.id, d.object_id, d.title, d.quality, d.fresh_day "
                   "FROM knowledge_searchdoc d, CAST(%s AS tsquery) query "
                   f"WHERE d.kind = %s AND d.vector @@ query ORDER BY {order} LIMIT %s", [match, kind, *order_params])
    in_title = " AND ".join(["string_to_array(d.title, ' ') && %s"] * len(terms))
    titled = ("SELECT d.id, d.object_id, d.title, d.quality, d.fresh_day FROM knowledge_searchdoc d "
              f"WHERE d.kind = %s AND {in_title}", [kind, *[term.alternatives for term in terms]])
    # OFFSET 0 keeps the planner from walking kb_searchdoc_rank for them (it checks the title of
    # every document it passes, ten thousand for a word in 3 % of the titles): take them all, then sort.
    title_matches = (f"SELECT * FROM ({titled[0]} OFFSET 0) d ORDER BY {rank_order} LIMIT %s", titled[1])
    # (matches, how many, whether fewer matches than that means every match was checked)
    attempts = [(all_matches, SCANNED, True), (all_matches, SCANNED * WIDER, True)]
    if TITLE_FIRST and not broad and not any(term.prefix for term in terms) and \
            _pg_estimate(cursor, *titled) >= SCANNED:
        attempts.insert(0, (title_matches, SCANNED, False))
    rows: list = []
    for (matches_sql, matches_params), scanned, exhaustive in attempts:
        # One statement: the best matches, the CANDIDATES visible among them, their scores, and
        # both counts (on every row) to tell whether that was enough. MATERIALIZED: the matches are
        # planned on their own (inlined, the visibility rule's joins tempt the planner into scanning
        # every document).
        cursor.execute(
            f"WITH m AS MATERIALIZED ({matches_sql}), "
            f"c AS MATERIALIZED (SELECT d.id FROM m AS d WHERE d.object_id IN ({visible_sql}) "
            f"ORDER BY {order} LIMIT %s) "
            f"SELECT d.object_id, d.title, ts_rank_cd('{_PG_WEIGHTS}', d.vector, query) * {boost} AS score, "
            "(SELECT count(*) FROM m), (SELECT count(*) FROM c) "
            "FROM knowledge_searchdoc d, CAST(%s AS tsquery) query WHERE d.id IN (SELECT id FROM c) "
            "ORDER BY score DESC, d.object_id DESC LIMIT %s",
            [*matches_params, scanned, *visible_params, *order_params, CANDIDATES, today, query, pool],
        )
        rows = cursor.fetchall()
        matched, visible = (rows[0][3], rows[0][4]) if rows else (0, 0)
        if visible >= CANDIDATES or (exhaustive and rows and matched < scanned):
            break  # enough candidates, or every match was checked (no row: none visible, or none at all)
    return rows


RECENT_ROWS = 40_000  # a ticket search walks at most this many of the newest tickets (see _pg_recent) …
RECENT_MARGIN = 2.0  # … when it expects this many times the wanted matches among them


def _pg_recent(cursor: Any, match: str, query: str, matches: float, visible_ids: tuple[str, tuple],
               today: int, pool: int, boost: str) -> list | None:
    """The newest `pool` tickets the user may see that match `match`, scored against `query`; None
    when the walk does not pay.

    A million tickets make a common word match tens of thousands of them, and reading each match's
    row to order them costs a few microseconds (half a second in all). Tickets are wanted recent,
    so when a walk down the newest tickets is expected to meet `pool` visible matches within
    RECENT_ROWS rows (from the estimated shares of matching and of visible tickets), the walk is
    taken: newest first on kb_searchdoc_unique, each row checked against the query and the
    visibility rule, stopping at `pool`; the ranking then orders those. It never goes past the
    newest RECENT_ROWS tickets (by id); if it met too few there, the usual candidates are picked instead."""
    visible_sql, visible_params = visible_ids
    tickets = _pg_estimate(cursor, "SELECT 1 FROM knowledge_searchdoc d WHERE d.kind = %s", ["ticket"])
    if not tickets:
        return None
    # `matches` is an upper bound (every term must match); when it is too high, the walk meets too
    # few matches within RECENT_ROWS and costs that many rows for nothing. PostgreSQL's estimate for
    # the whole query is no help: it takes the terms as independent, ten times too low for "现金流量表".
    share = matches / tickets
    seen = min(1.0, _pg_estimate(cursor, visible_sql, list(visible_params)) / tickets)
    if share * seen * RECENT_ROWS < pool * RECENT_MARGIN:  # the visible matches expected in the window
        return None
    newest = _newest_ticket(cursor)
    cursor.execute(
        "WITH c AS MATERIALIZED (SELECT d.id FROM knowledge_searchdoc d WHERE d.kind = 'ticket' "
        f"AND d.object_id > %s AND d.vector @@ CAST(%s AS tsquery) AND d.object_id IN ({visible_sql}) "
        "ORDER BY d.object_id DESC LIMIT %s) "
        f"SELECT d.object_id, d.title, ts_rank_cd('{_PG_WEIGHTS}', d.vector, query) * {boost} AS score, "
        "(SELECT count(*) FROM c) "
        "FROM knowledge_searchdoc d, CAST(%s AS tsquery) query WHERE d.id IN (SELECT id FROM c) "
        "ORDER BY score DESC, d.object_id DESC",
        [newest - RECENT_ROWS, match, *visible_params, pool, today, query],
    )
    rows = cursor.fetchall()
    if newest <= RECENT_ROWS or (rows and rows[0][3] >= pool):
        return rows  # the window held every ticket, or enough matches
    return None


_newest = ProcessCache("knowledge.newest_ticket", ttl=60.0)


def _newest_ticket(cursor: Any) -> int:
    """The highest ticket id with a search document (newer ones are above any window from it)."""

    def load() -> int:
        cursor.execute("SELECT max(object_id) FROM knowledge_searchdoc WHERE kind = 'ticket'")
        return int(cursor.fetchone()[0] or 0)

    return _newest.get("ticket", load)


BROAD = 0.12  # share of the documents above which a query counts as broad


def _pg_matches(cursor: Any, kind: str, terms: list[QueryTerm], *, strict: bool = False) -> float:
    """At most how many documents of `kind` the query matches, by PostgreSQL's estimates. Every term
    must match, so the query matches at most what its most selective term does; each term's estimate
    is used alone (an EXPLAIN: planning only), since for a whole query PostgreSQL multiplies the
    terms' shares as if independent, and words that come together ("NC" and "Cloud") make that far
    too low."""
    smallest = None
    for term in terms:
        where = "SELECT 1 FROM knowledge_searchdoc d WHERE d.kind = %s AND d.vector @@ CAST(%s AS tsquery)"
        rows = _pg_estimate(cursor, where, [kind, pg_query([term], strict=strict)])
        smallest = rows if smallest is None else min(smallest, rows)
    return smallest or 0.0


def _pg_estimate(cursor: Any, sql: str, params: list) -> float:
    """PostgreSQL's estimate of the rows `sql` returns (an EXPLAIN: planning only), remembered for a
    minute per statement: the same words come back all day."""

    def estimate() -> float:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
        return float((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"].get("Plan Rows", 0))

    return _estimates.get((sql, json.dumps(params, ensure_ascii=False)), estimate)


_estimates = ProcessCache("knowledge.estimates", ttl=60.0, max_entries=10_000)


_document_count = ProcessCache("knowledge.document_count", ttl=60.0)


def _documents(cursor: Any) -> float:
    """PostgreSQL's estimate of the number of search documents (from the statistics, no count)."""

    def load() -> float:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'knowledge_searchdoc'::regclass")
        return max(float(cursor.fetchone()[0] or 0), 1.0)

    return _document_count.get("all", load)


def _pg_title_hits(terms: list[QueryTerm]) -> tuple[str, list[str]]:
    """SQL counting the query terms found among a document's title tokens (as `title_share` does)."""
    cases, params = [], []
    for term in terms:
        patterns = []
        for word in term.alternatives:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            patterns.append(f"% {escaped}{'%' if term.prefix else ' %'}")
        cases.append("CASE WHEN (' ' || d.title || ' ') LIKE ANY(%s) THEN 1 ELSE 0 END")
        params.append(patterns)
    return "(" + " + ".join(cases or ["0"]) + ")", params


def title_share(terms: list[QueryTerm], title: str) -> float:
    """The share of query terms whose word (or a synonym, or a prefix of an English word) is in the title."""
    tokens = title.split()
    found = 0
    for term in terms:
        if any(t in term.alternatives or (term.prefix and t.startswith(term.word)) for t in tokens):
            found += 1
    return found / len(terms)


def _pg_lexeme(token: str, prefix: bool) -> str:
    quoted = token.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}'" + (":*" if prefix else "")


def _boolean_query(terms: list[QueryTerm], token: Callable[[str, bool], str], and_: str, or_: str,
                   strict: bool = False) -> str:
    """Every term must match; a term matches by any alternative, or (unless `strict`) by all of its
    single characters."""
    parts = []
    for term in terms:
        options = [token(a, term.prefix and a.isascii()) for a in term.alternatives]
        if term.chars and not strict:
            options.append("(" + and_.join(token(c, False) for c in term.chars) + ")")
        parts.append("(" + or_.join(options) + ")")
    return and_.join(parts)


def pg_query(terms: list[QueryTerm], *, strict: bool = False) -> str:
    """A tsquery literal (no parser: tokens stay exactly as segmented); `strict`: words only."""
    return _boolean_query(terms, _pg_lexeme, " & ", " | ", strict)


def _fts_string(token: str, prefix: bool) -> str:
    return '"' + token.replace('"', '""') + '"' + ("*" if prefix else "")


def fts_query(terms: list[QueryTerm]) -> str:
    """An FTS5 MATCH expression; every token is a quoted string, so no query syntax leaks through."""
    return _boolean_query(terms, _fts_string, " AND ", " OR ")


# Highlighting works on the original text, so snippets read as written.

def _patterns(terms: list[QueryTerm]) -> tuple[re.Pattern | None, re.Pattern | None]:
    words, chars = set(), set()
    for term in terms:
        words.update(term.alternatives)
        chars.update(term.chars)
    alternatives = []
    for word in sorted(words, key=len, reverse=True):
        alternatives.append(re.escape(word) + (r"[0-9a-z+#]*" if word.isascii() else ""))
    word_re = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None
    char_re = re.compile("|".join(re.escape(c) for c in sorted(chars))) if chars else None
    return word_re, char_re


def highlight(text: str, pattern: re.Pattern | None, chars: re.Pattern | None, *, whole: bool = False) -> str:
    """`text` (or a window of it around the first match) HTML-escaped, matches in <mark>."""
    text = " ".join(text.split())
    use = pattern if pattern is not None and pattern.search(text) else chars
    first = use.search(text) if use is not None else None
    if whole:
        window, prefix, suffix = text, "", ""
    else:
        start = max(0, first.start() - SNIPPET_CHARS // 4) if first else 0
        window = text[start:start + SNIPPET_CHARS]
        prefix = "…" if start > 0 else ""
        suffix = "…" if start + SNIPPET_CHARS < len(text) else ""
    if use is None:
        return prefix + html.escape(window) + suffix
    out, pos = [], 0
    for match in use.finditer(window):
        out.append(html.escape(window[pos:match.start()]))
        out.append("<mark>" + html.escape(match.group(0)) + "</mark>")
        pos = match.end()
    out.append(html.escape(window[pos:]))
    # Adjacent matches ("加密" + "锁") read as one.
    return prefix + "".join(out).replace("</mark><mark>", "") + suffix
