"""Who is calling: a personal token (`Authorization: Bearer vrk_…`) or the browser session.

Both resolve to the same `User`, so the API applies exactly the roles and row visibility of
the pages; a token never sees more than its owner. Inactive users and revoked tokens get 401,
an expired token 401 `token_expired`, and a read-only token 403 `token_read_only` on any
method that writes.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from voronka.core.errors import DomainError, NotPermitted

from .models import ApiToken
from .services import token_digest

# last_used_at is informative; writing it once a minute is enough and spares a write per call.
LAST_USED_PRECISION = timedelta(minutes=1)
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenExpired(DomainError):
    code = "token_expired"
    status = 401
    default_message = _("This API token has expired. Create a new one on the API tokens page.")


class TokenReadOnly(DomainError):
    code = "token_read_only"
    status = 403
    default_message = _("This API token is read-only: it cannot create, change or delete.")


class TokenAuth(HttpBearer):
    openapi_description = "A personal API token from the “API tokens” settings page."

    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        api_token = (
            ApiToken.objects.select_related("user", "user__department")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        if api_token is None or not api_token.user.is_active:
            return None
        now = timezone.now()
        if api_token.expires_at is not None and api_token.expires_at <= now:
            raise TokenExpired()
        if api_token.is_read_only and request.method not in READING_METHODS:
            raise TokenReadOnly()
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class ActiveSessionAuth(SessionAuth):
    """The browser's session (CSRF-checked), for the interactive docs and htmx callers."""

    openapi_description = "The Django session cookie of a signed-in user (send X-CSRFToken)."

    def _get_key(self, request):
        # Without a signed-in session the answer is 401, not a CSRF failure.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def require_editor(user) -> None:
    """Viewers read only."""
    if not user.can_edit:
        raise NotPermitted()


def require_admin(user) -> None:
    if not user.is_admin:
        raise NotPermitted()


def require_team_manager(user) -> None:
    if not user.can_manage_team:
        raise NotPermitted()
