import pytest

from loopdesk.core.testing import build_world


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Hashing a dozen test passwords with PBKDF2 costs seconds; tests need no strong hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    """The standard test network (see loopdesk.core.testing)."""
    return build_world()
