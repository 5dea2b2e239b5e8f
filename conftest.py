import pytest

from loopdesk.core.testing import build_world


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Hashing a dozen test passwords with PBKDF2 costs seconds; tests need no strong hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _reference_data(request):
    """A transactional test elsewhere empties every table (the order of tests varies under xdist); put
    the shipped reference data back."""
    if {"db", "transactional_db"} & set(request.fixturenames) or request.node.get_closest_marker("django_db"):
        from django.contrib.contenttypes.models import ContentType

        from loopdesk.core.caches import clear_all
        from loopdesk.core.reference import ensure_all

        request.getfixturevalue("db")  # sets the database up as the test asked (transactional or not)
        ContentType.objects.clear_cache()  # a flush re-creates content types under new ids
        ensure_all()
        clear_all()  # per-process configuration caches may hold rows a rolled-back test wrote
        _empty_fulltext_after_flush()


def _empty_fulltext_after_flush() -> None:
    """SQLite's FTS5 table is not a model, so a flush leaves its rows behind; drop them with their docs."""
    from django.db import connection

    from loopdesk.knowledge.models import SearchDoc

    if connection.vendor == "sqlite" and not SearchDoc.objects.exists():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knowledge_fts")


@pytest.fixture
def world(db):
    """The standard test network (see loopdesk.core.testing)."""
    return build_world()
