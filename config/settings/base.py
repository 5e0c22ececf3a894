"""Settings shared by every environment. Secrets and deployment knobs come from the environment."""

import os
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from .database_url import database_from_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "voronka.core",
    "voronka.accounts",
    "voronka.crm",
    "voronka.customfields",
    "voronka.catalog",
    "voronka.pipeline",
    "voronka.activities",
    "voronka.documents",
    "voronka.emails",
    "voronka.plans",
    "voronka.feedback",
    "voronka.analytics",
    "voronka.api",
    "voronka.imports",
    "voronka.backups",
    "voronka.demo",
    "voronka.administration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Analytics and exports: a time limit per query and a 503 page past it.
    "voronka.core.query_time_limit.QueryTimeLimitMiddleware",
    # The same requests read from the replica when DATABASE_REPLICA_URL is set.
    "voronka.core.replica.ReplicaReadMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "voronka" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "voronka.core.context_processors.organisation",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", "sqlite:///var/voronka.sqlite3"), base_dir=BASE_DIR
    )
}
if os.environ.get("DATABASE_REPLICA_URL"):
    # A PostgreSQL streaming replica for analytics and export reads (voronka/core/replica.py).
    DATABASES["replica"] = {
        **database_from_url(os.environ["DATABASE_REPLICA_URL"], base_dir=BASE_DIR),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["voronka.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out username and address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "voronka" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [
    BASE_DIR / "voronka" / "static",
    # Plotly's own bundle ships inside the plotly package: served as static/plotly/plotly.min.js.
    ("plotly", Path(find_spec("plotly").origin).parent / "package_data"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: documents and logos are size- and type-checked by the documents app.
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", 20 * 1024 * 1024))

# Webhooks go to public addresses only; these internal hosts (names or addresses) are allowed too.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Shared by every gunicorn worker (login lockout counts must not be per process); Redis when set.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(BASE_DIR / "var" / "cache"),
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

# Content-Security-Policy, in every environment so the browser tests run under it: scripts only
# from our own static files, no inline handlers and no eval (htmx's hx-on and js: are off too);
# a <style> element needs the per-request nonce. Plotly's bundle adds two <style> elements of
# its own: an empty one it then fills through the CSS object model (which CSP allows), and the
# fixed MapLibre stylesheet; each is admitted by the hash of its exact text
# (tests/test_content_security_policy.py recomputes them from the bundle).
PLOTLY_EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
PLOTLY_MAPLIBRE_STYLE_HASH = "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE, PLOTLY_EMPTY_STYLE_HASH, PLOTLY_MAPLIBRE_STYLE_HASH],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# One failure limit for every sign-in (login page, Django admin): five failures for a username
# from one address lock that pair for 15 minutes. Counts live in the database, shared by all
# server processes; admins see and lift lockouts under Settings → Sign-in lockouts.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "voronka.accounts.lockouts.lockout_username"
AXES_LOCKOUT_CALLABLE = "voronka.accounts.lockouts.lockout_response"
# REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False
# Successful sign-ins are not logged row by row: the table would only grow, and nothing reads it.
AXES_DISABLE_ACCESS_LOG = True

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Longest a single analytics or export query may run before the page answers 503 instead.
ANALYTICS_QUERY_TIMEOUT_SECONDS = float(os.environ.get("ANALYTICS_QUERY_TIMEOUT_SECONDS", 30))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "voronka@localhost")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "voronka.core.csrf.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
