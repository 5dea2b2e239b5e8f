"""The relevance check: every query of the fixed corpus finds its expected articles in the top 3."""

from __future__ import annotations

import pytest

from loopdesk.knowledge import services
from loopdesk.knowledge.models import Article
from loopdesk.knowledge.search import search

from .corpus import ARTICLES, QUERIES


@pytest.fixture
def corpus(kb):
    products = {"U8": kb.u8, "NC": kb.nc, "T+": kb.tplus}
    ids = {}
    for key, (title, type, code, text) in ARTICLES.items():
        fields = {"body": text}
        if type == "troubleshooting":
            symptom, cause, resolution = text.split("|")
            fields = {"symptom": symptom, "cause": cause, "resolution": resolution}
        elif type == "known_error":
            symptom, workaround = text.split("|")
            fields = {"symptom": symptom, "workaround": workaround}
        article = services.create_article(actor=kb.engineer, title=title, type=type, audience="public",
                                          products=[products[code]], **fields)
        services.transition_article(actor=kb.engineer, article=article, to="review")
        services.transition_article(actor=kb.reviewer, article=article, to="published")
        ids[article.pk] = key
    return ids


def _failures(kb, corpus) -> list[str]:
    """The queries whose expected articles are not in the top 3 (a single expected one must be first)."""
    failures = []
    for q, expected in QUERIES:
        top = [corpus[h.id] for h in search(kb.customer, q, limit=3)]
        if not set(expected) <= set(top) or (len(expected) == 1 and top[0] != expected[0]):
            failures.append(f"{q!r}: expected {expected}, got {top}")
    return failures


def test_relevance(kb, corpus):
    assert Article.objects.filter(status="published").count() == len(ARTICLES) >= 30
    assert len(QUERIES) >= 30
    failures = _failures(kb, corpus)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("broad", [0.0, 1e9], ids=["every-query-broad", "no-query-broad"])
def test_relevance_holds_on_both_postgresql_paths(kb, corpus, monkeypatch, broad):
    """PostgreSQL picks a broad query's candidates by walking the best documents first and a narrow
    one's from the index with title matches first (search._pg_ranked); on a corpus whose matches all
    fit in SCANNED both must give the same ranking, and the expected articles. On SQLite: FTS5, once."""
    from django.db import connection

    from loopdesk.knowledge import search as search_module

    if connection.vendor != "postgresql" and broad:
        pytest.skip("one strategy on SQLite")
    monkeypatch.setattr(search_module, "BROAD", broad)
    failures = _failures(kb, corpus)
    assert not failures, "\n".join(failures)


def test_the_title_first_candidates_change_no_ranking(kb, corpus, monkeypatch):
    """PostgreSQL takes a narrow query's candidates from the documents with every term in the title
    when there are enough of them (search._pg_ranked). With candidate counts small enough for that to
    happen on this corpus, every query must rank exactly as it does from all matches."""
    from django.db import connection

    from loopdesk.knowledge import search as search_module

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # The paths are chosen by PostgreSQL's estimates, which say little on a corpus this small: every
    # query is taken as narrow, with plenty of title matches, so each tries the title first.
    monkeypatch.setattr(search_module, "_pg_estimate", lambda *_args: 1000.0)
    monkeypatch.setattr(search_module, "BROAD", 1e9)
    monkeypatch.setattr(search_module, "SCANNED", 2)
    monkeypatch.setattr(search_module, "CANDIDATES", 1)

    def ranking(title_first: bool) -> dict[str, list[int]]:
        monkeypatch.setattr(search_module, "TITLE_FIRST", title_first)
        return {q: [h.id for h in search(kb.customer, q, limit=3)] for q, _expected in QUERIES}

    with_title_first = ranking(True)
    assert any(with_title_first.values())
    assert with_title_first == ranking(False)
