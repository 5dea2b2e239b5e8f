"""`loopdesk kb …`: maintain the knowledge base's search index (docs/knowledge.md).

    loopdesk kb reindex [--articles] [--tickets] [--batch N]
    loopdesk kb search QUERY [--type article|ticket] [--user USERNAME]
    loopdesk kb bench [--articles N] [--queries N]   (rolled back: leaves no data)
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from loopdesk.knowledge.index import BATCH, reindex_articles, reindex_tickets
from loopdesk.knowledge.search import search
from loopdesk.knowledge.tasks import mark_indexed_until


class Command(BaseCommand):
    help = "Knowledge base: rebuild the search index of articles and tickets, or try a search."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{reindex,search,bench}")
        reindex = sub.add_parser("reindex", help="rebuild the search index (both kinds unless one is named)")
        reindex.add_argument("--articles", action="store_true", help="articles only")
        reindex.add_argument("--tickets", action="store_true", help="tickets only")
        reindex.add_argument("--batch", type=int, default=BATCH, help=f"rows per transaction (default {BATCH})")
        find = sub.add_parser("search", help="print the hits a user would get")
        find.add_argument("query")
        find.add_argument("--type", choices=["article", "ticket"], default="article")
        find.add_argument("--user", help="search as this user (default: the first superuser)")
        find.add_argument("--limit", type=int, default=10)
        bench = sub.add_parser("bench", help="time indexing and search over synthetic articles (rolled back)")
        bench.add_argument("--articles", type=int, default=5000)
        bench.add_argument("--queries", type=int, default=200)

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, "_" + action)(**options)

    def _reindex(self, *, articles: bool, tickets: bool, batch: int, **_options) -> None:
        if batch < 1:
            raise CommandError(_("--batch must be at least 1."))
        both = not (articles or tickets)
        for kind, run, wanted in (("articles", reindex_articles, articles), ("tickets", reindex_tickets, tickets)):
            if not (both or wanted):
                continue
            start, began = time.perf_counter(), timezone.now()
            count = run(batch)
            if kind == "tickets":
                mark_indexed_until(began)  # the periodic job need not redo what was just rebuilt
            seconds = time.perf_counter() - start
            rate = count / seconds if seconds else 0
            label = pgettext("kb reindex", "articles") if kind == "articles" else pgettext("kb reindex", "tickets")
            self.stdout.write(_("Indexed %(count)d %(kind)s in %(seconds).1f s (%(rate).0f/s).") % {
                "count": count, "kind": label, "seconds": seconds, "rate": rate})

    def _bench(self, *, articles: int, queries: int, **_options) -> None:
        from loopdesk.knowledge.bench import run

        author = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if author is None:
            raise CommandError(_("No such user."))
        for key, value in run(articles=articles, queries=queries, author=author).items():
            self.stdout.write(f"{key}: {value}")

    def _search(self, *, query: str, type: str, user: str | None, limit: int, **_options) -> None:
        User = get_user_model()
        account = (User.objects.filter(username=user).first() if user
                   else User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first())
        if account is None:
            raise CommandError(_("No such user."))
        for hit in search(account, query, type=type, limit=limit):
            self.stdout.write(f"{hit.score:8.4f}  #{hit.id}  {hit.title}\n          {hit.snippet}")
