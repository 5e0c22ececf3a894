"""Background work of the API app: domain events enqueue webhook deliveries, each retried with
backoff (django-tasks). The delivery itself (signing, one POST, its log row) is in `webhooks.py`."""

import json
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django_tasks import task

from voronka.core import events

from .models import WebhookEndpoint
from .webhooks import attempt_delivery


@task()
def deliver_webhook(*, endpoint_id: int, event: str, payload: dict, delivery_id: str, attempt: int):
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).first()
    if endpoint is None:
        return None
    delivery = attempt_delivery(
        endpoint=endpoint, event=event, payload=payload, delivery_id=delivery_id, attempt=attempt
    )
    if delivery.next_attempt_at is not None:
        retry = deliver_webhook
        # Backends that can defer (the database one) wait; an immediate backend retries at once.
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=delivery.next_attempt_at)
        retry.enqueue(
            endpoint_id=endpoint_id,
            event=event,
            payload=payload,
            delivery_id=delivery_id,
            attempt=attempt + 1,
        )
    return delivery.status_code


def on_domain_event(event: str, payload: dict) -> None:
    """Subscribed in ApiConfig.ready(): enqueue one delivery per endpoint listening for it."""
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        if event in endpoint.events:
            deliver_webhook.enqueue(
                endpoint_id=endpoint.pk,
                event=event,
                payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
                delivery_id=str(uuid.uuid4()),
                attempt=1,
            )


def subscribe_all() -> None:
    for event in events.ALL_EVENTS:
        events.subscribe(event, on_domain_event)
