"""Who may open or change what: every route × every actor × its methods (issue 11, keep-out).

The routes come from the URL configuration and the OpenAPI schema, the expected outcomes from
the explicit table in `expected.py`; a route missing from the table fails with "add <route> to
the access table". All objects belong to a manager of department A; the actors are anonymous,
a viewer, another manager of department A, a manager and a head of department B, and an admin.

Outcomes: `ok` (the request got past the access checks: 2xx, 3xx elsewhere, or a 4xx about its
input), `login` (redirect to a sign-in page), `401`, `403`, `404`, `405`. A 500 always fails.
Writes (POST with an empty form, API bodies `{}`) run inside a transaction rolled back after
each route, so one route's write never changes what the next one sees.

Set ACCESS_MATRIX_RECORD=<file> to write the observed table there (to review a new route).
"""

import json
import os

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from .expected import API_ACCESS, WEB_ACCESS
from .routes import API_BODIES, api_operations, api_url, route_kwargs, web_routes
from .world import ACTORS, build_world

pytestmark = pytest.mark.slow

WEB_ROUTES = web_routes()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        # One session per actor for the whole module: a request only carries its cookie.
        world.sessions = {}
        for actor in ACTORS[1:]:
            client = Client()
            client.force_login(world.users[actor])
            world.sessions[actor] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield world
        transaction.set_rollback(True)


def _client(world, actor: str) -> Client:
    client = Client(raise_request_exception=False)
    if actor != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[actor]
    return client


@pytest.fixture(autouse=True)
def document_file(world):
    """Storage is not transactional: put back the file a rolled-back delete removed."""
    name = world.objects["document"].file.name
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(b"%PDF-1.4"))


def _outcome(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith((resolve_url(settings.LOGIN_URL), "/admin/login/")):
            return "login"
        return "ok"
    if response.status_code in (401, 403, 404, 405):
        return str(response.status_code)
    if response.status_code >= 500:
        return "500"
    return "ok"


def _record(key: str, observed: dict) -> None:
    path = os.environ.get("ACCESS_MATRIX_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps([key, observed], ensure_ascii=False) + "\n")


def _check(key: str, table: dict, observed: dict) -> None:
    _record(key, observed)
    assert key in table, f"add {key} to the access table (tests/access/expected.py)"
    mismatches = {
        method: (table[key].get(method), outcomes)
        for method, outcomes in observed.items()
        if table[key].get(method) != outcomes or "500" in outcomes
    }
    assert not mismatches, f"{key}: expected vs observed (actors {' '.join(ACTORS)}): {mismatches}"


@pytest.mark.parametrize("route", WEB_ROUTES, ids=lambda route: route.name)
def test_page_access(route, world, db):
    url = reverse(route.name, kwargs=route_kwargs(world, route))
    observed = {}
    for method in ("GET", "POST"):
        outcomes = []
        for actor in ACTORS:
            client = _client(world, actor)
            with transaction.atomic():
                response = client.generic(method, url)
                transaction.set_rollback(True)
            outcomes.append(_outcome(response))
        observed[method] = " ".join(outcomes)
    _check(route.name, WEB_ACCESS, observed)


def _operations() -> list[str]:
    from voronka.api.main import api

    return [f"{method} {path}" for method, path in api_operations(api.get_openapi_schema())]


API_OPERATIONS = _operations()


def test_the_table_has_no_stale_entries():
    web = {route.name for route in WEB_ROUTES}
    stale = sorted((set(WEB_ACCESS) - web) | (set(API_ACCESS) - set(API_OPERATIONS)))
    assert not stale, f"remove {', '.join(stale)} from the access table: no such route any more"


@pytest.mark.parametrize("key", API_OPERATIONS)
def test_api_access(key, world, db):
    method, path = key.split(" ", 1)
    url = api_url(world, path)
    outcomes = []
    for actor in ACTORS:
        headers = {} if actor == "anonymous" else {"Authorization": f"Bearer {world.tokens[actor]}"}
        client = Client(raise_request_exception=False)
        with transaction.atomic():
            if key == "POST /api/v1/documents":
                upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4", "application/pdf")
                data = {"deal_id": world.objects["deal"].pk, "kind": "other", "file": upload}
                response = client.post(url, data, headers=headers)
            elif method in {"POST", "PUT", "PATCH"}:
                body = json.dumps(API_BODIES[key](world) if key in API_BODIES else {})
                response = client.generic(
                    method, url, body, content_type="application/json", headers=headers
                )
            else:
                response = client.generic(method, url, headers=headers)
            transaction.set_rollback(True)
        outcomes.append(_outcome(response))
    _check(key, API_ACCESS, {method: " ".join(outcomes)})
