"""API tokens: an optional expiry (the organisation's lifetime is default and limit), the time of
last use (written at most once a minute), and scopes (a read-only token never writes)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import CompanyFactory, UserFactory
from voronka.api.models import ApiToken, TokenScope
from voronka.api.services import TokenExpiryInvalid, api_token_create
from voronka.core.errors import DomainError, NotPermitted
from voronka.core.models import Organisation

from .conftest import ApiClient

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=MOSCOW)


def set_lifetime(days):
    organisation = Organisation.current()
    organisation.api_token_lifetime_days = days
    organisation.save()


def api_for(user, **options):
    issued = api_token_create(user=user, name="t", **options)
    return issued.token, ApiClient(user, issued.raw)


# --- expiry -------------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_without_a_lifetime_or_a_date_a_token_never_expires(manager):
    token, _api = api_for(manager)
    assert token.expires_at is None


@time_machine.travel(NOON, tick=False)
def test_a_chosen_date_lets_the_token_work_through_that_whole_day(manager, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    token, _api = api_for(manager, expires_on=date(2026, 3, 20))
    assert token.expires_at == datetime(2026, 3, 21, 0, 0, tzinfo=MOSCOW)


@time_machine.travel(NOON, tick=False)
def test_the_organisation_lifetime_is_the_default_expiry(manager):
    set_lifetime(90)
    token, _api = api_for(manager)
    assert token.expires_at == NOON + timedelta(days=90)


@time_machine.travel(NOON, tick=False)
def test_the_organisation_lifetime_caps_a_later_date(manager, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    set_lifetime(30)
    later, _api = api_for(manager, expires_on=date(2027, 1, 1))
    earlier, _api = api_for(manager, expires_on=date(2026, 3, 15))
    assert later.expires_at == NOON + timedelta(days=30)
    assert earlier.expires_at == datetime(2026, 3, 16, 0, 0, tzinfo=MOSCOW)


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize("day", [date(2026, 3, 10), date(2026, 3, 9)])
def test_an_expiry_today_or_in_the_past_is_refused(manager, settings, day):
    settings.TIME_ZONE = "Europe/Moscow"
    with pytest.raises(TokenExpiryInvalid):
        api_token_create(user=manager, name="t", expires_on=day)
    assert ApiToken.objects.count() == 0


def test_an_expired_token_gets_a_401_that_says_so(manager):
    with time_machine.travel(NOON, tick=False):
        token, api = api_for(manager, expires_on=date(2026, 3, 11))
        assert api.get("users/me").status_code == 200
    with time_machine.travel(datetime(2026, 3, 11, 23, 59, tzinfo=MOSCOW), tick=False):
        assert api.get("users/me").status_code == 200
    with time_machine.travel(datetime(2026, 3, 12, 0, 0, tzinfo=MOSCOW), tick=False):
        response = api.get("users/me")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "token_expired"
    assert body["message"] == (
        "This API token has expired. Create a new one on the API tokens page."
    )


# --- last use -----------------------------------------------------------------------------------


def test_last_use_is_written_at_most_once_a_minute(manager):
    with time_machine.travel(NOON, tick=False):
        token, api = api_for(manager)
        assert token.last_used_at is None
        api.get("users/me")
    token.refresh_from_db()
    assert token.last_used_at == NOON
    with time_machine.travel(NOON + timedelta(seconds=59), tick=False):
        api.get("users/me")
    token.refresh_from_db()
    assert token.last_used_at == NOON
    with time_machine.travel(NOON + timedelta(seconds=61), tick=False):
        api.get("users/me")
    token.refresh_from_db()
    assert token.last_used_at == NOON + timedelta(seconds=61)


def test_a_call_within_the_minute_makes_no_write(manager, django_assert_num_queries):
    _token, api = api_for(manager)
    api.get("users/me")
    with django_assert_num_queries(1):  # the token lookup only, no UPDATE
        api.get("users/me")


# --- scopes -------------------------------------------------------------------------------------


def test_a_read_only_token_reads(manager):
    company = CompanyFactory(owner=manager)
    _token, api = api_for(manager, scope=TokenScope.READ_ONLY)
    assert api.get(f"companies/{company.pk}").status_code == 200
    assert api.get("companies").status_code == 200


def test_a_read_only_token_gets_403_on_every_writing_method(manager):
    company = CompanyFactory(owner=manager, name="Before")
    _token, api = api_for(manager, scope=TokenScope.READ_ONLY)
    for method, path, body in [
        ("post", "companies", {"name": "New"}),
        ("patch", f"companies/{company.pk}", {"name": "After"}),
        ("delete", f"companies/{company.pk}", None),
    ]:
        call = getattr(api, method)
        response = call(path, body) if body is not None else call(path)
        assert response.status_code == 403, method
        assert response.json() == {
            "code": "token_read_only",
            "message": "This API token is read-only: it cannot create, change or delete.",
            "fields": {},
        }
    company.refresh_from_db()
    assert company.name == "Before"
    assert company.__class__.objects.count() == 1


def test_a_read_write_token_writes(manager):
    _token, api = api_for(manager, scope=TokenScope.READ_WRITE)
    assert api.post("companies", {"name": "ООО Ромашка"}).status_code == 201


def test_a_viewer_may_create_only_read_only_tokens():
    viewer = UserFactory(role="viewer")
    assert api_token_create(user=viewer, name="default").token.scope == TokenScope.READ_ONLY
    with pytest.raises(NotPermitted):
        api_token_create(user=viewer, name="t", scope=TokenScope.READ_WRITE)
    token = api_token_create(user=viewer, name="t", scope=TokenScope.READ_ONLY).token
    assert token.scope == TokenScope.READ_ONLY
    assert ApiToken.objects.filter(scope=TokenScope.READ_WRITE).count() == 0


def test_an_unknown_scope_is_refused(manager):
    with pytest.raises(DomainError) as raised:
        api_token_create(user=manager, name="t", scope="admin")
    assert raised.value.field == "scope"
    assert ApiToken.objects.count() == 0


# --- the tokens page ----------------------------------------------------------------------------


def test_the_page_offers_a_viewer_the_read_only_scope_only(client):
    viewer = UserFactory(role="viewer")
    client.force_login(viewer)
    form = client.get(reverse("api_tokens")).context["form"]
    assert [value for value, _label in form.fields["scope"].choices] == ["read"]
    response = client.post(reverse("api_tokens"), {"name": "BI", "scope": "write"})
    assert response.status_code == 400
    assert response.context["form"].errors["scope"]
    assert ApiToken.objects.count() == 0


@time_machine.travel(NOON, tick=False)
def test_the_page_creates_a_token_with_scope_and_expiry_and_lists_them(client, manager, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    set_lifetime(30)
    client.force_login(manager)
    form = client.get(reverse("api_tokens")).context["form"]
    assert form.fields["expires_on"].initial == date(2026, 4, 9)
    response = client.post(
        reverse("api_tokens"),
        {"name": "1C", "scope": "write", "expires_on": "2026-03-31"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    token = ApiToken.objects.get()
    assert (token.scope, token.expires_at) == ("write", datetime(2026, 4, 1, tzinfo=MOSCOW))
    html = response.content.decode()
    assert '<span data-testid="token-scope">Read and write</span>' in html
    assert '<td data-testid="token-expires">04/01/2026 midnight</td>' in html


def test_the_page_shows_expired_tokens_and_last_use(client, manager):
    with time_machine.travel(NOON, tick=False):
        _token, api = api_for(manager, expires_on=date(2026, 3, 11))
        api.get("users/me")
    client.force_login(manager)
    with time_machine.travel(NOON + timedelta(days=5), tick=False):
        html = client.get(reverse("api_tokens"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="token-expired"' in html


def test_the_page_refuses_a_past_expiry_with_a_message(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("api_tokens"),
        {"name": "1C", "scope": "read", "expires_on": "2020-01-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["expires_on"] == ["Choose an expiry date in the future."]
    assert ApiToken.objects.count() == 0


def test_an_admin_sets_the_token_lifetime_on_the_organisation_page(client, admin_user):
    client.force_login(admin_user)
    organisation = Organisation.current()
    response = client.post(
        reverse("administration:organisation"),
        {
            "name": organisation.name,
            "primary_color": organisation.primary_color,
            "currency": organisation.currency,
            "time_zone": organisation.time_zone,
            "language": organisation.language,
            "api_token_lifetime_days": "180",
        },
    )
    assert response.status_code == 302
    assert Organisation.current().api_token_lifetime_days == 180
    response = client.post(
        reverse("administration:organisation"),
        {
            "name": organisation.name,
            "primary_color": organisation.primary_color,
            "currency": organisation.currency,
            "time_zone": organisation.time_zone,
            "language": organisation.language,
            "api_token_lifetime_days": "",
        },
    )
    assert response.status_code == 302
    assert Organisation.current().api_token_lifetime_days is None
