import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.factories import ProductFactory, UserFactory, LeadSourceFactory

@pytest.mark.django_db
def test_counts(client, admin_user):
    client.force_login(admin_user)
    for n in (1, 6):
        for _ in range(n):
            ProductFactory(); UserFactory(); LeadSourceFactory()
        for name in ("products","users","lead_sources","departments","lost_reasons","pipelines","organisation"):
            with CaptureQueriesContext(connection) as ctx:
                client.get(reverse("administration:"+name))
            print(n, name, len(ctx.captured_queries))
