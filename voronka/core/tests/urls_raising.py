"""The project's URLs plus views that fail on purpose, for the error-page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def broken_view(request):
    raise RuntimeError("a bug on purpose")


def forbidden_view(request):
    raise PermissionDenied


def bad_request_view(request):
    raise SuspiciousOperation("tampered input")


urlpatterns = [
    path("test-errors/500/", broken_view),
    path("test-errors/403/", forbidden_view),
    path("test-errors/400/", bad_request_view),
    *project_urlpatterns,
]
