"""Webhooks never reach internal addresses (blind SSRF) and never follow redirects (issue 11, #8).

Refused at save time (a clear error on the URL field) and again at delivery time, after the
host is resolved anew, so a name that later resolves to an internal address (DNS rebinding)
is refused too. WEBHOOK_ALLOWED_HOSTS names internal hosts an administrator allows.
"""

import socket

import pytest
from django.urls import reverse

from voronka.api import webhook_targets
from voronka.api.models import WebhookDelivery, WebhookEndpoint
from voronka.api.services import webhook_endpoint_save
from voronka.api.webhook_targets import WebhookTargetRefused, is_public_address
from voronka.api.webhooks import MAX_ATTEMPTS, attempt_delivery

from .test_webhooks import SECRET, Receiver

pytestmark = pytest.mark.django_db

INTERNAL = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://localhost/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::]/hook",
]


@pytest.fixture(autouse=True)
def nothing_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []


def _save(url, admin_user):
    return webhook_endpoint_save(url=url, secret=SECRET, event_names=["deal.won"], user=admin_user)


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_targets_are_refused_at_save_time(url, admin_user):
    with pytest.raises(WebhookTargetRefused) as refused:
        _save(url, admin_user)
    assert refused.value.field == "url"
    assert "internal address" in str(refused.value.message)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_public(address):
    assert is_public_address(address)


def test_public_and_unresolvable_hosts_are_accepted_at_save_time(admin_user):
    _save("https://93.184.216.34/hook", admin_user)
    _save("https://hooks.example.com/voronka", admin_user)  # resolved again at delivery
    assert WebhookEndpoint.objects.count() == 2


def test_an_allowed_internal_host_is_accepted(settings, admin_user):
    settings.WEBHOOK_ALLOWED_HOSTS = ["LOCALHOST", "10.0.0.5"]
    _save("http://localhost:9000/hook", admin_user)
    _save("http://10.0.0.5/hook", admin_user)
    assert WebhookEndpoint.objects.count() == 2


def test_the_settings_page_shows_the_refusal_on_the_url_field(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("api_webhooks"),
        {"url": "http://169.254.169.254/latest/", "secret": SECRET, "events": ["deal.won"]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "it is an internal address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.fixture
def receiver():
    server = Receiver(statuses=[])
    yield server
    server.close()


@pytest.fixture
def rebinding(monkeypatch, receiver):
    """`rebind.example` resolves to the local receiver (as a rebinding DNS server would)."""
    original = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return original(host, port, *args, **kwargs)

    monkeypatch.setattr(webhook_targets.socket, "getaddrinfo", getaddrinfo)
    port = receiver.server.server_address[1]
    return f"http://rebind.example:{port}/hook"


def _deliver(url, admin_user) -> WebhookDelivery:
    # Saved as if the name had resolved to a public address then; delivered last attempt.
    endpoint = WebhookEndpoint.objects.create(
        url=url, secret=SECRET, events=["deal.won"], created_by=admin_user
    )
    return attempt_delivery(
        endpoint=endpoint,
        event="deal.won",
        payload={"deal_id": 1},
        delivery_id="6f1c2a1e-0000-4000-8000-000000000001",
        attempt=MAX_ATTEMPTS,
    )


def test_a_name_resolving_to_an_internal_address_is_refused_at_delivery(
    rebinding, receiver, admin_user
):
    delivery = _deliver(rebinding, admin_user)
    assert receiver.requests == []
    assert (delivery.succeeded, delivery.status_code) == (False, None)
    assert "internal address" in delivery.error


def test_the_same_name_is_delivered_once_allowed(settings, rebinding, receiver, admin_user):
    settings.WEBHOOK_ALLOWED_HOSTS = ["rebind.example"]
    delivery = _deliver(rebinding, admin_user)
    assert (delivery.succeeded, delivery.status_code) == (True, 200)
    assert [request["path"] for request in receiver.requests] == ["/hook"]
    assert receiver.requests[0]["headers"]["Host"] == rebinding.split("/")[2]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_failed_delivery_and_is_not_followed(
    settings, receiver, admin_user, status
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver.statuses = [status, 200]
    delivery = _deliver(receiver.url, admin_user)
    assert (delivery.succeeded, delivery.status_code) == (False, status)
    assert "/elsewhere not followed" in delivery.error
    assert [request["path"] for request in receiver.requests] == ["/hook"]
