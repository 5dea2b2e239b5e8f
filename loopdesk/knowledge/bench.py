"""`loopdesk kb bench`: how fast articles are indexed and searched, in a transaction rolled back at
the end, so it can run against any database without leaving data behind."""

from __future__ import annotations

import datetime
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


# -- the large-scale bench (`loopdesk bench --only knowledge`) ------------------------------------------
# 100,000 generated articles are added to the bench database once and kept (later runs reuse them).
# They are recognisable: author `kb-bench` (an inactive user) and the tag `bench-kb`.

BENCH_AUTHOR = "kb-bench"
BENCH_TAG = "bench-kb"
# A module × issue × product corpus: a module word is in ~1/40 of the articles (as in a large real
# knowledge base), an issue in ~1/30; the explanatory text uses common, non-topical words.
_MODULES = ["凭证打印", "月末结账", "加密锁", "数据库", "财务报表", "总账", "薪资", "存货核算", "流程审批", "版本升级",
            "登录", "备份", "采购管理", "销售管理", "应收", "应付", "固定资产", "出纳", "现金流量表", "合并报表", "预算",
            "成本核算", "生产订单", "质量管理", "考勤", "人事档案", "公文", "移动端", "表单设计", "发票", "金税接口",
            "网银", "电子档案", "权限", "单据模板", "打印模板", "接口集成", "看板", "门户", "库存盘点"]
_ISSUES = ["报错", "超时", "乱码", "无法保存", "数据不一致", "卡死", "闪退", "提示没有权限", "格式错乱", "取数不正确",
           "无法登录", "速度很慢", "找不到菜单", "金额不对", "无法删除", "重复生成", "审核失败", "导出失败", "导入失败",
           "打不开", "显示空白", "结果为零", "无法识别", "注册失败", "连接中断", "内存不足", "日志过大", "端口被占用",
           "证书过期", "版本不匹配"]
_PRODUCTS_TEXT = ["U8", "NC", "T+", "U8 16.5", "NC 6.5", "T+ 12.3", "U8 13.0", "NC Cloud"]
_STEPS = ["检查", "相关", "设置", "是否", "正确", "重新", "配置", "参数", "服务", "重启", "确认", "客户端", "保存", "系统",
          "管理员", "登录", "选择", "菜单", "点击", "确定", "完成", "后", "再", "按照", "以下", "步骤", "操作", "查看",
          "选项", "修改", "如果", "仍然", "请", "联系", "工程师", "记录", "截图", "版本", "更新", "补丁"]


def _steps(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(_STEPS) + rng.choice(("", "，", "。", "的", "")) for _ in range(words))


def _article_fields(rng: random.Random) -> dict[str, Any]:
    module, issue, product = rng.choice(_MODULES), rng.choice(_ISSUES), rng.choice(_PRODUCTS_TEXT)
    other = rng.choice(_MODULES)
    title = f"{product} {module}{issue}的处理方法" if rng.random() < 0.5 else f"{module}时{issue}怎么办（{product}）"
    symptom = f"在 {product} 中使用{module}时{issue}。" + _steps(rng, 20)
    cause = f"{module}的" + _steps(rng, 25) + f"，与{other}有关。"
    resolution = "1. " + _steps(rng, 30) + f"；2. 在{module}中" + _steps(rng, 30) + f"；3. 如仍{issue}，" + _steps(rng, 10)
    return {"title": title[:200], "type": "troubleshooting", "symptom": symptom, "cause": cause,
            "resolution": resolution}


def bench_author() -> Any:
    from loopdesk.accounts.models import User

    user, _created = User.objects.get_or_create(
        username=BENCH_AUTHOR, defaults={"display_name": "知识库压测", "is_active": False})
    return user


def bench_articles() -> Any:
    return Article.objects.filter(author__username=BENCH_AUTHOR)


def ensure_articles(n: int = 100_000, *, seed: int = 11, batch: int = 2000) -> int:
    """Top the bench articles up to `n` (bulk, published; 60% public, 25% for one product's customers,
    10% partners, 5% internal); returns how many were created. They are indexed separately."""
    from django.utils import timezone

    from loopdesk.assets.models import Product
    from loopdesk.tickets.models import Category

    author = bench_author()
    have = bench_articles().count()
    if have >= n:
        return 0
    rng = random.Random(seed + have)
    products = list(Product.objects.values_list("pk", flat=True)) or [None]
    categories = list(Category.objects.values_list("pk", flat=True)) or [None]
    now = timezone.now()
    created = 0
    through = Article.products.through
    while have + created < n:
        size = min(batch, n - have - created)
        rows, audiences = [], []
        for _ in range(size):
            audience = rng.choices(["public", "product", "partners", "internal"], [60, 25, 10, 5])[0]
            audiences.append(audience)
            rows.append(Article(
                **_article_fields(rng), audience=audience, status="published", author=author,
                category_id=rng.choice(categories), tags=[BENCH_TAG],
                published_at=now - datetime.timedelta(days=rng.randint(0, 720)),
                helpful_count=rng.randint(0, 40), unhelpful_count=rng.randint(0, 8),
            ))
        with transaction.atomic():
            made = Article.objects.bulk_create(rows, batch_size=BATCH)
            links = [through(article_id=a.pk, product_id=rng.choice(products))
                     for a, audience in zip(made, audiences, strict=True) if audience == "product" and products[0]]
            through.objects.bulk_create(links, batch_size=BATCH)
        created += size
    return created


