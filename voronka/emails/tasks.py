"""Background work of the emails app: the actual sending, outside the request (django-tasks)."""

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def deliver_email(*, subject: str, body: str, recipient: str) -> int:
    """Send one email through the configured EMAIL_BACKEND; a failure stays in the task result."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
