"""The company list at volume (issue 10): purchase figures come from per-company subqueries,
so every sort and the maturity filter cost the same queries for few and many companies, and
the figures stay exact."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CompanyFactory, LostReasonFactory, make_deal
from voronka.crm.views import COMPANY_COLUMNS
from voronka.pipeline import services

from .team import make_team

pytestmark = pytest.mark.django_db
LIST = reverse("crm:company_list")


def won_deal(owner, company, when):
    deal = make_deal(owner=owner, company=company)
    services.deal_win(deal=deal, user=owner, at=when)


def test_purchase_figures_count_every_won_deal_of_the_company(client, pipeline):
    team = make_team()
    alpha = CompanyFactory(name="Альфа", owner=team.manager)
    won_deal(team.manager, alpha, datetime(2025, 3, 10, 12, tzinfo=UTC))
    # A colleague's win counts too: maturity is a fact about the company.
    won_deal(team.colleague, alpha, datetime(2026, 1, 20, 12, tzinfo=UTC))
    lost = make_deal(owner=team.manager, company=alpha)
    services.deal_lose(deal=lost, user=team.manager, reason=LostReasonFactory())
    CompanyFactory(name="Бета", owner=team.manager)
    client.force_login(team.manager)

    response = client.get(LIST, {"sort": "-won"})

    rows = [(c.name, c.won_count, c.last_purchase_at) for c in response.context["page"]]
    assert rows == [
        ("Альфа", 2, datetime(2026, 1, 20, 12, tzinfo=UTC)),
        ("Бета", 0, None),
    ]
    returning = client.get(LIST, {"maturity": "returning"})
    assert [c.name for c in returning.context["page"]] == ["Альфа"]


@pytest.mark.parametrize("role", ["head", "manager", "admin"])
def test_every_sort_costs_the_same_queries_for_few_and_many_companies(client, pipeline, role):
    team = make_team()
    user = getattr(team, role)
    client.force_login(user)
    client.get(LIST)

    def add(count):
        for index in range(count):
            company = CompanyFactory(owner=team.manager, industry=f"Отрасль {index % 3}")
            won_deal(team.colleague, company, datetime(2025, 1, 1 + index % 28, tzinfo=UTC))

    def queries() -> dict[str, int]:
        counts = {}
        for key in COMPANY_COLUMNS:
            for params in ({"sort": key}, {"sort": f"-{key}", "maturity": "new"}):
                with CaptureQueriesContext(connection) as context:
                    assert client.get(LIST, params).status_code == 200
                counts[repr(params)] = len(context)
        return counts

    add(2)
    few = queries()
    add(60)
    many = queries()
    assert many == few
    assert max(few.values()) <= 12
