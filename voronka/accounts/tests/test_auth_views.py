"""Sign-in, sign-out, password change, the login throttle, language and the header."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import UserFactory, make_pipeline
from voronka.core.models import Organisation

pytestmark = pytest.mark.django_db

PASSWORD = "pass-Word-123"


@pytest.fixture(autouse=True)
def clean_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seller():
    return UserFactory(role="manager", username="anna")


def sign_in(client, username, password, address="10.0.0.1", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


# --- signing in and out ---------------------------------------------------------------------


def test_login_page_opens_for_anonymous_visitors(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'data-testid="user-menu"' not in html


def test_right_password_signs_in_and_opens_the_home_page(client, seller):
    response = sign_in(client, "anna", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == seller


def test_sign_in_follows_next_but_only_inside_the_site(client, seller):
    response = client.post(
        reverse("login"), {"username": "anna", "password": PASSWORD, "next": "/board/"}
    )
    assert response["Location"] == "/board/"
    client.logout()
    response = client.post(
        reverse("login"),
        {"username": "anna", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_wrong_password_shows_a_message(client, seller):
    response = sign_in(client, "anna", "wrong", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="login-error"' in html
    assert "Please enter a correct username and password" in html
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_sign_in(client, seller):
    seller.is_active = False
    seller.save()
    response = sign_in(client, "anna", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signed_in_user_opening_login_goes_home(client, seller):
    client.force_login(seller)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_is_a_post_and_ends_the_session(client, seller):
    client.force_login(seller)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get("/").status_code == 302


# --- the throttle ---------------------------------------------------------------------------


def test_repeated_failures_lock_the_username_for_that_address(client, seller):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "anna", "wrong").status_code == 200
    # The fifth failure locks, and its answer says so.
    assert sign_in(client, "anna", "wrong").status_code == 429

    response = sign_in(client, "anna", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    html = response.content.decode()
    assert 'data-testid="login-throttled"' in html
    assert "Too many failed sign-in attempts. Wait 15 minutes and try again." in html
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(client, seller):
    UserFactory(username="boris")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "anna", "wrong")
    # The same name typed differently is the same lock.
    assert sign_in(client, " ANNA ", PASSWORD).status_code == 429
    # Another address, or another user from the same address, is not locked.
    assert sign_in(client, "anna", PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert sign_in(client, "boris", PASSWORD).status_code == 302


def test_the_lock_ignores_a_forged_forwarded_for_header(client, seller):
    for index in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "anna", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
    response = sign_in(client, "anna", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_success_before_the_limit_clears_the_failures(client, seller):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "anna", "wrong")
    assert sign_in(client, "anna", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "anna", "wrong")
    assert sign_in(client, "anna", PASSWORD).status_code == 302


# --- password change ------------------------------------------------------------------------


def test_password_change_needs_sign_in(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_change_checks_the_old_password(client, seller):
    client.force_login(seller)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "N3w-secret-42",
            "new_password2": "N3w-secret-42",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    seller.refresh_from_db()
    assert seller.check_password(PASSWORD)


def test_password_change_refuses_mismatched_new_passwords(client, seller):
    client.force_login(seller)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "N3w-secret-42", "new_password2": "other-42"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "The two password fields" in response.content.decode()


def test_password_change_keeps_the_session_and_takes_effect(client, seller):
    client.force_login(seller)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "N3w-secret-42",
            "new_password2": "N3w-secret-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200
    client.logout()
    assert sign_in(client, "anna", PASSWORD).status_code == 200
    assert sign_in(client, "anna", "N3w-secret-42").status_code == 302


# --- language and the header ----------------------------------------------------------------


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("en-US,en;q=0.9", "en"),
        ("", "ru"),
        ("de-DE", "ru"),
    ],
)
def test_language_follows_the_browser_with_russian_by_default(client, settings, accept, expected):
    settings.LANGUAGE_CODE = "ru"  # production's default (tests run in English)
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept)
    assert f'<html lang="{expected}">' in response.content.decode()


def test_language_switch_is_remembered(client, seller):
    client.force_login(seller)
    response = client.post(
        reverse("set_language"),
        {"language": "en", "next": reverse("home")},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="en">' in html
    assert "Sign out" in html


def test_header_shows_the_organisation_name_and_logo(client, seller):
    organisation = Organisation.current()
    organisation.name = "ООО Вектор"
    organisation.save()
    client.force_login(seller)
    html = client.get(reverse("home")).content.decode()
    assert "ООО Вектор" in html
    assert reverse("administration:logo") not in html

    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    organisation.logo = SimpleUploadedFile("logo.gif", gif, content_type="image/gif")
    organisation.save()
    html = client.get(reverse("home")).content.decode()
    assert f'src="{reverse("administration:logo")}"' in html
    # The logo shows on the sign-in page too, so it is served to anonymous visitors.
    client.logout()
    assert reverse("administration:logo") in client.get(reverse("login")).content.decode()
    assert client.get(reverse("administration:logo")).status_code == 200


def test_header_links_reach_the_main_pages(client):
    make_pipeline()  # an empty install sends an admin to "Getting started" instead
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)
    client.force_login(admin)
    html = client.get(reverse("home")).content.decode()
    for name in (
        "home",
        "pipeline:board_default",
        "pipeline:deal_list",
        "crm:company_list",
        "crm:contact_list",
        "activities:my_tasks",
        "administration:home",
        "password_change",
    ):
        url = reverse(name)
        assert f'href="{url}"' in html, name
        assert client.get(url, follow=True).status_code == 200, name


def test_a_manager_sees_no_settings_link(client, seller):
    client.force_login(seller)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="nav-settings"' not in html
    assert 'data-testid="nav-board"' in html
