import pytest
from django.urls import reverse

from tests.factories import LeadSourceFactory, LostReasonFactory, UserFactory
from voronka.crm.models import LeadSource
from voronka.pipeline.models import LostReason


@pytest.mark.django_db
def test_a_duplicate_name_is_a_form_error_not_a_server_error(client):
    client.force_login(UserFactory(role="admin"))
    LeadSourceFactory(name="Сайт")
    LostReasonFactory(name="Дорого")

    source = client.post(
        reverse("administration:lead_sources"), {"name": "Сайт", "is_active": "on"}
    )
    reason = client.post(
        reverse("administration:lost_reasons"), {"name": "Дорого", "order": "3", "is_active": "on"}
    )

    assert (source.status_code, reason.status_code) == (400, 400)
    assert LeadSource.objects.filter(name="Сайт").count() == 1
    assert LostReason.objects.filter(name="Дорого").count() == 1
