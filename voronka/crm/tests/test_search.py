"""The global search: deals, companies and contacts the user may see, in the header and a page."""

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, make_deal
from voronka.crm.selectors import QUICK_SEARCH_LIMIT, SEARCH_LIMIT

from .team import make_team

pytestmark = pytest.mark.django_db
SEARCH = reverse("crm:search")


@pytest.fixture
def team():
    return make_team()


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def world(team, pipeline):
    alfa = CompanyFactory(name="Альфа-Трейд", inn="7701234567", owner=team.manager)
    gamma = CompanyFactory(name="Гамма-Трейд", owner=team.stranger)
    ContactFactory(
        first_name="Ольга",
        last_name="Смирнова",
        company=alfa,
        phone="+7 495 111-22-33",
        email="olga@alfa.example",
    )
    ContactFactory(first_name="Ольга", last_name="Гаммова", company=gamma, email="o@gamma.example")
    make_deal(owner=team.manager, title="Трейд-ин насосов", company=alfa)
    make_deal(owner=team.stranger, title="Трейд-ин чужой", company=gamma)


def found(response) -> dict[str, list[str]]:
    results = response.context["results"]
    return {
        "deals": [deal.title for deal in results.deals],
        "companies": [company.name for company in results.companies],
        "contacts": [contact.full_name for contact in results.contacts],
    }


def test_search_needs_a_login(client):
    response = client.get(SEARCH, {"q": "Альфа"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "query, expected",
    [
        ("трейд", {"deals": ["Трейд-ин насосов"], "companies": ["Альфа-Трейд"], "contacts": []}),
        ("7701", {"deals": [], "companies": ["Альфа-Трейд"], "contacts": []}),
        ("111-22", {"deals": [], "companies": [], "contacts": ["Ольга Смирнова"]}),
        ("OLGA@ALFA", {"deals": [], "companies": [], "contacts": ["Ольга Смирнова"]}),
        ("смирнова ольга", {"deals": [], "companies": [], "contacts": ["Ольга Смирнова"]}),
        ("ольга", {"deals": [], "companies": [], "contacts": ["Ольга Смирнова"]}),
    ],
)
def test_a_manager_finds_own_deals_companies_and_people_only(
    en_client, team, world, query, expected
):
    en_client.force_login(team.manager)
    response = en_client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert found(response) == expected


def test_an_admin_finds_everyone(en_client, team, world):
    en_client.force_login(team.admin)
    assert found(en_client.get(SEARCH, {"q": "трейд"})) == {
        "deals": ["Трейд-ин чужой", "Трейд-ин насосов"],
        "companies": ["Альфа-Трейд", "Гамма-Трейд"],
        "contacts": [],
    }


@pytest.mark.parametrize("query", ["", "a", "   ", "%", "_"])
def test_short_or_wildcard_queries_find_nothing_and_never_fail(en_client, team, world, query):
    en_client.force_login(team.admin)
    response = en_client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert found(response) == {"deals": [], "companies": [], "contacts": []}


def test_a_very_long_query_is_cut_and_answered(en_client, team, world):
    en_client.force_login(team.admin)
    response = en_client.get(SEARCH, {"q": "Альфа" * 500})
    assert response.status_code == 200
    assert len(response.context["results"].query) == 100


def test_the_header_dropdown_answers_a_short_fragment(en_client, team, world):
    for index in range(QUICK_SEARCH_LIMIT + 2):
        CompanyFactory(name=f"Трейд {index}", owner=team.manager)
    en_client.force_login(team.manager)
    response = en_client.get(SEARCH, {"q": "трейд", "quick": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.count('data-testid="quick-company"') == QUICK_SEARCH_LIMIT
    assert "Гамма" not in body
    assert f"{SEARCH}?q=%D1%82%D1%80%D0%B5%D0%B9%D0%B4" in body  # "All results" keeps the query


def test_every_page_has_the_search_box(en_client, team):
    en_client.force_login(team.viewer)
    assert (
        'data-testid="global-search"' in en_client.get(reverse("crm:company_list")).content.decode()
    )


def test_search_costs_the_same_queries_for_few_and_many_matches(en_client, team, pipeline):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    en_client.force_login(team.head)
    en_client.get(SEARCH)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert en_client.get(SEARCH, {"q": "трейд"}).status_code == 200
        return len(context)

    def add(count):
        for index in range(count):
            company = CompanyFactory(name=f"Трейд {index}", owner=team.manager)
            ContactFactory(first_name="Трейдер", company=company)
            make_deal(owner=team.colleague, title=f"Трейд {index}", company=company)

    add(2)
    few = queries()
    add(SEARCH_LIMIT + 5)
    assert queries() == few
