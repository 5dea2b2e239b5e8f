import pytest

from loopdesk.accounts.roles import Role
from loopdesk.accounts.services import create_user
from loopdesk.core.testing import PASSWORD


@pytest.fixture
def bj_manager(world):
    """A service manager of the Beijing branch (scope: Beijing and its Haidian service centre)."""
    return create_user(username="bj_manager", password=PASSWORD, display_name="北京经理",
                       memberships=[(world.beijing, Role.MANAGER)])
