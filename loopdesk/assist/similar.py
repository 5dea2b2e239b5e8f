"""Agent assist: resolved tickets and articles like this ticket, from the one search service.

The search requires every query term, so the ticket's whole text would match nothing: the query is
its `KEYWORDS` most distinctive words (jieba's TF-IDF over title + description, the title counted
twice). If that finds nothing, one more search with the two best words. Tickets come from the
agent's own visible scope (the search applies it), resolved or closed, never the ticket itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loopdesk.knowledge.search import Hit, search
from loopdesk.knowledge.segment import DICTIONARY, STOP_WORDS
from loopdesk.tickets.choices import Phase

KEYWORDS = 3
# Words customers write around a question that say nothing about it.
FILLERS = frozenset(["求助", "咨询", "你好", "您好", "谢谢", "麻烦", "帮忙", "今天", "昨天", "现在", "处理", "解决", "一直",
                     "客户", "我们", "一个", "这个", "那个", "显示", "操作", "使用", "问题", "情况", "需要", "希望"])
TICKETS = 5
ARTICLES = 5
DONE = {Phase.RESOLVED, Phase.CLOSED}


def keywords(title: str, description: str = "", k: int = KEYWORDS) -> list[str]:
    """The `k` most distinctive words of a ticket (ASCII codes and Chinese words of 2+ characters)."""
    import jieba.analyse

    DICTIONARY.python_jieba()  # the administrator's product terms stay whole here too
    text = f"{title}\n{title}\n{description or ''}" if title else (description or "")
    words = [w for w in jieba.analyse.extract_tags(text[:4000], topK=k * 4)
             if len(w) > 1 and w.lower() not in STOP_WORDS and w not in FILLERS]
    return words[:k]


@dataclass
class Similar:
    query: str
    tickets: list[Hit] = field(default_factory=list)
    articles: list[Hit] = field(default_factory=list)


def search_words(user: Any, words: list[str], kind: str, limit: int, keep: Any = None) -> tuple[str, list[Hit]]:
    """Search all `words`; if nothing is found (or kept), the best two only."""
    attempts = [words, words[:2]] if len(words) > 2 else [words]
    query = ""
    for attempt in attempts:
        query = " ".join(attempt)
        hits = search(user, query, type=kind, limit=limit * 2 if keep else limit)
        hits = [h for h in hits if keep is None or keep(h)][:limit]
        if hits:
            return query, hits
    return query, []


def similar(user: Any, ticket: Any) -> Similar:
    """Resolved tickets (with their resolution) and articles like `ticket`, as `user` may see them."""
    words = keywords(ticket.title, ticket.description)
    if not words:
        return Similar(query="")
    query, tickets = search_words(
        user, words, "ticket", TICKETS,
        lambda h: h.id != ticket.pk and h.obj.phase in DONE and bool(h.obj.resolution.strip()),
    )
    _q, articles = search_words(user, words, "article", ARTICLES)
    return Similar(query=query, tickets=tickets, articles=articles)


def excerpt(text: str, n: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[:n] + "…"
