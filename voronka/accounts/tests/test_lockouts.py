"""One failure limit for every way to sign in, and the settings page that lifts lockouts."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-Word-123"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def superuser():
    return UserFactory(
        username="root", role="admin", is_staff=True, is_superuser=True, department=None
    )


def admin_sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def page_sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_limit_is_five_failures():
    assert LIMIT == 5


def test_admin_login_is_locked_after_the_limit_even_with_the_right_password(client, superuser):
    for _ in range(LIMIT - 1):
        assert admin_sign_in(client, "root", "wrong").status_code == 200
    assert admin_sign_in(client, "root", "wrong").status_code == 429

    response = admin_sign_in(client, "root", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Wait 15 minutes and try again." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still signed out


def test_failures_on_the_admin_login_count_for_the_login_page(client, superuser):
    for _ in range(3):
        admin_sign_in(client, "root", "wrong")
    for _ in range(LIMIT - 3):
        page_sign_in(client, "root", "wrong")

    assert page_sign_in(client, "root", PASSWORD).status_code == 429
    assert admin_sign_in(client, "root", PASSWORD).status_code == 429
    assert AccessAttempt.objects.get().failures_since_start == LIMIT


def test_failures_on_the_login_page_lock_the_admin_login(client, superuser):
    for _ in range(LIMIT):
        page_sign_in(client, "root", "wrong")
    assert admin_sign_in(client, "root", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_lists_locked_and_counting_failures(client, superuser):
    UserFactory(username="anna")
    for _ in range(LIMIT):
        page_sign_in(client, "anna", "wrong", address="10.0.0.7")
    page_sign_in(client, "boris", "wrong", address="10.0.0.8")
    client.force_login(superuser)

    response = client.get(reverse("lockouts"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    rows = response.context["lockouts"]
    assert [(row.username, row.ip_address, row.failures, row.is_locked) for row in rows] == [
        ("anna", "10.0.0.7", 5, True),
        ("boris", "10.0.0.8", 1, False),
    ]
    html = response.content.decode()
    assert html.count('data-testid="lockout-locked"') == 1
    assert reverse("lockout_lift", args=[rows[0].attempt_id]) in html


def test_an_admin_lifts_a_lockout_from_the_page(client, superuser):
    anna = UserFactory(username="anna")
    for _ in range(LIMIT):
        page_sign_in(client, "anna", "wrong")
    assert page_sign_in(client, "anna", PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username="anna")

    client.force_login(superuser)
    response = client.post(
        reverse("lockout_lift", args=[attempt.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "The lockout of anna from 10.0.0.1 is lifted." in response.content.decode()
    assert not AccessAttempt.objects.exists()

    client.logout()
    response = page_sign_in(client, "anna", PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == anna.pk


def test_lifting_a_lockout_twice_says_it_is_gone(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("lockout_lift", args=[999]), follow=True)
    assert response.status_code == 200
    assert "This lockout has already been lifted or has expired." in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "head", "viewer"])
def test_only_admins_see_or_lift_lockouts(client, role):
    for _ in range(LIMIT):
        page_sign_in(client, "anna", "wrong")
    attempt = AccessAttempt.objects.get()
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("lockouts")).status_code == 403
    assert client.post(reverse("lockout_lift", args=[attempt.pk])).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_lockouts_page_needs_sign_in(client):
    response = client.get(reverse("lockouts"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lifting_is_a_post(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("lockout_lift", args=[1])).status_code == 405


def test_settings_navigation_links_the_lockouts_page(client, superuser):
    client.force_login(superuser)
    html = client.get(reverse("administration:users")).content.decode()
    assert f'href="{reverse("lockouts")}"' in html
