""""Needs update" flags (product versions, votes, by hand; cleared by publishing) and the reward
ledger with its leaderboard."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from loopdesk.accounts.models import Notification
from loopdesk.assets.models import ProductVersion
from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.knowledge import rewards, services
from loopdesk.knowledge.models import ArticleFlag, ArticleRevision, ArticleVote, RewardEntry


def open_reasons(article):
    return set(ArticleFlag.objects.filter(article=article, cleared_at=None).values_list("reason", flat=True))


def test_product_versions_flag_the_articles_that_apply(kb, publish):
    on_165 = publish(title="U8 16.5 凭证", products=[kb.u8], versions=[kb.u8_165])
    on_u8 = publish(title="U8 通用", products=[kb.u8])
    on_nc = publish(title="NC 通用", products=[kb.nc])
    draft = services.create_article(actor=kb.engineer, title="草稿", body="x", products=[kb.u8])
    kb.u8_165.end_of_support = datetime.date(2027, 12, 31)
    kb.u8_165.save()
    assert open_reasons(on_165) == {"version_changed"}
    assert open_reasons(on_u8) == set() and open_reasons(on_nc) == set()
    ProductVersion.objects.create(product=kb.u8, version="17.0")
    assert open_reasons(on_165) == {"version_changed", "new_version"}
    assert open_reasons(on_u8) == {"new_version"}
    assert open_reasons(on_nc) == set() and open_reasons(draft) == set()  # only published articles
    ProductVersion.objects.create(product=kb.u8, version="17.1")
    assert ArticleFlag.objects.filter(article=on_u8, cleared_at=None).count() == 1  # one open flag per reason
    assert Notification.objects.filter(recipient=kb.engineer, kind="knowledge.flag").exists()
    # a reviewer's edit of the published article republishes it and clears its flags
    services.update_article(actor=kb.reviewer, article=on_u8, body="适用于 17.0")
    assert open_reasons(on_u8) == set()
    assert ArticleFlag.objects.get(article=on_u8).cleared_by == kb.reviewer
    assert ArticleRevision.objects.get(article=on_u8, version=2).published_at is not None
    # so does publishing again after a retirement
    services.transition_article(actor=kb.reviewer, article=on_165, to="retired")
    services.transition_article(actor=kb.reviewer, article=on_165, to="draft")
    services.transition_article(actor=kb.engineer, article=on_165, to="review")
    services.transition_article(actor=kb.reviewer, article=on_165, to="published")
    assert open_reasons(on_165) == set()


def test_unhelpful_votes_flag_at_the_threshold(kb, publish):
    from loopdesk.accounts.roles import Role
    from loopdesk.accounts.services import create_user

    article = publish(title="加密锁", products=[kb.u8])
    readers = [create_user(username=f"r{i}", password="x" * 12, memberships=[(kb.hq, Role.AGENT)]) for i in range(4)]
    services.vote_article(actor=readers[0], article=article, helpful=True)
    services.vote_article(actor=readers[1], article=article, helpful=False, reason="outdated")
    services.vote_article(actor=readers[2], article=article, helpful=False, reason="unclear", comment="步骤缺截图")
    assert open_reasons(article) == set()  # 2 of 3: not yet three
    services.vote_article(actor=readers[3], article=article, helpful=False)
    assert open_reasons(article) == {"votes"}  # 3 of 4, more than half
    vote = ArticleVote.objects.get(article=article, user=readers[2])
    assert (vote.reason, vote.comment) == ("unclear", "步骤缺截图")
    with pytest.raises(ValidationFailed) as error:
        services.vote_article(actor=readers[1], article=article, helpful=False, reason="boring")
    assert "reason" in error.value.fields


def test_manual_flags_need_knowledge_write(kb, publish):
    article = publish(title="手工标记")
    with pytest.raises(Forbidden):
        services.flag_article(actor=kb.customer, article=article, note="x")
    flag = services.flag_article(actor=kb.agent, article=article, note="截图是旧界面")
    assert services.flag_article(actor=kb.agent, article=article).pk == flag.pk
    with pytest.raises(Forbidden):  # an agent who is not the author does not clear it
        services.clear_flag(actor=kb.agent, flag=flag)
    services.clear_flag(actor=kb.reviewer, flag=flag)
    assert open_reasons(article) == set()


def test_publish_pays_author_and_reviewer_once_and_marks_the_revision(kb, publish):
    article = publish(title="月末结账")
    assert ArticleRevision.objects.get(article=article, version=1).published_at is not None
    services.update_article(actor=kb.reviewer, article=article, title="月末结账步骤")
    services.transition_article(actor=kb.reviewer, article=article, to="retired")
    services.transition_article(actor=kb.reviewer, article=article, to="draft")
    services.transition_article(actor=kb.engineer, article=article, to="review")
    services.transition_article(actor=kb.manager, article=article, to="published")
    ledger = sorted(RewardEntry.objects.values_list("user__username", "reason", "points"))
    # the author once per article; each approving reviewer once per article
    assert ledger == [("engineer", "authored_published", 10), ("manager", "reviewed", 3), ("reviewer", "reviewed", 3)]
    assert list(ArticleRevision.objects.filter(article=article, published_at__isnull=False)
                .values_list("version", flat=True)) == [1, 2]


def test_helpful_votes_pay_the_author_and_are_taken_back(kb, publish):
    article = publish(title="报表导出")
    services.vote_article(actor=kb.agent, article=article, helpful=True)
    services.vote_article(actor=kb.agent, article=article, helpful=True)  # the same vote again
    services.vote_article(actor=kb.engineer, article=article, helpful=True)  # the author's own: no points
    assert rewards.points_of(kb.engineer) == 10 + 1
    services.vote_article(actor=kb.agent, article=article, helpful=False, reason="did_not_solve")
    assert rewards.points_of(kb.engineer) == 10
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 1)


def test_award_is_idempotent(kb, publish):
    article = publish(title="幂等")
    again = rewards.award(user=kb.engineer, reason="authored_published", article=article, source="publish")
    assert again is None and RewardEntry.objects.filter(user=kb.engineer).count() == 1


def test_leaderboard_periods(kb, publish):
    publish(title="一")
    publish(title="二")
    old = RewardEntry.objects.filter(user=kb.reviewer).first()
    RewardEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    month = rewards.leaderboard(period="month")
    assert [(r["user"].username, r["points"], r["published"]) for r in month] == [("engineer", 20, 2),
                                                                                    ("reviewer", 3, 0)]
    everything = rewards.leaderboard(period="all")
    assert [(r["user"].username, r["points"]) for r in everything] == [("engineer", 20), ("reviewer", 6)]
    start = rewards.period_start("quarter", timezone.make_aware(datetime.datetime(2026, 8, 15, 10)))
    assert (start.month, start.day, start.hour) == (7, 1, 0)
