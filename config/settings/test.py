"""Test settings: the same apps as production, fast hashing, tasks run inline."""

from .base import *  # noqa: F403

SECRET_KEY = "test-secret-key-not-for-production"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
# Assertions are written against the English source strings; tests that check Russian ask for
# it (Accept-Language or the language cookie). Production keeps Russian as the default.
LANGUAGE_CODE = "en"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
