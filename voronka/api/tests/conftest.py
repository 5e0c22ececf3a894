import pytest
from django.test import Client

from tests.factories import UserFactory
from voronka.api.services import api_token_create


class ApiClient:
    """A Django test client that sends a Bearer token and JSON bodies."""

    def __init__(self, user=None, raw_token: str | None = None):
        self.user = user
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def _call(self, method, path, data=None, **extra):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        call = getattr(self.client, method)
        if method in {"post", "patch", "put"} and "content_type" not in extra and data is not None:
            return call(url, data, content_type="application/json", headers=self.headers, **extra)
        if method in {"post", "patch", "put"} and data is None:
            return call(url, {}, content_type="application/json", headers=self.headers, **extra)
        return call(url, data or {}, headers=self.headers, **extra)

    def get(self, path, data=None, **extra):
        return self._call("get", path, data, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, None, **extra)


def client_for(user) -> ApiClient:
    return ApiClient(user, api_token_create(user=user, name="tests").raw)


@pytest.fixture
def as_user():
    return client_for


@pytest.fixture
def admin_api(admin_user):
    return client_for(admin_user)


@pytest.fixture
def manager_api(manager):
    return client_for(manager)


@pytest.fixture
def viewer(db):
    return UserFactory(role="viewer")


@pytest.fixture
def viewer_api(viewer):
    return client_for(viewer)


@pytest.fixture
def anonymous_api(db):
    return ApiClient()
