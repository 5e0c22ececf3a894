"""Writes owned by the API app: personal tokens and webhook endpoints. Companies and contacts
are written through `voronka.crm.services`, like every other entity through its own app.

Every function is keyword-only and raises `DomainError` subclasses for rule violations.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.core import events
from voronka.core.errors import DomainError, NotPermitted

from .models import ApiToken, WebhookEndpoint

TOKEN_PREFIX = "vrk_"


class DuplicateValue(DomainError):
    code = "duplicate"
    status = 409
    default_message = _("A record with this value already exists.")


# Tokens ----------------------------------------------------------------------------------------


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown to the user once, never stored


def api_token_create(*, user: User, name: str) -> IssuedToken:
    """Issue a personal token. Only its digest is kept; the caller shows `raw` once."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name."), field="name")
    if not user.is_active:
        raise NotPermitted()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[: len(TOKEN_PREFIX) + 6], digest=token_digest(raw)
    )
    return IssuedToken(token=token, raw=raw)


def api_token_revoke(*, token: ApiToken, user: User) -> ApiToken:
    """Revoke a token; only its owner may. Revoking twice keeps the first time."""
    if token.user_id != user.pk:
        raise NotPermitted()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# Webhooks --------------------------------------------------------------------------------------


def webhook_endpoint_validate(*, url: str, secret: str, event_names: list[str]) -> None:
    """An http(s) URL, a secret of 16+ characters, at least one known event."""
    if not url.startswith(("http://", "https://")):
        raise DomainError(_("Enter an http:// or https:// URL."), field="url")
    if len(secret) < 16:
        raise DomainError(_("Use a secret of at least 16 characters."), field="secret")
    unknown = set(event_names) - set(events.ALL_EVENTS)
    if unknown or not event_names:
        raise DomainError(_("Choose at least one event."), field="events")


def webhook_endpoint_save(
    *,
    url: str,
    secret: str,
    event_names: list[str],
    user: User,
    description: str = "",
    is_active: bool = True,
    endpoint: WebhookEndpoint | None = None,
) -> WebhookEndpoint:
    """Register or change an endpoint. Administrators only; at least one known event."""
    if not user.is_admin:
        raise NotPermitted()
    webhook_endpoint_validate(url=url, secret=secret, event_names=event_names)
    endpoint = endpoint or WebhookEndpoint(created_by=user)
    endpoint.url, endpoint.secret = url, secret
    endpoint.events = [name for name in events.ALL_EVENTS if name in event_names]
    endpoint.description, endpoint.is_active = description, is_active
    endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, user: User) -> None:
    if not user.is_admin:
        raise NotPermitted()
    endpoint.delete()
