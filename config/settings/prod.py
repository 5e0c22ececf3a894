"""Production: every secret from the environment, and HTTPS assumed unless told otherwise.

Served over HTTPS (directly or behind a TLS-terminating proxy), cookies are Secure, plain HTTP
is redirected and browsers are told to use HTTPS only (HSTS). A plain-HTTP intranet sets
``VORONKA_PLAIN_HTTP=1``: the one documented opt-out, which turns all of that off (and makes
``check --deploy`` warn about it, as it should).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

if not SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable for production.")

DEBUG = False
PLAIN_HTTP = env_bool("VORONKA_PLAIN_HTTP", False)
HTTPS = not PLAIN_HTTP

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# A year of HSTS; VORONKA_HSTS_SECONDS=0 turns it off, e.g. while trying HTTPS out.
SECURE_HSTS_SECONDS = int(os.environ.get("VORONKA_HSTS_SECONDS", 31_536_000)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("VORONKA_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("VORONKA_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_bool("VORONKA_BEHIND_PROXY", False):
    # The proxy terminates TLS and says so in this header; trust it only behind such a proxy.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
