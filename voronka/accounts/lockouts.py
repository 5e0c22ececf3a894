"""Sign-in lockouts: one failure limit for every way to sign in, kept by django-axes.

Axes counts failed `authenticate()` calls per username and client address in the database, so
the login page, the Django admin's login and any later sign-in path share one count across
gunicorn workers. This module adapts Axes to Voronka: how a username is compared, what a locked
client sees, and the reads and the write behind the "Sign-in lockouts" settings page.
"""

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import DomainError, NotPermitted


class LockoutNotFound(DomainError):
    code = "lockout_not_found"
    status = 404
    default_message = gettext_lazy("This lockout has already been lifted or has expired.")


def lockout_username(request, credentials: dict | None = None) -> str:
    """ " ANNA " and "anna" are one account for counting failures (Django's lookup is exact)."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") or ""
    return str(username).strip().lower()[:150]


def lockout_message() -> str:
    # The cool-off is fixed at 15 minutes in settings (AXES_COOLOFF_TIME).
    return _("Too many failed sign-in attempts. Wait 15 minutes and try again.")


def lockout_response(request, original_response=None, credentials=None):
    """429 with the sign-in page and a translated message, or JSON for API callers."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "sign_in_locked", "detail": message}, status=429)
    from .forms import LoginForm  # the forms module imports Django's auth forms at load time

    form = LoginForm(request, initial={"username": lockout_username(request, credentials)})
    return render(
        request,
        "accounts/login.html",
        {"form": form, "throttle_message": message, "next": ""},
        status=429,
    )


@dataclass(frozen=True)
class SignInLockout:
    attempt_id: int
    username: str
    ip_address: str
    failures: int
    last_attempt_at: datetime
    locked_until: datetime
    is_locked: bool


def sign_in_lockouts() -> list[SignInLockout]:
    """Failed sign-ins still counting (inside the cool-off window), locked ones first."""
    cooloff = settings.AXES_COOLOFF_TIME
    since = timezone.now() - cooloff
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since).order_by(
        "-failures_since_start", "-attempt_time"
    )
    return [
        SignInLockout(
            attempt_id=attempt.pk,
            username=attempt.username or "",
            ip_address=attempt.ip_address or "",
            failures=attempt.failures_since_start,
            last_attempt_at=attempt.attempt_time,
            locked_until=attempt.attempt_time + cooloff,
            is_locked=attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT,
        )
        for attempt in attempts
    ]


def lockout_lift(*, actor, attempt_id: int) -> AccessAttempt:
    """Forget the failures of one username and address, so they may sign in at once.

    Administrators only (NotPermitted); LockoutNotFound when it is already gone.
    """
    if not actor.is_admin:
        raise NotPermitted()
    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        raise LockoutNotFound()
    attempt.delete()
    return attempt
