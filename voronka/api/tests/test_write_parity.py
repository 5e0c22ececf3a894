"""Parity: the same invalid input through a page and through the API breaks the same rule of
the same service, so both answer with that rule's message (the API also names its code)."""

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, UserFactory
from voronka.core.errors import InvalidOwner
from voronka.crm.models import Company, Contact
from voronka.crm.services import DuplicateExternalId, DuplicateInn, InvalidEmail, InvalidInn

pytestmark = pytest.mark.django_db


def _page_create_company(client, user, **fields):
    client.force_login(user)
    return client.post(
        reverse("crm:company_create"), {"name": "ООО Ромашка", "customer_type": "small", **fields}
    )


def _assert_api_refusal(response, error_class, field):
    assert response.status_code == 409, response.content
    assert response.json() == {
        "code": error_class.code,
        "message": str(error_class.default_message),
        "fields": {field: [str(error_class.default_message)]},
    }


@pytest.mark.parametrize("inn", ["12345", "77070838931", "77O7083893"])
def test_a_malformed_inn_is_the_same_invalid_inn_on_the_page_and_in_the_api(
    client, manager, manager_api, inn
):
    page = _page_create_company(client, manager, inn=inn)
    assert page.status_code == 400
    assert page.context["form"].errors["inn"] == [str(InvalidInn.default_message)]
    _assert_api_refusal(manager_api.post("companies", {"name": "B", "inn": inn}), InvalidInn, "inn")
    assert not Company.objects.exists()


def test_a_taken_inn_is_the_same_duplicate_inn_on_the_page_and_in_the_api(
    client, manager, manager_api
):
    CompanyFactory(inn="7707083893")
    page = _page_create_company(client, manager, inn="7707083893")
    assert page.context["form"].errors["inn"] == [str(DuplicateInn.default_message)]
    api = manager_api.post("companies", {"name": "B", "inn": "7707083893"})
    _assert_api_refusal(api, DuplicateInn, "inn")
    own = CompanyFactory(owner=manager, inn="")
    changed = manager_api.patch(f"companies/{own.pk}", {"inn": "7707083893"})
    _assert_api_refusal(changed, DuplicateInn, "inn")
    assert Company.objects.filter(inn="7707083893").count() == 1


def test_the_api_refuses_an_email_the_service_finds_malformed(manager_api):
    # The schema's pattern lets it through; the service's validator (the pages' one) does not.
    _assert_api_refusal(
        manager_api.post("companies", {"name": "B", "email": "info@romashka..ru"}),
        InvalidEmail,
        "email",
    )
    _assert_api_refusal(
        manager_api.post("contacts", {"first_name": "Анна", "email": "anna@mail..ru"}),
        InvalidEmail,
        "email",
    )
    assert not Company.objects.exists()
    assert not Contact.objects.exists()


def test_a_viewer_cannot_own_a_company_or_a_contact_through_the_api(admin_api):
    viewer = UserFactory(role="viewer")
    api = admin_api.post("companies", {"name": "B", "owner_id": viewer.pk})
    _assert_api_refusal(api, InvalidOwner, "owner_id")
    api = admin_api.post("contacts", {"first_name": "Анна", "owner_id": viewer.pk})
    _assert_api_refusal(api, InvalidOwner, "owner_id")
    contact = ContactFactory()
    changed = admin_api.patch(f"contacts/{contact.pk}", {"owner_id": viewer.pk})
    _assert_api_refusal(changed, InvalidOwner, "owner_id")
    assert not Company.objects.filter(name="B").exists()
    contact.refresh_from_db()
    assert contact.owner != viewer


def test_an_external_id_is_unique_per_model(manager_api, manager):
    CompanyFactory(external_id="ext-1")
    api = manager_api.post("companies", {"name": "B", "external_id": "ext-1"})
    _assert_api_refusal(api, DuplicateExternalId, "external_id")
    ContactFactory(external_id="ext-2")
    api = manager_api.post("contacts", {"first_name": "Анна", "external_id": "ext-2"})
    _assert_api_refusal(api, DuplicateExternalId, "external_id")
    # Another model may reuse the value.
    assert (
        manager_api.post("contacts", {"first_name": "Анна", "external_id": "ext-1"}).status_code
        == 201
    )
