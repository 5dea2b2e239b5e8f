"""`loopdesk kb bench`: how fast articles are indexed and searched, in a transaction rolled back at
the end, so it can run against any database without leaving data behind."""

from __future__ import annotations

import random
import time
from typing import Any

from django.db import transaction

from .index import BATCH, reindex_articles
from .models import Article
from .search import search

_WORDS = ["凭证", "打印", "月末", "结账", "加密锁", "数据库", "连接", "超时", "报表", "导出", "总账", "科目", "余额", "审核", "记账", "备份", "账套", "升级", "补丁", "发票", "金税", "存货", "成本", "工资", "个税", "折旧", "固定资产", "银行", "对账", "客户端", "服务器", "端口", "防火墙", "驱动", "模板", "纸张", "格式", "乱码", "编码", "U8", "NC", "T+", "SQL", "Server", "Excel", "PDF", "16.5", "6.5", "12.3", "登录", "密码", "权限", "操作员", "审批流", "缓存", "连接池", "授权", "注册"]


class _Rollback(Exception):
    pass


def _text(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(_WORDS) + rng.choice(("", "，", "。", "的", "时", "后")) for _ in range(words))


def run(*, articles: int = 5000, queries: int = 200, author: Any) -> dict[str, float]:
    """Create `articles` synthetic articles (~400 characters each), time the rebuild of their index
    and `queries` searches, then roll everything back."""
    rng = random.Random(7)
    figures: dict[str, float] = {}
    try:
        with transaction.atomic():
            Article.objects.bulk_create(
                [Article(title=_text(rng, 6), body=_text(rng, 120), status="published", audience="public",
                         author=author) for _ in range(articles)],
                batch_size=BATCH,
            )
            chars = sum(len(a.title) + len(a.body) for a in Article.objects.only("title", "body")[:200]) / 200
            start = time.perf_counter()
            count = reindex_articles()
            seconds = time.perf_counter() - start
            figures.update(articles=count, chars_per_article=round(chars), index_seconds=round(seconds, 2),
                           articles_per_second=round(count / seconds))
            terms = [" ".join(rng.sample(_WORDS, rng.choice((1, 2, 3)))) for _ in range(queries)]
            start = time.perf_counter()
            for q in terms:
                search(author, q, limit=10)
            figures["search_ms_mean"] = round((time.perf_counter() - start) * 1000 / max(1, queries), 2)
            raise _Rollback
    except _Rollback:
        pass
    return figures
