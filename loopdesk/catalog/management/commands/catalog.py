"""`loopdesk catalog seed`: put back any of the nine standard service products that is missing."""

from django.core.management.base import BaseCommand

from loopdesk.catalog.seed import seed_products


class Command(BaseCommand):
    help = "Service catalogue maintenance. `seed` creates the standard service products that are missing."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seed"])

    def handle(self, *args, **options):
        created = seed_products()
        self.stdout.write(f"{created} service product(s) created.")