def index_bench_articles(*, limit: int | None = None, only_missing: bool = False,
                         workers: int | None = None) -> tuple[int, float]:
    """(Re)index the bench articles (all, the first `limit`, or those without a document);
    returns (count, seconds)."""
    from .index import _article_texts, _batches, _rebuild, article_doc, refresh_dictionary
    from .models import SearchDoc

    refresh_dictionary(force=True)
    qs = bench_articles().prefetch_related("products", "versions")
    if only_missing:
        qs = qs.exclude(pk__in=SearchDoc.objects.filter(kind="article").values("object_id"))
    if limit is not None:
        ids = list(qs.order_by("pk").values_list("pk", flat=True)[:limit])
        qs = qs.filter(pk__in=ids)
    start = time.perf_counter()
    count = _rebuild(_batches(qs, BATCH), _article_texts, article_doc, workers)
    return count, time.perf_counter() - start


def bench_queries(n: int, seed: int = 5) -> list[str]:
    """Mixed Chinese queries, as customers and agents type them: a module, a module and an issue, a
    product and a module, or a whole question."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        module, issue = rng.choice(_MODULES), rng.choice(_ISSUES)
        out.append(rng.choice([module, f"{module} {issue}", f"{rng.choice(_PRODUCTS_TEXT)} {module}",
                               f"{module}的时候{issue}怎么办"]))
    return out


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def figure(name: str, value: float | None, unit: str, target: float | None, *, higher_is_better: bool,
           **extra: Any) -> dict[str, Any]:
    ok = None if target is None else (value is not None and (value >= target if higher_is_better else value <= target))
    return {"name": name, "value": None if value is None else round(value, 1), "unit": unit, "target": target,
            "ok": ok, **extra}


def search_latency(name: str, user: Any, queries: list[str], *, type: str = "article", target_ms: float = 30,
                   limit: int = 10, **extra: Any) -> dict[str, Any]:
    """p95 of `search()` in this process (warm: a few queries first), one query after another."""
    for q in queries[:5]:
        search(user, q, type=type, limit=limit)
    times, found = [], 0
    for q in queries:
        start = time.perf_counter()
        hits = search(user, q, type=type, limit=limit)
        times.append((time.perf_counter() - start) * 1000)
        found += bool(hits)
    return figure(name, _percentile(times, 95), "ms (p95)", target_ms, higher_is_better=False,
                  p50_ms=round(_percentile(times, 50), 1), p99_ms=round(_percentile(times, 99), 1),
                  queries=len(queries), with_hits=found, user=getattr(user, "username", ""), example=queries[0],
                  **extra)


def large_figures(*, staff: Any, customer: Any | None, articles: int = 100_000, queries: int = 200,
                  index_sample: int = 5000, log: Any = None) -> list[dict[str, Any]]:
    """Add the bench articles if missing, index what is not indexed, then measure: indexing rate
    (re-indexing `index_sample` of them), article search p95 as staff and as a customer, and ticket
    search p95 as staff when the tickets are indexed."""
    from .models import SearchDoc

    log = log or (lambda *_a: None)
    out = []
    created = ensure_articles(articles)
    if created:
        log(f"  created {created} bench articles")
    missing, seconds = index_bench_articles(only_missing=True)
    if missing:
        log(f"  indexed {missing} bench articles in {seconds:.0f}s")
        out.append(figure("kb_index_rate_full", missing / seconds, "articles/s", 1000, higher_is_better=True,
                          articles=missing, seconds=round(seconds, 1)))
    if created or missing:
        from django.db import connection

        if connection.vendor == "postgresql":  # fresh statistics, as autovacuum would leave them
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE knowledge_article, knowledge_article_products, knowledge_searchdoc")
    count, seconds = index_bench_articles(limit=index_sample)
    out.append(figure("kb_index_rate", count / seconds if seconds else None, "articles/s", 1000,
                      higher_is_better=True, articles=count, seconds=round(seconds, 1),
                      total_articles=Article.objects.count()))
    qs = bench_queries(queries)
    out.append(search_latency("kb_search_articles_staff", staff, qs))
    if customer is not None:
        out.append(search_latency("kb_search_articles_customer", customer, qs))
    from loopdesk.tickets.models import Ticket

    indexed = SearchDoc.objects.filter(kind="ticket").count()
    tickets = Ticket.objects.count()
    if indexed >= tickets * 0.9:
        out.append(search_latency("kb_search_tickets_staff", staff, qs, type="ticket", indexed_tickets=indexed))
    else:
        out.append(figure("kb_search_tickets_staff", None, "ms (p95)", 30, higher_is_better=False,
                          error=f"tickets not indexed ({indexed} of {tickets}); run `loopdesk kb reindex --tickets`"))
    return out


def remove_bench_articles() -> int:
    """Delete the generated bench articles and their search documents."""
    from .index import remove

    ids = list(bench_articles().values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        remove("article", chunk)
        Article.objects.filter(pk__in=chunk).delete()
    return len(ids)
