"""`loopdesk token USERNAME`: issue an API token for a user and print it (it is shown only once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from loopdesk.accounts.models import User
from loopdesk.accounts.services import issue_token


class Command(BaseCommand):
    help = "Print a new API bearer token for USERNAME."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label for the token, e.g. the integration using it")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is deactivated; a token for it would not work.")
        self.stdout.write(issue_token(user=user, name=name or "cli"))
