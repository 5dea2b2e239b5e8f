"""`loopdesk assist …`: the next-question model and the suggestion sessions (docs/self-service.md).

    loopdesk assist train [--until YYYY-MM-DD]
    loopdesk assist evaluate --holdout-month YYYY-MM
    loopdesk assist close-sessions
"""

from __future__ import annotations

import datetime
import json
import re
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loopdesk.assist.services import close_stale_sessions
from loopdesk.assist.training import evaluate_month, train_model


class Command(BaseCommand):
    help = "Self-service: train or evaluate the next-question model, close idle suggestion sessions."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{train,evaluate,close-sessions}")
        train = sub.add_parser("train", help="train the next-question model on the history")
        train.add_argument("--until", help="only events before this date (YYYY-MM-DD)")
        evaluate = sub.add_parser("evaluate", help="hit@3 on a held-out month, against the popularity baseline")
        evaluate.add_argument("--holdout-month", required=True, help="YYYY-MM: train before it, test on it")
        sub.add_parser("close-sessions", help="close idle suggestion sessions now (counts deflections)")

    def handle(self, *args, action, **options) -> None:
        if action == "train":
            until = None
            if options.get("until"):
                try:
                    day = datetime.date.fromisoformat(options["until"])
                except ValueError:
                    raise CommandError("--until: expected YYYY-MM-DD") from None
                until = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
            started = time.perf_counter()
            model = train_model(until=until)
            self.stdout.write(json.dumps({
                "events": model.events, "transitions": model.transitions,
                "seconds": round(time.perf_counter() - started, 2),
            }))
        elif action == "evaluate":
            month = options["holdout_month"]
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
                raise CommandError("--holdout-month: expected YYYY-MM")
            started = time.perf_counter()
            result = evaluate_month(month)
            self.stdout.write(json.dumps({"month": month, **result.as_dict(),
                                          "seconds": round(time.perf_counter() - started, 2)}))
        else:
            self.stdout.write(json.dumps(close_stale_sessions()))
