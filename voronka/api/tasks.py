"""Background work of the API app: webhook deliveries with retries (django-tasks)."""

from django_tasks import task

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
