"""Not-found, forbidden, bad-request and server-error pages are the app's own, in the user's
language, with a link back home; the 500 page renders without the database."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("voronka.core.tests.urls_raising")]

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
RUSSIAN = {"HTTP_ACCEPT_LANGUAGE": "ru"}


def signed_in_client(**kwargs):
    client = Client(raise_request_exception=False, **kwargs)
    client.force_login(UserFactory(role="manager"))
    return client


@pytest.mark.parametrize(
    ("headers", "title", "home_link"),
    [
        (ENGLISH, "Page not found", "Back to the home page"),
        (RUSSIAN, "Страница не найдена", "На главную"),
    ],
)
def test_not_found_page_is_the_apps_own_in_the_users_language(headers, title, home_link):
    response = signed_in_client().get("/deals/999999/", **headers)

    html = response.content.decode()
    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in html
    assert f'href="/" data-testid="error-home">{home_link}</a>' in html
    assert 'data-testid="mainnav"' in html  # the layout's menu: the rest of the app is one tap away
    assert 'href="/favicon.ico"' in html


@pytest.mark.parametrize(
    ("headers", "title"), [(ENGLISH, "Access denied"), (RUSSIAN, "Доступ запрещён")]
)
def test_forbidden_page_is_the_apps_own_in_the_users_language(headers, title):
    response = signed_in_client().get("/test-errors/403/", **headers)

    html = response.content.decode()
    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in html
    assert 'data-testid="error-home"' in html


def test_a_manager_opening_the_settings_gets_the_forbidden_page():
    response = signed_in_client().get("/settings/", **RUSSIAN)

    assert response.status_code == 403
    assert "<h1>Доступ запрещён</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("headers", "title", "home_link"),
    [
        (ENGLISH, "Something went wrong on the server", "Back to the home page"),
        (RUSSIAN, "На сервере что-то пошло не так", "На главную"),
    ],
)
def test_server_error_page_is_self_contained_and_in_the_users_language(headers, title, home_link):
    response = signed_in_client().get("/test-errors/500/", **headers)

    html = response.content.decode()
    assert response.status_code == 500
    assert f"<h1>{title}</h1>" in html
    assert f'href="/" data-testid="error-home">{home_link}</a>' in html
    assert "a bug on purpose" not in html  # no traceback or internals


def test_server_error_template_renders_without_a_database(django_db_blocker):
    from django.template import loader
    from django.utils import translation

    with django_db_blocker.block(), translation.override("ru"):
        html = loader.get_template("500.html").render()

    assert "<h1>На сервере что-то пошло не так</h1>" in html
    assert '<html lang="ru">' in html


@pytest.mark.parametrize(
    ("headers", "title"), [(ENGLISH, "Bad request"), (RUSSIAN, "Некорректный запрос")]
)
def test_bad_request_page_is_the_apps_own(headers, title):
    response = signed_in_client().get("/test-errors/400/", **headers)

    assert response.status_code == 400
    assert f"<h1>{title}</h1>" in response.content.decode()


def test_favicon_answers_with_an_icon():
    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO header


@pytest.mark.parametrize(
    ("headers", "title"), [(ENGLISH, "The form has expired"), (RUSSIAN, "Форма устарела")]
)
@pytest.mark.urls("config.urls")
def test_a_failed_csrf_check_gets_the_apps_own_page_in_the_users_language(headers, title):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(role="manager"))
    response = client.post("/deals/new/", {"title": "Без токена"}, **headers)

    html = response.content.decode()
    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in html
    assert 'data-testid="error-home"' in html
