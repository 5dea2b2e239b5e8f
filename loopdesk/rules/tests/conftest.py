import pytest

from loopdesk.rules import engine


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    engine.reset_cache()
    yield
    engine.reset_cache()
