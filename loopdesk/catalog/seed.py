"""The standard catalogue of nine service products.

The data migration 0002 seeds it on `migrate`; `loopdesk catalog seed` (and the test suite, after a
transactional test has flushed the database) puts back any product that is missing. Existing products
are never changed, since an administrator may have edited their prices.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps

# One source of truth: the data migration's list and function (its module name starts with a digit).
_MIGRATION = import_module("loopdesk.catalog.migrations.0002_seed_service_products")
PRODUCTS = _MIGRATION.PRODUCTS


def seed_products() -> int:
    """Create the standard products that are missing; return how many were created."""
    return _MIGRATION.seed(apps, None)
