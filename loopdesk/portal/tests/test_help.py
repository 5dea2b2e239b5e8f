"""The help centre and deflection on the portal: only articles the contact may read, views recorded,
votes through the knowledge service, suggestions beside the request form, sessions closed on submit."""

import pytest
from django.test import Client
from django.urls import reverse

from loopdesk.assist.models import ArticleView, Outcome, SuggestionSession
from loopdesk.assist.training import train_model
from loopdesk.knowledge import services as kb
from loopdesk.knowledge.index import refresh_dictionary
from loopdesk.knowledge.models import ArticleVote

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(world):
    refresh_dictionary(force=True)

    def make(title, **values):
        values.setdefault("type", "howto")
        values.setdefault("audience", "public")
        values.setdefault("body", title)
        article = kb.create_article(actor=world.engineer, title=title, **values)
        kb.transition_article(actor=world.engineer, article=article, to="review")
        return kb.transition_article(actor=world.admin, article=article, to="published")

    return make


@pytest.fixture
def articles(world, publish):
    return {
        "public": publish("凭证打印提示340没有注册类别", body="重新注册打印控件即可。", category=world.voucher),
        "product": publish("U8 凭证打印格式错乱", audience="product", products=[world.u8], body="调整打印模板。"),
        "partners": publish("伙伴：凭证打印控件批量注册", audience="partners"),
        "internal": publish("内部：凭证打印二线排查", audience="internal"),
    }


def test_help_centre_lists_and_searches_only_readable_articles(world, contact_client, articles):
    body = contact_client.get(reverse("portal:knowledge")).content.decode()
    assert 'id="kb-popular"' in body
    assert articles["public"].title in body and articles["product"].title in body
    assert articles["partners"].title not in body and articles["internal"].title not in body
    body = contact_client.get(reverse("portal:knowledge"), {"q": "凭证打印"}).content.decode()
    assert f'data-article="{articles["public"].pk}"' in body and f'data-article="{articles["product"].pk}"' in body
    assert f'data-article="{articles["internal"].pk}"' not in body and f'data-article="{articles["partners"].pk}"' not in body
    fragment = contact_client.get(reverse("portal:knowledge"), {"q": "凭证打印"}, HTTP_HX_REQUEST="true",
                                  HTTP_HX_TARGET="kb-results").content.decode()
    assert fragment.startswith('<div id="kb-results">')


def test_globex_does_not_see_acmes_product_article_without_the_product(world, articles):
    world.globex_asset.status = "retired"
    world.globex_asset.save()
    client = Client()
    client.force_login(world.other_customer)
    assert client.get(reverse("portal:article", args=[articles["product"].pk])).status_code == 404
    assert client.get(reverse("portal:article", args=[articles["public"].pk])).status_code == 200


def test_article_page_records_the_view_and_hides_other_audiences(world, contact_client, articles):
    response = contact_client.get(reverse("portal:article", args=[articles["public"].pk]) + "?from=search")
    assert response.status_code == 200 and "重新注册打印控件即可" in response.content.decode()
    view = ArticleView.objects.get()
    assert (view.user, view.company, view.source, view.article) == (world.customer, world.acme, "search",
                                                                    articles["public"])
    for key in ("internal", "partners"):
        assert contact_client.get(reverse("portal:article", args=[articles[key].pk])).status_code == 404
    assert contact_client.get(reverse("portal:article", args=[articles["public"].pk]) + "?from=evil").status_code == 200
    assert ArticleView.objects.filter(source="help").count() == 1 and ArticleView.objects.count() == 2


