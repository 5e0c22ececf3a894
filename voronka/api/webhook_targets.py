"""Where a webhook may be sent: public addresses only, unless the host is allowed by name.

An administrator's webhook URL is fetched by the server, so an internal address (loopback, the
private networks, link-local cloud metadata at 169.254.169.254, multicast, reserved and
unspecified ranges) would let the server probe the intranet (blind SSRF). Such targets are
refused when the endpoint is saved, and again at every delivery: the host is resolved then, each
address checked, and the connection made to the checked address (a DNS answer that changes
between check and connect cannot slip through). Redirects are never followed.

`settings.WEBHOOK_ALLOWED_HOSTS` (environment `WEBHOOK_ALLOWED_HOSTS`, comma-separated) names
internal hosts that may receive webhooks anyway, e.g. `crm-bridge.intranet,10.0.0.7`.
"""

import contextlib
import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError


class WebhookTargetRefused(DomainError):
    code = "webhook_target_refused"


def _allowed_by_name(host: str) -> bool:
    allowed = {name.strip().lower().rstrip(".") for name in settings.WEBHOOK_ALLOWED_HOSTS}
    return host.lower().rstrip(".") in allowed


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; False for anything internal or special."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
    )


def _refused(host: str) -> WebhookTargetRefused:
    return WebhookTargetRefused(
        _(
            "Webhooks cannot be sent to %(host)s: it is an internal address. An administrator "
            "of the server can allow it by name in WEBHOOK_ALLOWED_HOSTS."
        )
        % {"host": host},
        field="url",
    )


def resolve_checked(host: str, port: int) -> list[tuple]:
    """getaddrinfo() results for host:port, every one a public address (or the host allowed).

    Raises WebhookTargetRefused for an internal address, OSError if the name does not resolve.
    """
    results = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not _allowed_by_name(host):
        for *_rest, sockaddr in results:
            if not is_public_address(sockaddr[0]):
                raise _refused(host)
    return results


def webhook_url_check(url: str) -> None:
    """At save time: refuse a URL whose host is, or resolves to, an internal address.

    A name that does not resolve now is accepted; each delivery resolves and checks it again.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise DomainError(_("Enter an http:// or https:// URL."), field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DomainError(_("Enter an http:// or https:// URL."), field="url")
    with contextlib.suppress(OSError, UnicodeError):
        resolve_checked(host, port)


def _checked_create_connection(address, timeout=None, source_address=None, **kwargs):
    """socket.create_connection() that connects only to addresses resolve_checked() allowed."""
    host, port = address
    last_error: OSError | None = None
    for family, socktype, proto, _canonname, sockaddr in resolve_checked(host, port):
        sock = socket.socket(family, socktype, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            last_error = error
            sock.close()
    raise last_error or OSError(f"cannot connect to {host}")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # http.client connects through this attribute; TLS still verifies the host's name.
        self._create_connection = _checked_create_connection


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_create_connection


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(
            req.full_url, code, f"redirect to {newurl} not followed", headers, fp
        )


def open_checked(request: urllib.request.Request, *, timeout: float):
    """urlopen() for webhooks: no proxies, no redirects, internal addresses refused.

    A refused address raises WebhookTargetRefused (the caller logs it as a failed delivery);
    a 3xx answer raises HTTPError with its status.
    """
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _NoRedirects(),
        _CheckedHTTPHandler(),
        _CheckedHTTPSHandler(),
    ):
        opener.add_handler(handler)
    return opener.open(request, timeout=timeout)
