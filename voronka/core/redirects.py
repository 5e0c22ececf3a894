"""Redirects to an address the user sent (a `next` field): only ever to this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, url: str | None, fallback: str) -> str:
    """`url` if it stays on this host (and on HTTPS when the request is), else `fallback`.

    Django's check also refuses `/\\evil.example`, which browsers read as `//evil.example`, and
    `javascript:` addresses; a bare `startswith("/")` lets the first through.
    """
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback
