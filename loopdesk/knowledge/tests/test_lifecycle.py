"""Articles: creation, revisions, the lifecycle and who may move it, votes, visibility of drafts."""

from __future__ import annotations

import pytest

from loopdesk.core.errors import Conflict, Forbidden, ValidationFailed
from loopdesk.core.models import AuditEvent
from loopdesk.knowledge import services
from loopdesk.knowledge.models import Article, ArticleRevision


def draft(kb, **values):
    values.setdefault("title", "凭证打印")
    values.setdefault("body", "步骤")
    return services.create_article(actor=kb.engineer, **values)


def test_create_and_edit_keep_revisions(kb):
    article = draft(kb, tags=["打印", " 打印 ", "凭证"], products=[kb.u8], versions=[kb.u8_165])
    assert article.status == "draft" and article.version == 1 and article.tags == ["打印", "凭证"]
    services.update_article(actor=kb.engineer, article=article, title="凭证打印设置")
    services.update_article(actor=kb.engineer, article=article, title="凭证打印设置")  # no change, no version
    article.refresh_from_db()
    assert article.version == 2
    snapshots = list(ArticleRevision.objects.filter(article=article).values_list("version", "snapshot__title"))
    assert snapshots == [(1, "凭证打印"), (2, "凭证打印设置")]
    assert AuditEvent.objects.filter(object_type="knowledge.article", object_id=str(article.pk)).count() == 2


@pytest.mark.parametrize("values, field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"type": "essay"}, "type"),
    ({"audience": "everyone"}, "audience"),
    ({"tags": "打印"}, "tags"),
    ({"audience": "product"}, "product_ids"),
    ({"body": "a\x00b"}, "body"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_changes_nothing(kb, values, field):
    with pytest.raises(ValidationFailed) as error:
        draft(kb, **values)
    assert field in error.value.fields
    assert not Article.objects.exists()


def test_version_must_belong_to_a_product(kb):
    with pytest.raises(ValidationFailed) as error:
        draft(kb, products=[kb.nc], versions=[kb.u8_165])
    assert "version_ids" in error.value.fields


def test_who_may_write(kb):
    for user in (kb.customer, kb.partner_agent, kb.executive):
        with pytest.raises(Forbidden):
            services.create_article(actor=user, title="x")


def test_lifecycle_and_permissions(kb):
    article = draft(kb)
    with pytest.raises(Forbidden):  # another agent's draft
        services.transition_article(actor=kb.agent, article=article, to="review")
    with pytest.raises(Conflict):
        services.transition_article(actor=kb.engineer, article=article, to="published")
    services.transition_article(actor=kb.engineer, article=article, to="review")
    with pytest.raises(Forbidden):  # authors do not approve
        services.transition_article(actor=kb.engineer, article=article, to="published")
    services.transition_article(actor=kb.reviewer, article=article, to="draft", note="补充截图")
    services.transition_article(actor=kb.engineer, article=article, to="review")
    article = services.transition_article(actor=kb.manager, article=article, to="published")
    assert article.published_at is not None and article.reviewer == kb.manager
    with pytest.raises(Forbidden):  # the author no longer edits a published article
        services.update_article(actor=kb.engineer, article=article, title="改")
    services.update_article(actor=kb.reviewer, article=article, title="凭证打印（修订）")
    services.transition_article(actor=kb.reviewer, article=article, to="retired")
    with pytest.raises(ValidationFailed):
        services.transition_article(actor=kb.reviewer, article=article, to="gone")


def test_submission_needs_the_fields_of_its_type(kb):
    article = services.create_article(actor=kb.engineer, title="加密锁报错", type="troubleshooting",
                                      symptom="提示找不到加密锁")
    with pytest.raises(ValidationFailed) as error:
        services.transition_article(actor=kb.engineer, article=article, to="review")
    assert set(error.value.fields) == {"resolution"}
    article.refresh_from_db()
    assert article.status == "draft"


def test_visibility_of_drafts_and_reviews(kb, publish):
    mine = draft(kb, title="草稿")
    in_review = draft(kb, title="待审")
    services.transition_article(actor=kb.engineer, article=in_review, to="review")
    published = publish(title="已发布")
    visible = lambda user: set(Article.objects.visible_to(user).values_list("title", flat=True))  # noqa: E731
    assert visible(kb.customer) == {"已发布"}
    assert visible(kb.engineer) == {"草稿", "待审", "已发布"}
    assert visible(kb.agent) == {"已发布"}
    assert visible(kb.reviewer) == {"待审", "已发布"}
    assert mine.pk and published.pk


def test_votes_count_people_once(kb, publish):
    article = publish(title="凭证打印")
    services.vote_article(actor=kb.customer, article=article, helpful=True)
    services.vote_article(actor=kb.customer, article=article, helpful=True)
    article = services.vote_article(actor=kb.agent, article=article, helpful=False)
    assert (article.helpful_count, article.unhelpful_count) == (1, 1)
    article = services.vote_article(actor=kb.agent, article=article, helpful=True)
    assert (article.helpful_count, article.unhelpful_count) == (2, 0)


def test_no_vote_on_what_one_cannot_see(kb, publish):
    from loopdesk.core.errors import NotFound

    internal = publish(title="内部", audience="internal")
    with pytest.raises(NotFound):
        services.vote_article(actor=kb.customer, article=internal, helpful=True)


def test_messages_are_translated(kb):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(Forbidden) as error:
        services.create_article(actor=kb.customer, title="x")
    assert error.value.detail == "您无权编写知识文章。"
