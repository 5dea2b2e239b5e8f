"""Sign-in, sign-out and the home page's redirect for each role."""

import pytest
from django.urls import NoReverseMatch, reverse

from loopdesk.core.testing import PASSWORD


def _installed(*names):
    """The first installed page of `names` (the portal and queues are built beside this app)."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def test_login_page_is_chinese_first(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "用户名" in html and "密码" in html
    assert 'name="language"' in html  # the language switch is on the sign-in page too


def test_login_page_in_english(client, db):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("login")).content.decode()
    assert "Sign in" in html and "Username" in html and "Password" in html


def test_login_with_good_password_goes_home(client, world):
    response = client.post(reverse("login"), {"username": "agent", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code in (200, 302)


def test_login_keeps_next(client, world):
    response = client.post(reverse("login"), {"username": "agent", "password": PASSWORD,
                                              "next": reverse("customers:list")})
    assert response.url == reverse("customers:list")


def test_login_with_bad_password_shows_error_and_signs_nobody_in(client, world):
    response = client.post(reverse("login"), {"username": "agent", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's own message, in Chinese
    assert "_auth_user_id" not in client.session


def test_signed_in_user_skips_the_login_page(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("login")).status_code == 302


def test_logout_is_post_only(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_home_asks_anonymous_users_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["admin", "manager", "executive", "agent", "engineer", "sh_agent",
                                  "partner_agent", "other_partner_agent"])
def test_home_sends_staff_to_their_queue(client, world, name):
    client.force_login(getattr(world, name))
    response = client.get(reverse("home"))
    expected = _installed("tickets:queue", "customers:list")
    assert response.status_code == 302 and response.url == expected


@pytest.mark.parametrize("name", ["customer", "other_customer"])
def test_home_sends_customers_to_the_portal(client, world, name):
    client.force_login(getattr(world, name))
    response = client.get(reverse("home"))
    expected = _installed("portal:home")
    if expected:
        assert response.status_code == 302 and response.url == expected
    else:  # portal not installed yet: a plain welcome page, never a staff page
        assert response.status_code == 200
        assert "欢迎" in response.content.decode()


def test_staff_menu_and_search_box_for_staff_only(client, world):
    client.force_login(world.agent)
    html = client.get(reverse("customers:list")).content.decode()
    assert reverse("customers:search") in html
    client.force_login(world.customer)
    response = client.get(reverse("home"), follow=True)
    assert reverse("customers:search") not in response.content.decode()


def test_profile_changes_time_zone_and_language(client, world):
    client.force_login(world.agent)
    html = client.get(reverse("profile")).content.decode()
    assert "我的资料" in html and "Asia/Shanghai" in html
    response = client.post(reverse("profile"), {"display_name": "小张", "phone": "010-1234", "timezone": "Asia/Urumqi",
                                                "language": "en"})
    assert response.status_code == 302
    world.agent.refresh_from_db()
    assert (world.agent.display_name, world.agent.timezone) == ("小张", "Asia/Urumqi")
    assert client.cookies["django_language"].value == "en"
    assert "My profile" in client.get(reverse("profile")).content.decode()


def test_profile_rejects_unknown_zone_and_changes_nothing(client, world):
    client.force_login(world.agent)
    response = client.post(reverse("profile"), {"display_name": "改名", "timezone": "Mars/Olympus", "language": "zh-hans"})
    assert response.status_code == 422
    world.agent.refresh_from_db()
    assert world.agent.display_name == "agent" and world.agent.timezone == "Asia/Shanghai"


def test_profile_service_refuses_other_users(world):
    from loopdesk.accounts.services import update_profile
    from loopdesk.core.errors import Forbidden

    with pytest.raises(Forbidden):
        update_profile(actor=world.agent, user=world.engineer, display_name="x")
    update_profile(actor=world.admin, user=world.engineer, timezone_name="UTC")
    world.engineer.refresh_from_db()
    assert world.engineer.timezone == "UTC"


def test_profile_needs_sign_in(client, db):
    assert client.get(reverse("profile")).status_code == 302
