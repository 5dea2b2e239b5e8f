"""Writing the search index: one SearchDoc row per article or ticket, plus the database's own index
(PostgreSQL: the `vector` tsvector column; SQLite: the FTS5 table `knowledge_fts`).

Services call `index_article` / `index_ticket` inside their transaction, so the index is current
the moment the change commits; `loopdesk kb reindex` rebuilds everything in batches."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Max

from .models import Article, SearchDoc, Term
from .segment import DICTIONARY, IndexText, index_text

BATCH = 500
_EPOCH = datetime.date(1970, 1, 1)
_DICTIONARY_CHECK_SECONDS = 10.0
_last_check = 0.0


def refresh_dictionary(*, force: bool = False) -> None:
    """Give jieba the current product terms, product names and codes, and synonym groups.

    Checked at most every few seconds (one small query), so an administrator's edit in one process
    reaches the others soon; `force` reloads at once (after an edit in this process, in tests)."""
    global _last_check
    now = time.monotonic()
    if not force and now - _last_check < _DICTIONARY_CHECK_SECONDS:
        return
    _last_check = now
    from loopdesk.assets.models import Product

    stamp = (
        tuple(Term.objects.aggregate(n=Count("id"), m=Max("updated_at")).values()),
        tuple(Product.objects.aggregate(n=Count("id"), m=Max("updated_at")).values()),
    )
    if stamp == DICTIONARY.stamp and not force:
        return
    terms = list(Term.objects.values_list("word", "synonyms"))
    words = [w for w, _ in terms]
    for name, code in Product.objects.values_list("name", "code"):
        words += [name, code]
    groups = [[w, *s] for w, s in terms if s]
    DICTIONARY.load(words, groups, stamp)


def day_number(value: datetime.datetime | datetime.date | None) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        value = value.date()
    return (value - _EPOCH).days


def quality(helpful: int, unhelpful: int) -> float:
    """The helpful share, smoothed so a new article starts at 0.5 and one vote moves it a little."""
    return (helpful + 1) / (helpful + unhelpful + 2)


@dataclass
class Doc:
    kind: str
    object_id: int
    text: IndexText
    fresh_day: int
    quality: float


def _article_texts(article: Article) -> tuple[str, str]:
    """Title and body to index; tags and products (name, code, versions) are searchable too."""
    products = [f"{p.name} {p.code}" for p in article.products.all()]
    versions = [v.version for v in article.versions.all()]
    tags = [str(t) for t in article.tags or []]
    return article.title, "\n".join([article.text(), " ".join(tags + products + versions)])


def article_doc(article: Article, text: IndexText | None = None) -> Doc:
    return Doc(
        SearchDoc.Kind.ARTICLE, article.pk, text or index_text(*_article_texts(article)),
        day_number(article.published_at or article.updated_at),
        quality(article.helpful_count, article.unhelpful_count),
    )


def _ticket_texts(ticket: Any) -> tuple[str, str]:
    return f"{ticket.number} {ticket.title}", "\n".join(p for p in (ticket.description, ticket.resolution) if p)


def ticket_doc(ticket: Any, text: IndexText | None = None) -> Doc:
    return Doc(
        SearchDoc.Kind.TICKET, ticket.pk, text or index_text(*_ticket_texts(ticket)),
        day_number(ticket.updated_at or ticket.created_at), 0.5,
    )


def index_article(article: Article) -> None:
    """Bring the article's search document up to date (call inside the saving transaction)."""
    refresh_dictionary()
    write_docs([article_doc(article)])


def index_ticket(ticket: Any) -> None:
    """Bring the ticket's search document up to date (title, description, resolution)."""
    refresh_dictionary()
    write_docs([ticket_doc(ticket)])


def remove(kind: str, object_ids: Iterable[int]) -> None:
    ids = list(SearchDoc.objects.filter(kind=kind, object_id__in=list(object_ids)).values_list("id", flat=True))
    if not ids:
        return
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM knowledge_fts WHERE rowid = %s", [(i,) for i in ids])
    SearchDoc.objects.filter(id__in=ids).delete()


def write_docs(docs: list[Doc]) -> None:
    """Upsert SearchDoc rows for `docs` and the database's full-text index over them."""
    if not docs:
        return
    if connection.vendor == "postgresql":
        _upsert_postgres(docs)
        return
    by_kind: dict[str, dict[int, int]] = {}
    for kind in {d.kind for d in docs}:
        ids = [d.object_id for d in docs if d.kind == kind]
        by_kind[kind] = dict(
            SearchDoc.objects.filter(kind=kind, object_id__in=ids).values_list("object_id", "id")
        )
    new, changed = [], []
    for d in docs:
        row = SearchDoc(
            kind=d.kind, object_id=d.object_id, title=d.text.title, body=d.text.body, chars=d.text.chars,
            fresh_day=d.fresh_day, quality=d.quality,
        )
        row.id = by_kind[d.kind].get(d.object_id)
        (changed if row.id else new).append(row)
    if changed:
        SearchDoc.objects.bulk_update(changed, ["title", "body", "chars", "fresh_day", "quality"], batch_size=BATCH)
    if new:
        SearchDoc.objects.bulk_create(new, batch_size=BATCH)
    if connection.vendor == "sqlite":
        _write_fts(changed + new, replace=[r.id for r in changed])


