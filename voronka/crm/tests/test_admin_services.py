"""The Django admin writes companies and contacts through crm/services.py: the same rules."""

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, UserFactory, make_deal
from voronka.crm.models import Company
from voronka.crm.services import DuplicateInn, InvalidInn

pytestmark = pytest.mark.django_db


def _company_form(owner, **overrides):
    return {"name": "ООО Ромашка", "inn": "", "customer_type": "small", "owner": owner.pk} | {
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        **overrides,
    }


def test_the_admin_refuses_what_the_company_service_refuses(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:crm_company_add")
    bad = client.post(url, _company_form(admin_user, inn="12345"))
    assert bad.status_code == 200
    assert bad.context["adminform"].form.errors["inn"] == [str(InvalidInn.default_message)]
    viewer = UserFactory(role="viewer")
    as_viewer = client.post(url, _company_form(viewer, inn="7707083893"))
    assert "owner" in as_viewer.context["adminform"].form.errors
    assert not Company.objects.exists()
    created = client.post(url, _company_form(admin_user, inn=" 7707083893 "))
    assert created.status_code == 302
    assert Company.objects.get().inn == "7707083893"  # cleaned by the service


def test_the_admin_edits_and_deletes_through_the_service(client, admin_user):
    client.force_login(admin_user)
    taken = CompanyFactory(inn="7707083893")
    company = CompanyFactory(owner=admin_user, inn="")
    url = reverse("admin:crm_company_change", args=[company.pk])
    refused = client.post(url, _company_form(admin_user, name=company.name, inn=taken.inn))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {"inn": [str(DuplicateInn.default_message)]}
    make_deal(owner=admin_user, company=company)
    client.post(reverse("admin:crm_company_delete", args=[company.pk]), {"post": "yes"})
    assert Company.objects.filter(pk=company.pk).exists()  # it has a deal: kept
