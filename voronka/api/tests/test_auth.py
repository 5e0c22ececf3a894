"""Who may call the API: personal tokens (hashed, revocable), the browser session with CSRF,
and the same roles and row visibility as the pages."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CompanyFactory, UserFactory, make_deal
from voronka.api.models import ApiToken
from voronka.api.services import api_token_create, api_token_revoke
from voronka.core.errors import NotPermitted

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_its_sha256_digest(manager):
    issued = api_token_create(user=manager, name="BI")
    stored = ApiToken.objects.get()
    assert issued.raw.startswith("vrk_")
    assert stored.digest == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert stored.prefix == issued.raw[:10]
    assert issued.raw not in {stored.digest, stored.prefix, stored.name}


def test_a_valid_bearer_token_authenticates_as_its_user(manager_api, manager):
    response = manager_api.get("users/me")
    assert response.status_code == 200
    assert response.json()["id"] == manager.pk
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer wrong", "Token abc", "Bearer " + "x" * 300]
)
def test_a_missing_or_wrong_token_is_a_401_json_error(db, header):
    client = Client()
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/companies", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert (body["code"], body["fields"]) == ("not_authenticated", {})
    assert body["message"]


def test_a_revoked_token_stops_working(manager):
    issued = api_token_create(user=manager, name="old")
    api = ApiClient(manager, issued.raw)
    assert api.get("users/me").status_code == 200
    api_token_revoke(token=issued.token, user=manager)
    assert api.get("users/me").status_code == 401


def test_only_the_owner_revokes_a_token(manager):
    issued = api_token_create(user=manager, name="mine")
    with pytest.raises(NotPermitted):
        api_token_revoke(token=issued.token, user=UserFactory())


def test_an_inactive_users_token_is_refused(manager):
    api = ApiClient(manager, api_token_create(user=manager, name="t").raw)
    manager.is_active = False
    manager.save()
    assert api.get("users/me").status_code == 401


def test_session_auth_reads_without_csrf_but_writes_need_the_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get("/api/v1/users/me").status_code == 200
    body = {"name": "ООО Ромашка"}
    refused = client.post("/api/v1/companies", body, content_type="application/json")
    assert refused.status_code == 403
    client.get(reverse("api_tokens"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    created = client.post(
        "/api/v1/companies", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201
    assert created.json()["owner_id"] == manager.pk


def test_a_token_never_sees_more_than_its_user(manager, as_user):
    own = make_deal(owner=manager, title="Own")
    other = make_deal(owner=UserFactory(), title="Other")
    api = as_user(manager)
    listed = api.get("deals").json()
    assert [deal["title"] for deal in listed["items"]] == ["Own"]
    assert api.get(f"deals/{own.pk}").status_code == 200
    response = api.get(f"deals/{other.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_viewer_reads_everything_but_cannot_write(viewer_api, viewer):
    company = CompanyFactory()
    assert viewer_api.get(f"companies/{company.pk}").status_code == 200
    # With the browser session the role refuses; a viewer's token is read-only besides.
    session = Client()
    session.force_login(viewer)
    for method, path, body in [
        ("post", "companies", {"name": "X"}),
        ("patch", f"companies/{company.pk}", {"name": "Y"}),
        ("delete", f"companies/{company.pk}", None),
    ]:
        call = getattr(viewer_api, method)
        response = call(path, body) if body is not None else call(path)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "token_read_only"
        response = getattr(session, method)(
            f"/api/v1/{path}", body, content_type="application/json"
        )
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "not_permitted"
    company.refresh_from_db()
    assert company.name != "Y"


def test_tokens_page_shows_a_new_token_once_and_revokes(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("api_tokens"), {"name": "1C export", "scope": "write"}, follow=True
    )
    token = ApiToken.objects.get(user=manager)
    raw = response.context["new_token"]
    assert raw.startswith(token.prefix)
    assert raw in response.content.decode()
    again = client.get(reverse("api_tokens"))
    assert raw not in again.content.decode()
    assert "1C export" in again.content.decode()
    client.post(reverse("api_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_page_refuses_to_revoke_someone_elses_token(client, manager):
    other = api_token_create(user=UserFactory(), name="theirs").token
    client.force_login(manager)
    assert client.post(reverse("api_token_revoke", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_tokens_page_needs_a_name(client, manager):
    client.force_login(manager)
    response = client.post(reverse("api_tokens"), {"name": "", "scope": "read"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert ApiToken.objects.count() == 0


def test_the_admin_site_revokes_tokens_through_the_service(client, admin_user, manager):
    issued = api_token_create(user=manager, name="leaked")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [issued.token.pk]},
    )
    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert ApiClient(manager, issued.raw).get("users/me").status_code == 401