def tsvector_literal(text: IndexText) -> str:
    """One tsvector literal with positions and weights (title A, body B, characters D), the tokens
    taken exactly as segmented: no text-search parser is involved. Each token is written once with
    all its positions ('凭证':3A,17B), as PostgreSQL stores it (less to write, parse and sort).
    PostgreSQL clamps positions past 16383, which only blurs proximity deep inside long documents."""
    positions: dict[str, list[str]] = {}
    position = 0
    for column, weight in ((text.title, "A"), (text.body, "B"), (text.chars, "D")):
        for token in column.split():
            position += 1
            found = positions.get(token)
            if found is None:
                positions[token] = [f"{position}{weight}"]
            else:
                found.append(f"{position}{weight}")
    return " ".join(f"'{_quoted(token)}':{','.join(found)}" for token, found in positions.items())


def _quoted(token: str) -> str:
    if "'" in token or "\\" in token:
        return token.replace("\\", "\\\\").replace("'", "''")
    return token


def _upsert_postgres(docs: list[Doc]) -> None:
    """One upsert per document, row and vector together (one write per row, pipelined by psycopg)."""
    sql = (
        "INSERT INTO knowledge_searchdoc (kind, object_id, title, body, chars, fresh_day, quality, vector) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, CAST(%s AS tsvector)) "
        "ON CONFLICT (kind, object_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, "
        "chars = EXCLUDED.chars, fresh_day = EXCLUDED.fresh_day, quality = EXCLUDED.quality, "
        "vector = EXCLUDED.vector"
    )
    # The vector holds the body and characters; storing them again as text would only widen the rows
    # that a search reads (the title stays: the ranking counts query terms in it).
    params = [
        (d.kind, d.object_id, d.text.title, "", "", d.fresh_day, d.quality, d.text.vector or tsvector_literal(d.text))
        for d in docs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _write_fts(rows: list[SearchDoc], replace: list[int]) -> None:
    with connection.cursor() as cursor:
        if replace:
            cursor.executemany("DELETE FROM knowledge_fts WHERE rowid = %s", [(i,) for i in replace])
        cursor.executemany(  # REPLACE: a row left behind by a flush of knowledge_searchdoc never blocks an id
            "INSERT OR REPLACE INTO knowledge_fts (rowid, title, body, chars) VALUES (%s, %s, %s, %s)",
            [(r.id, r.title, r.body, r.chars) for r in rows],
        )


def _batches(qs: Any, size: int) -> Iterator[list[Any]]:
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _segment_batch(texts: list[tuple[str, str]], vectors: bool) -> list[IndexText]:
    out = [index_text(title, body) for title, body in texts]
    if vectors:  # building the literal is Python work too: do it here, not in the writing process
        for text in out:
            text.vector = tsvector_literal(text)
    return out


def _rebuild(rows: Iterable[list[Any]], texts: Any, make: Any, workers: int | None) -> int:
    """Segment batches in worker processes (jieba is pure Python and holds the GIL) while this
    process reads the next batch and writes the finished ones, in order, one transaction each.

    Workers are forked, so they share jieba's loaded dictionary; they never touch the database."""
    import multiprocessing
    import os
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    from django.db import transaction

    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    vectors = connection.vendor == "postgresql"
    count = 0

    def write(batch: list[Any], segmented: list[IndexText]) -> None:
        with transaction.atomic():
            write_docs([make(obj, text) for obj, text in zip(batch, segmented, strict=True)])

    if workers <= 1:
        for batch in rows:
            write(batch, _segment_batch([texts(obj) for obj in batch], vectors))
            count += len(batch)
        _merge_pending()
        return count
    pending: deque = deque()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for batch in rows:
            pending.append((batch, pool.submit(_segment_batch, [texts(obj) for obj in batch], vectors)))
            if len(pending) > workers:
                done, future = pending.popleft()
                write(done, future.result())
                count += len(done)
        while pending:
            done, future = pending.popleft()
            write(done, future.result())
            count += len(done)
    _merge_pending()
    return count


def _merge_pending() -> None:
    """After a bulk rebuild, merge the GIN index's pending list (PostgreSQL's fast-update buffer):
    until autovacuum does it, every search would scan those thousands of unsorted entries."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for kind in ("article", "ticket"):  # one full-text index per kind (migration 0007)
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [f"kb_searchdoc_vector_{kind}"])


def reindex_articles(batch: int = BATCH, workers: int | None = None) -> int:
    """Rebuild every article's document; returns how many."""
    refresh_dictionary(force=True)
    articles = Article.objects.prefetch_related("products", "versions")
    return _rebuild(_batches(articles, batch), _article_texts, article_doc, workers)


def reindex_tickets(batch: int = BATCH, workers: int | None = None) -> int:
    """Rebuild every ticket's document; returns how many."""
    from loopdesk.tickets.models import Ticket

    refresh_dictionary(force=True)
    fields = ("id", "number", "title", "description", "resolution", "created_at", "updated_at")
    return _rebuild(_batches(Ticket.objects.only(*fields), batch), _ticket_texts, ticket_doc, workers)
