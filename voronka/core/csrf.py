"""The page shown when a form's CSRF check fails: the app's own, in the user's language."""

from django.shortcuts import render


def csrf_failure(request, reason=""):
    # `reason` is Django's technical text (for logs); the user gets what to do next.
    return render(request, "403_csrf.html", status=403)
