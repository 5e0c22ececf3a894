"""The API's list filters are the pages' FilterSets: the same search finds the same rows."""

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, UserFactory, make_deal

pytestmark = pytest.mark.django_db


def _page_ids(client, url_name, query):
    response = client.get(reverse(url_name), query)
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["page"])


def _api_ids(api, path, query):
    response = api.get(path, query)
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["items"])


def test_company_search_ignores_cyrillic_case_in_the_api_as_on_the_page(
    client, admin_user, admin_api
):
    romashka = CompanyFactory(name="ООО Ромашка", inn="7707083893")
    CompanyFactory(name="АО Василёк")
    client.force_login(admin_user)
    for query in ("ромашка", "РОМАШ", "770708"):
        assert _api_ids(admin_api, "companies", {"search": query}) == [romashka.pk]
        assert _page_ids(client, "crm:company_list", {"q": query}) == [romashka.pk]


def test_contact_search_finds_the_mobile_phone_in_the_api_as_on_the_page(
    client, admin_user, admin_api
):
    anna = ContactFactory(first_name="Анна", last_name="Петрова", mobile="+7 916 555-12-34")
    ContactFactory(first_name="Пётр", last_name="Иванов", mobile="")
    client.force_login(admin_user)
    for query in ("555-12", "ПЕТРОВА"):
        assert _api_ids(admin_api, "contacts", {"search": query}) == [anna.pk]
        assert _page_ids(client, "crm:contact_list", {"q": query}) == [anna.pk]


def test_deal_search_covers_the_company_name_in_the_api_as_on_the_page(
    client, admin_user, admin_api
):
    company = CompanyFactory(name="ООО Ромашка")
    by_company = make_deal(owner=UserFactory(), company=company, title="Поставка")
    by_title = make_deal(owner=UserFactory(), title="Ромашка: сервис")
    make_deal(owner=UserFactory(), title="Другое")
    client.force_login(admin_user)
    expected = sorted([by_company.pk, by_title.pk])
    assert _api_ids(admin_api, "deals", {"search": "ромашка"}) == expected
    assert _page_ids(client, "pipeline:deal_list", {"q": "ромашка"}) == expected


def test_an_owner_the_caller_may_not_see_is_a_422_not_everything(manager_api):
    stranger = UserFactory(role="manager")
    CompanyFactory(owner=stranger)
    response = manager_api.get("companies", {"owner_id": stranger.pk})
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["owner_id"]
