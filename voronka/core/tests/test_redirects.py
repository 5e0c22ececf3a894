"""Every view that redirects to an address the user sent stays on this site (issue 11, #10)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, make_deal
from voronka.activities.services import activity_log

HOSTILE = ["/\\evil.example", "//evil.example", "https://evil.example/x", "javascript:alert(1)"]
PASSWORD = "pass-Word-123"


@pytest.fixture
def world(db, pipeline):
    head = UserFactory(role="head")
    manager = UserFactory(role="manager", department=head.department)
    deal = make_deal(owner=manager, pipeline=pipeline)
    task = activity_log(
        kind="task",
        subject="Позвонить",
        owner=head,
        deal=deal,
        due_at=timezone.now() + timedelta(days=1),
    )
    return {"head": head, "manager": manager, "deal": deal, "task": task}


def _activity_done(client, world, target):
    client.force_login(world["head"])
    return client.post(reverse("activities:done", args=[world["task"].pk]), {"next": target})


def _activity_undo(client, world, target):
    client.force_login(world["head"])
    return client.post(reverse("activities:undo", args=[world["task"].pk]), {"next": target})


def _advice_apply(client, world, target):
    client.force_login(world["head"])
    data = {"deal": world["deal"].pk, "manager": world["head"].pk, "next": target}
    return client.post(reverse("analytics:advice-apply"), data)


def _set_language(client, world, target):
    return client.post(reverse("set_language"), {"language": "en", "next": target})


def _login(client, world, target):
    data = {"username": world["head"].username, "password": PASSWORD, "next": target}
    return client.post(reverse("login"), data)


def _logout(client, world, target):
    client.force_login(world["head"])
    return client.post(reverse("logout"), {"next": target})


VIEWS = [_activity_done, _activity_undo, _advice_apply, _set_language, _login, _logout]


def _is_local(location: str) -> bool:
    parts = urlsplit(location)
    return (
        location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and not parts.scheme
        and not parts.netloc
    )


@pytest.mark.parametrize("target", HOSTILE)
@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.__name__.strip("_"))
def test_a_hostile_next_falls_back_to_a_local_page(client, world, view, target):
    response = view(client, world, target)
    assert response.status_code == 302
    assert _is_local(response["Location"]), response["Location"]
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.__name__.strip("_"))
def test_a_local_next_is_followed(client, world, view):
    response = view(client, world, "/deals/?q=x")
    assert (response.status_code, response["Location"]) == (302, "/deals/?q=x")
