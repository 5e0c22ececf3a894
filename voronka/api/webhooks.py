"""Outgoing webhooks: domain events → signed JSON POSTs to the endpoints administrators register.

The receiver (`api/tasks.py`, which imports this module, never the reverse) runs after the deal's transaction committed (see `voronka.core.events`) and only
enqueues tasks; the task makes one attempt, logs it as a `WebhookDelivery` row and, on failure,
schedules the next attempt with exponential backoff (1, 4, 16, 64 minutes; 5 attempts in all).

Receivers verify `X-Voronka-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<X-Voronka-Timestamp>.<raw body>` with the endpoint's secret, and reject old timestamps.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .models import WebhookDelivery, WebhookEndpoint
from .webhook_targets import WebhookTargetRefused, open_checked

MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Voronka-Signature"
TIMESTAMP_HEADER = "X-Voronka-Timestamp"
EVENT_HEADER = "X-Voronka-Event"
DELIVERY_HEADER = "X-Voronka-Delivery"


def retry_delay(attempt: int) -> timedelta:
    """Wait before attempt `attempt + 1`: 1, 4, 16, 64 minutes after attempts 1..4."""
    return timedelta(minutes=4 ** (attempt - 1))


def body_for(event: str, payload: dict, delivery_id: str) -> bytes:
    document = {"event": event, "delivery_id": delivery_id, "data": payload}
    return json.dumps(document, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def attempt_delivery(
    *, endpoint: WebhookEndpoint, event: str, payload: dict, delivery_id: str, attempt: int
) -> WebhookDelivery:
    """POST once and log the attempt. A 2xx answer is success; anything else is retried.

    Internal addresses are refused and redirects not followed (see `webhook_targets`).
    """
    body = body_for(event, payload, delivery_id)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Voronka-Webhooks/1",
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
            TIMESTAMP_HEADER: timestamp,
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery_id,
        },
    )
    status_code, error = None, ""
    started = time.monotonic()
    try:
        with open_checked(request, timeout=TIMEOUT_SECONDS) as response:
            status_code = response.status
    except urllib.error.HTTPError as failure:  # 3xx included: redirects are not followed
        status_code, error = failure.code, str(failure.reason)[:500]
    except WebhookTargetRefused as refused:
        error = str(refused.message)[:500]
    except (urllib.error.URLError, OSError, ValueError) as failure:
        error = str(getattr(failure, "reason", failure))[:500] or type(failure).__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    retry = not succeeded and attempt < MAX_ATTEMPTS
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        delivery_id=delivery_id,
        event=event,
        payload=payload,
        attempt=attempt,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        succeeded=succeeded,
        next_attempt_at=timezone.now() + retry_delay(attempt) if retry else None,
    )
