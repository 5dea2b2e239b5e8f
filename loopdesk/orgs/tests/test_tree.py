import pytest

from loopdesk.core.errors import ValidationFailed
from loopdesk.orgs.models import Organization
from loopdesk.orgs.services import create_organization


def test_paths_and_subtrees(world):
    assert world.haidian.path == f"/{world.hq.pk}/{world.beijing.pk}/{world.haidian.pk}/"
    assert Organization.objects.subtree_ids([world.beijing]) == {world.beijing.pk, world.haidian.pk}
    assert len(Organization.objects.subtree_ids([world.hq])) == Organization.objects.count()
    assert world.haidian.depth == 2


def test_bad_trees_refused(world):
    K = Organization.Kind
    with pytest.raises(ValidationFailed):
        create_organization(name="另一个总部", code="hq2", kind=K.HEADQUARTERS, parent=world.hq)
    with pytest.raises(ValidationFailed):
        create_organization(name="孤儿", code="orphan", kind=K.BRANCH)
    with pytest.raises(ValidationFailed):
        create_organization(name="重复", code="bj", kind=K.BRANCH, parent=world.hq)
