"""Webhooks: signed POSTs to a real local receiver after the deal's transaction commits,
retried with backoff through the tasks framework, one logged row per attempt.

The receiver listens on 127.0.0.1, an internal address that webhooks refuse by default; these
tests allow it by name through WEBHOOK_ALLOWED_HOSTS, as an administrator would."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from tests.factories import LostReasonFactory, make_deal
from voronka.api.models import WebhookDelivery, WebhookEndpoint
from voronka.api.services import webhook_endpoint_save
from voronka.api.webhooks import MAX_ATTEMPTS, retry_delay
from voronka.core.errors import DomainError, NotPermitted
from voronka.pipeline import services

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture(autouse=True)
def allow_the_local_receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers the queued statuses.

    A 3xx status answers with `Location: /elsewhere` (a redirect the sender must not follow).
    """

    def __init__(self, statuses=()):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "path": self.path}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _endpoint(admin_user, url, event_names=("deal.created", "deal.won", "deal.lost")):
    return webhook_endpoint_save(
        url=url, secret=SECRET, event_names=list(event_names), user=admin_user
    )


@pytest.mark.django_db(transaction=True)
def test_deal_events_are_delivered_signed_after_commit(receiver, admin_user, stages):
    _endpoint(admin_user, receiver.url, ["deal.created", "deal.stage_changed", "deal.won"])
    deal = make_deal(owner=admin_user)
    services.deal_move_stage(deal=deal, stage=stages[1], user=admin_user)
    services.deal_win(deal=deal, user=admin_user)
    events = [json.loads(request["body"])["event"] for request in receiver.requests]
    assert events == ["deal.created", "deal.stage_changed", "deal.won"]
    first = receiver.requests[0]
    headers = {name.lower(): value for name, value in first["headers"].items()}
    timestamp = headers["x-voronka-timestamp"]
    expected = hmac.new(
        SECRET.encode(), timestamp.encode() + b"." + first["body"], hashlib.sha256
    ).hexdigest()
    assert headers["x-voronka-signature"] == f"sha256={expected}"
    assert headers["x-voronka-event"] == "deal.created"
    document = json.loads(first["body"])
    assert document["delivery_id"] == headers["x-voronka-delivery"]
    assert document["data"]["deal_id"] == deal.pk
    assert (
        list(WebhookDelivery.objects.values_list("succeeded", "status_code", "attempt"))
        == [(True, 200, 1)] * 3
    )


@pytest.mark.django_db(transaction=True)
def test_events_the_endpoint_did_not_choose_are_not_sent(receiver, admin_user, stages):
    _endpoint(admin_user, receiver.url, ["deal.lost"])
    deal = make_deal(owner=admin_user)
    services.deal_win(deal=deal, user=admin_user)
    assert receiver.requests == []
    services.deal_reopen(deal=deal, user=admin_user)
    services.deal_lose(deal=deal, user=admin_user, reason=LostReasonFactory())
    assert [json.loads(r["body"])["event"] for r in receiver.requests] == ["deal.lost"]


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_retried_and_each_attempt_logged(admin_user, stages):
    receiver = Receiver(statuses=[500, 503])
    try:
        _endpoint(admin_user, receiver.url, ["deal.created"])
        make_deal(owner=admin_user)
    finally:
        receiver.close()
    attempts = list(
        WebhookDelivery.objects.order_by("attempt").values_list(
            "attempt", "status_code", "succeeded"
        )
    )
    assert attempts == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert len({row.delivery_id for row in WebhookDelivery.objects.all()}) == 1
    first = WebhookDelivery.objects.get(attempt=1)
    assert first.next_attempt_at is not None


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_endpoint_gives_up_after_the_last_attempt(admin_user, stages):
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nothing listens on the port any more
    _endpoint(admin_user, url, ["deal.created"])
    make_deal(owner=admin_user)
    rows = list(WebhookDelivery.objects.order_by("attempt"))
    assert [row.attempt for row in rows] == list(range(1, MAX_ATTEMPTS + 1))
    assert all(row.status_code is None and row.error and not row.succeeded for row in rows)
    assert rows[-1].next_attempt_at is None


def test_backoff_grows_fourfold():
    assert [retry_delay(n) for n in range(1, 5)] == [
        timedelta(minutes=1),
        timedelta(minutes=4),
        timedelta(minutes=16),
        timedelta(minutes=64),
    ]


@pytest.mark.django_db
def test_a_rolled_back_change_sends_nothing(receiver, admin_user, stages):
    # Inside a test transaction nothing commits, so on_commit receivers never run.
    _endpoint(admin_user, receiver.url, ["deal.created"])
    make_deal(owner=admin_user)
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db
def test_only_admins_register_endpoints_and_inputs_are_checked(admin_user, manager):
    with pytest.raises(NotPermitted):
        _endpoint(manager, "https://example.com/hook")
    with pytest.raises(DomainError) as error:
        webhook_endpoint_save(
            url="ftp://example.com", secret=SECRET, event_names=["deal.won"], user=admin_user
        )
    assert error.value.field == "url"
    with pytest.raises(DomainError) as error:
        webhook_endpoint_save(
            url="https://example.com", secret="short", event_names=["deal.won"], user=admin_user
        )
    assert error.value.field == "secret"
    with pytest.raises(DomainError) as error:
        webhook_endpoint_save(
            url="https://example.com", secret=SECRET, event_names=["deal.eaten"], user=admin_user
        )
    assert error.value.field == "events"


@pytest.mark.django_db
def test_webhooks_page_is_for_admins(client, admin_user, manager):
    client.force_login(manager)
    assert client.get(reverse("api_webhooks")).status_code == 403
    client.force_login(admin_user)
    response = client.post(
        reverse("api_webhooks"),
        {"url": "https://example.com/hook", "secret": SECRET, "events": ["deal.won"]},
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.events, endpoint.created_by) == (
        "https://example.com/hook",
        ["deal.won"],
        admin_user,
    )
    client.post(reverse("api_webhook_toggle", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    client.post(reverse("api_webhook_delete", args=[endpoint.pk]))
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_webhooks_page_query_count_does_not_grow(client, admin_user, django_assert_max_num_queries):
    endpoint = _endpoint(admin_user, "https://example.com/hook")
    client.force_login(admin_user)

    def log(count):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                delivery_id="00000000-0000-0000-0000-000000000001",
                event="deal.won",
                payload={},
                attempt=1,
                status_code=200,
                succeeded=True,
            )
            for _ in range(count)
        )

    log(1)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("api_webhooks")).status_code == 200
    log(30)
    _endpoint(admin_user, "https://example.org/other")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("api_webhooks")).status_code == 200


@pytest.mark.django_db
def test_the_admin_site_checks_webhook_endpoints_like_the_settings_page(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:api_webhookendpoint_add")
    base = {"url": "https://example.com/hook", "events": ["deal.won"], "is_active": "on"}
    refused = client.post(url, {**base, "secret": "short"})
    assert refused.status_code == 200
    assert "secret" in refused.context["adminform"].form.errors
    assert WebhookEndpoint.objects.count() == 0
    client.post(url, {**base, "secret": SECRET})
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.events, endpoint.created_by) == (["deal.won"], admin_user)
