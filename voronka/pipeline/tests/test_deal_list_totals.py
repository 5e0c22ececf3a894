"""The deal list's count and sum are computed once per user, filter and data change (issue 10):
paging or re-sorting the same rows reads them from the cache; any deal change counts anew."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_deal
from voronka.crm.tests.team import make_team
from voronka.pipeline import services

pytestmark = pytest.mark.django_db
LIST = reverse("pipeline:deal_list")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def team(pipeline):
    team = make_team()
    make_deal(owner=team.manager, amount=Decimal("300"))
    make_deal(owner=team.colleague, amount=Decimal("200"))
    make_deal(owner=team.stranger, amount=Decimal("1000"))
    return team


def visit(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200
    totals_queries = [q for q in queries if 'SUM("pipeline_deal"."amount")' in q["sql"]]
    page = response.context["page"]
    return (page.paginator.count, response.context["total_amount"]), len(totals_queries)


def test_paging_and_sorting_the_same_rows_reuse_the_totals(client, team):
    client.force_login(team.head)

    assert visit(client) == ((2, Decimal("500")), 1)
    assert visit(client, sort="-amount") == ((2, Decimal("500")), 0)
    assert visit(client, page="2", sort="title") == ((2, Decimal("500")), 0)


def test_another_filter_counts_its_own_totals(client, team):
    client.force_login(team.head)
    visit(client)

    assert visit(client, owner=team.manager.pk) == ((1, Decimal("300")), 1)
    assert visit(client) == ((2, Decimal("500")), 0)


def test_a_deal_change_counts_anew(client, team):
    client.force_login(team.head)
    visit(client)

    deal = make_deal(owner=team.manager, amount=Decimal("50"))
    assert visit(client) == ((3, Decimal("550")), 1)
    services.deal_change_amount(deal=deal, amount=Decimal("75"), user=team.head)
    assert visit(client) == ((3, Decimal("575")), 1)


def test_totals_are_never_shared_between_users(client, team):
    client.force_login(team.head)
    assert visit(client)[0] == (2, Decimal("500"))

    client.force_login(team.manager)
    assert visit(client) == ((1, Decimal("300")), 1)
    client.force_login(team.admin)
    assert visit(client) == ((3, Decimal("1500")), 1)
