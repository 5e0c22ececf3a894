"""The company list's count and industry choices are read once per user, filter and data change
(issue 10): both scan every visible company, so paging or re-sorting reads them from the cache;
a company or deal change counts anew."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CompanyFactory, make_deal
from voronka.crm import services

from .team import make_team

pytestmark = pytest.mark.django_db
LIST = reverse("crm:company_list")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def team():
    team = make_team()
    CompanyFactory(name="Альфа", owner=team.manager, industry="Металл")
    CompanyFactory(name="Бета", owner=team.colleague, industry="Лес")
    CompanyFactory(name="Гамма", owner=team.stranger, industry="Нефть")
    return team


def visit(client, **params):
    """(count, industries offered), and how many queries counted or listed industries."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200
    reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT COUNT(")
        and 'FROM "crm_company"' in q["sql"]
        or 'SELECT DISTINCT "crm_company"."industry"' in q["sql"]
    ]
    industries = [
        value for value, _label in response.context["filter"].form["industry"].field.choices
    ][1:]
    return (response.context["page"].paginator.count, industries), len(reads)


def test_paging_and_sorting_the_same_rows_reuse_the_count_and_industries(client, team):
    client.force_login(team.head)

    assert visit(client) == ((2, ["Лес", "Металл"]), 2)
    assert visit(client, sort="-won") == ((2, ["Лес", "Металл"]), 0)
    assert visit(client, page="2", sort="name") == ((2, ["Лес", "Металл"]), 0)


def test_another_filter_counts_its_own_rows(client, team):
    client.force_login(team.head)
    visit(client)

    assert visit(client, industry="Лес") == ((1, ["Лес", "Металл"]), 1)
    assert visit(client) == ((2, ["Лес", "Металл"]), 0)


def test_a_company_change_counts_anew(client, team):
    client.force_login(team.head)
    visit(client)

    company = CompanyFactory(name="Дельта", owner=team.manager, industry="Уголь")
    assert visit(client) == ((3, ["Лес", "Металл", "Уголь"]), 2)
    services.company_update(company=company, user=team.head, industry="Газ")
    assert visit(client) == ((3, ["Газ", "Лес", "Металл"]), 2)


def test_a_deal_with_another_sellers_company_shows_it_at_once(client, team, pipeline):
    stranger_company = CompanyFactory(name="Дзета", owner=team.stranger, industry="Химия")
    client.force_login(team.manager)
    assert visit(client)[0] == (1, ["Металл"])

    make_deal(owner=team.manager, company=stranger_company)
    assert visit(client) == ((2, ["Металл", "Химия"]), 2)


def test_the_cache_is_never_shared_between_users(client, team):
    client.force_login(team.head)
    assert visit(client)[0] == (2, ["Лес", "Металл"])

    client.force_login(team.manager)
    assert visit(client) == ((1, ["Металл"]), 2)
    client.force_login(team.admin)
    assert visit(client) == ((3, ["Лес", "Металл", "Нефть"]), 2)
