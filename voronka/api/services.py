"""Writes owned by the API app: personal tokens and webhook endpoints. Companies and contacts
are written through `voronka.crm.services`, like every other entity through its own app.

Every function is keyword-only and raises `DomainError` subclasses for rule violations.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.core import events
from voronka.core.errors import DomainError, NotPermitted
from voronka.core.models import Organisation

from .models import ApiToken, TokenScope, WebhookEndpoint
from .webhook_targets import webhook_url_check

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


class TokenExpiryInvalid(DomainError):
    code = "token_expiry_invalid"
    default_message = _("Choose an expiry date in the future.")


def token_longest_expiry(*, now=None):
    """The latest expiry the organisation allows for a token issued now; None: no limit."""
    lifetime_days = Organisation.current().api_token_lifetime_days
    if not lifetime_days:
        return None
    return (now or timezone.now()) + timedelta(days=lifetime_days)


def api_token_create(
    *,
    user: User,
    name: str,
    scope: str | None = None,
    expires_on: date | None = None,
) -> IssuedToken:
    """Issue a personal token. Only its digest is kept; the caller shows `raw` once.

    The token expires at the end of `expires_on` (local time), or after the organisation's token
    lifetime when no date is given or a later one is asked; with no lifetime set and no date it
    never expires. Viewers only read, so their tokens are read-only (NotPermitted otherwise);
    without a scope, a viewer's token reads and anyone else's reads and writes.
    Errors: DomainError without a name, TokenExpiryInvalid for a day already past.
    """
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name."), field="name")
    if not user.is_active:
        raise NotPermitted()
    if scope is None:
        scope = TokenScope.READ_WRITE if user.can_edit else TokenScope.READ_ONLY
    if scope not in TokenScope.values:
        raise DomainError(_("Choose read-only or read-write."), field="scope")
    if scope == TokenScope.READ_WRITE and not user.can_edit:
        raise NotPermitted(_("Viewers may create read-only tokens only."), field="scope")
    now = timezone.now()
    expires_at = None
    if expires_on is not None:
        if expires_on <= timezone.localdate(now):
            raise TokenExpiryInvalid(field="expires_on")
        # The first moment of the day after: the token works through the whole chosen day.
        expires_at = timezone.make_aware(datetime.combine(expires_on, time.min)) + timedelta(days=1)
    longest = token_longest_expiry(now=now)
    if longest is not None and (expires_at is None or expires_at > longest):
        expires_at = longest
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(raw),
        scope=scope,
        expires_at=expires_at,
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
    """An http(s) URL to a public address (or an allowed host), a secret of 16+ characters, at
    least one known event. Raises DomainError or WebhookTargetRefused naming the field."""
    if not url.startswith(("http://", "https://")):
        raise DomainError(_("Enter an http:// or https:// URL."), field="url")
    webhook_url_check(url)
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
