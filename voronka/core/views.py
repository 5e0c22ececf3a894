"""The health check."""

from django.db import connection
from django.http import JsonResponse


def health(request):
    """Liveness for load balancers: answers once the database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