def test_vote_helpful_then_not_helpful_with_a_reason(world, contact_client, articles):
    url = reverse("portal:vote", args=[articles["public"].pk])
    response = contact_client.post(url, {"helpful": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-voted="helpful"' in response.content.decode()
    articles["public"].refresh_from_db()
    assert articles["public"].helpful_count == 1
    contact_client.post(url, {"helpful": "0", "reason": "wrong_product", "comment": "没有说明 U8 16.5 的情况"},
                        HTTP_HX_REQUEST="true")
    articles["public"].refresh_from_db()
    assert (articles["public"].helpful_count, articles["public"].unhelpful_count) == (0, 1)
    vote = ArticleVote.objects.get()
    assert (vote.helpful, vote.reason, vote.comment) == (False, "wrong_product", "没有说明 U8 16.5 的情况")
    # Articles the contact may not read cannot be voted on; a bad value changes nothing.
    assert contact_client.post(reverse("portal:vote", args=[articles["internal"].pk]), {"helpful": "1"}).status_code == 404
    assert contact_client.post(url, {"helpful": "maybe"}).status_code == 422
    assert contact_client.post(url, {"helpful": "0", "reason": "bogus"}).status_code == 422
    assert ArticleVote.objects.count() == 1


def test_request_form_has_the_debounced_suggestions(contact_client):
    body = contact_client.get(reverse("portal:new")).content.decode()
    assert 'hx-trigger="keyup changed delay:400ms"' in body and 'id="suggestions"' in body
    assert reverse("portal:suggest") in body


def test_suggestions_are_only_readable_articles_and_start_a_session(world, contact_client, articles):
    response = contact_client.get(reverse("portal:suggest"), {"title": "凭证打印", "description": "",
                                                              "asset": world.acme_asset.pk})
    body = response.content.decode()
    assert f'data-article="{articles["public"].pk}"' in body and f'data-article="{articles["product"].pk}"' in body
    assert articles["internal"].title not in body and articles["partners"].title not in body
    session = SuggestionSession.objects.get()
    assert (session.user, session.company, session.product, session.outcome) == (world.customer, world.acme,
                                                                                  world.u8, Outcome.OPEN)
    assert "?from=suggestion" in body
    empty = contact_client.get(reverse("portal:suggest"), {"title": "", "description": ""}).content.decode()
    assert "data-article" not in empty


def test_another_companys_asset_is_ignored(world, contact_client, articles):
    contact_client.get(reverse("portal:suggest"), {"title": "凭证打印", "asset": world.globex_asset.pk,
                                                   "company": world.globex.pk})
    session = SuggestionSession.objects.get()
    assert session.product is None and session.company == world.acme


def test_opening_a_suggestion_then_submitting_is_not_a_deflection(world, contact_client, articles):
    contact_client.get(reverse("portal:suggest"), {"title": "凭证打印"})
    contact_client.get(reverse("portal:article", args=[articles["public"].pk]) + "?from=suggestion")
    session = SuggestionSession.objects.get()
    assert session.opened_ids == [articles["public"].pk]
    response = contact_client.post(reverse("portal:new"), {
        "company": world.acme.pk, "type": "incident", "title": "凭证打印还是不行", "description": "按文章操作后仍然报错",
        "urgency": 2,
    })
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.outcome == Outcome.SUBMITTED and session.ticket is not None
    # The next request typed starts a new session.
    contact_client.get(reverse("portal:suggest"), {"title": "凭证打印"})
    assert SuggestionSession.objects.filter(outcome=Outcome.OPEN).count() == 1


def test_home_shows_the_next_questions(world, contact_client, articles, make_ticket):
    for company in (world.globex, world.acme):
        make_ticket(company=company, category=world.voucher, title="凭证打印")
    train_model()
    body = contact_client.get(reverse("portal:home")).content.decode()
    assert 'id="next-questions"' in body and articles["public"].title in body
    help_page = contact_client.get(reverse("portal:knowledge")).content.decode()
    assert 'id="next-questions"' in help_page


def test_staff_are_sent_to_their_workspace(world, articles):
    client = Client()
    client.force_login(world.agent)
    for url in (reverse("portal:knowledge"), reverse("portal:article", args=[articles["public"].pk]),
                reverse("portal:suggest")):
        assert client.get(url)["Location"] == reverse("home")
