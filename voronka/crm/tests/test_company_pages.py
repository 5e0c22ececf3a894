"""Company list, page, create and edit: visibility per role, filters, sorting, paging, queries."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, LostReasonFactory, make_deal
from voronka.activities.services import activity_log
from voronka.crm.models import Company
from voronka.pipeline import services

from .team import make_team

pytestmark = pytest.mark.django_db
LIST = reverse("crm:company_list")


@pytest.fixture
def team():
    return make_team()


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English, whatever the organisation's language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def names(response) -> list[str]:
    return [company.name for company in response.context["page"]]


def test_the_company_list_needs_a_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_manager_sees_own_companies_and_those_with_own_deals_only(client, team, pipeline):
    CompanyFactory(name="Альфа", owner=team.manager)
    with_deal = CompanyFactory(name="Бета", owner=team.stranger)
    make_deal(owner=team.manager, company=with_deal)
    CompanyFactory(name="Гамма", owner=team.stranger)
    CompanyFactory(name="Дельта", owner=team.colleague)
    client.force_login(team.manager)
    assert names(client.get(LIST)) == ["Альфа", "Бета"]


def test_a_head_sees_the_department_and_an_admin_everything(client, team):
    CompanyFactory(name="Альфа", owner=team.manager)
    CompanyFactory(name="Дельта", owner=team.colleague)
    CompanyFactory(name="Гамма", owner=team.stranger)
    client.force_login(team.head)
    assert names(client.get(LIST)) == ["Альфа", "Дельта"]
    client.force_login(team.admin)
    assert names(client.get(LIST)) == ["Альфа", "Гамма", "Дельта"]
    client.force_login(team.viewer)
    assert names(client.get(LIST)) == ["Альфа", "Гамма", "Дельта"]


def test_filters_by_type_owner_industry_text_and_maturity(client, team, pipeline):
    alpha = CompanyFactory(
        name="Альфа",
        owner=team.manager,
        customer_type="enterprise",
        industry="Ритейл",
        inn="7707083893",
    )
    CompanyFactory(name="Бета", owner=team.colleague, customer_type="small", industry="IT")
    for _ in range(2):
        services.deal_win(deal=make_deal(owner=team.manager, company=alpha), user=team.manager)
    client.force_login(team.head)
    assert names(client.get(LIST, {"customer_type": "enterprise"})) == ["Альфа"]
    assert names(client.get(LIST, {"owner": team.colleague.pk})) == ["Бета"]
    assert names(client.get(LIST, {"industry": "IT"})) == ["Бета"]
    assert names(client.get(LIST, {"q": "альф"})) == ["Альфа"]
    assert names(client.get(LIST, {"q": "770708"})) == ["Альфа"]
    assert names(client.get(LIST, {"maturity": "returning"})) == ["Альфа"]
    assert names(client.get(LIST, {"maturity": "prospect"})) == ["Бета"]
    assert names(client.get(LIST, {"maturity": "new"})) == []


def test_an_owner_the_user_cannot_see_is_a_400_with_the_message(client, team):
    CompanyFactory(name="Альфа", owner=team.manager)
    client.force_login(team.head)
    response = client.get(LIST, {"owner": team.stranger.pk})
    assert response.status_code == 400
    assert "Some filters were not applied" in response.content.decode()
    assert names(response) == ["Альфа"]


def test_sorting_by_a_column_both_ways_and_a_bad_sort_falls_back(client, team):
    CompanyFactory(name="Бета", owner=team.manager, inn="7707083893")
    CompanyFactory(name="Альфа", owner=team.manager, inn="5001000001")
    CompanyFactory(name="Вега", owner=team.manager)
    client.force_login(team.manager)
    assert names(client.get(LIST, {"sort": "-name"})) == ["Вега", "Бета", "Альфа"]
    # Empty INNs are not NULL: "" sorts first ascending.
    assert names(client.get(LIST, {"sort": "inn"})) == ["Вега", "Альфа", "Бета"]
    for bad in ("owner__password", "-", "name;drop", "🙂"):
        response = client.get(LIST, {"sort": bad})
        assert response.status_code == 200
        assert names(response) == ["Альфа", "Бета", "Вега"]


def test_pages_hold_50_rows_and_bad_page_numbers_show_a_page(client, team):
    CompanyFactory.create_batch(51, owner=team.manager)
    client.force_login(team.manager)
    first = client.get(LIST)
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.num_pages == 2
    assert len(client.get(LIST, {"page": 2}).context["page"]) == 1
    for bad in ("abc", "-1", "999", "", "1.5"):
        response = client.get(LIST, {"page": bad})
        assert response.status_code == 200
        assert len(response.context["page"]) in (1, 50)


def test_htmx_refresh_answers_the_table_only(client, team):
    CompanyFactory(name="Альфа", owner=team.manager)
    client.force_login(team.manager)
    response = client.get(LIST, {"q": "Альфа"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'data-testid="company-table"' in body
    assert "Альфа" in body


@pytest.mark.parametrize("rows", [10, 100])
def test_the_list_costs_the_same_queries_for_10_and_100_companies(
    client, team, rows, django_assert_max_num_queries
):
    for index in range(rows):
        owner = team.manager if index % 2 else team.colleague
        CompanyFactory(owner=owner, industry=f"Отрасль {index % 3}")
    client.force_login(team.head)
    # A first visit also counts the rows and lists the industries (both then cached) after
    # two index reads of the latest company and deal change.
    with django_assert_max_num_queries(14):
        response = client.get(LIST, {"sort": "-won"})
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"sort": "-won", "page": "2"})
    assert response.status_code == 200


def _count_queries(context) -> int:
    return sum(
        query["sql"].startswith('SELECT COUNT("crm_company"."id")')
        for query in context.captured_queries
    )


def test_the_list_counts_its_rows_once_per_filter_and_change(client, team, pipeline):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(3):
        CompanyFactory(owner=team.manager, name=f"Своя {index}")
    CompanyFactory(owner=team.stranger, name="Чужая")
    shared = CompanyFactory(owner=team.stranger, name="Общая")
    client.force_login(team.head)

    def visit(**params):
        with CaptureQueriesContext(connection) as context:
            response = client.get(LIST, params)
        return response.context["page"].paginator.count, _count_queries(context)

    assert visit() == (3, 1)
    assert visit() == (3, 0)  # counted already
    assert visit(sort="-name", page="2") == (3, 0)  # the same rows, another order and page
    assert visit(q="Своя 1") == (1, 1)  # another filter counts its own
    CompanyFactory(owner=team.colleague)
    assert visit() == (4, 1)  # a new company counts anew
    make_deal(owner=team.manager, company=shared, pipeline=pipeline)
    assert visit() == (5, 1)  # so does a deal that shows the head another company


# ---------------------------------------------------------------- the company page


def test_another_departments_company_is_a_404(client, team):
    company = CompanyFactory(owner=team.stranger)
    client.force_login(team.manager)
    assert client.get(reverse("crm:company_detail", args=[company.pk])).status_code == 404
    client.force_login(team.head)
    assert client.get(reverse("crm:company_detail", args=[company.pk])).status_code == 404
    assert client.get(reverse("crm:company_edit", args=[company.pk])).status_code == 404


def test_the_company_page_shows_repeat_purchases_deals_contacts_and_timeline(
    client, team, pipeline, django_assert_max_num_queries
):
    company = CompanyFactory(name="Альфа", owner=team.manager)
    ContactFactory(first_name="Ольга", last_name="Смирнова", company=company)
    first = make_deal(owner=team.manager, company=company, title="Первая поставка")
    services.deal_win(deal=first, user=team.manager, at=datetime(2025, 3, 10, 12, tzinfo=UTC))
    second = make_deal(owner=team.manager, company=company, title="Вторая поставка")
    services.deal_win(deal=second, user=team.manager, at=datetime(2026, 1, 20, 12, tzinfo=UTC))
    lost = make_deal(owner=team.manager, company=company, title="Сервис")
    services.deal_lose(deal=lost, user=team.manager, reason=LostReasonFactory())
    make_deal(owner=team.manager, company=company, title="Расширение")
    activity_log(kind="call", subject="Обсудили продление", owner=team.manager, company=company)
    activity_log(kind="note", subject="Про сделку", owner=team.manager, deal=lost)

    client.force_login(team.manager)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("crm:company_detail", args=[company.pk]))
    assert response.status_code == 200
    history = response.context["history"]
    assert history.won_count == 2
    assert history.first_purchase_at == datetime(2025, 3, 10, 12, tzinfo=UTC)
    assert history.latest_purchase_at == datetime(2026, 1, 20, 12, tzinfo=UTC)
    assert history.is_returning
    assert history.open_count == 1
    assert history.lost_count == 1
    assert history.visible_won_amount == Decimal("200000")
    body = response.content.decode()
    assert "Returning customer" in body or "Постоянный" in body or "maturity-returning" in body
    assert [deal.title for deal in response.context["deals"]] == [
        "Расширение",
        "Сервис",
        "Вторая поставка",
        "Первая поставка",
    ]
    assert 'data-status="won"' in body and 'data-status="lost"' in body
    assert "Ольга Смирнова" in body
    assert [a.subject for a in response.context["timeline"]] == [
        "Про сделку",
        "Обсудили продление",
    ]


def test_a_head_does_not_see_other_departments_deals_on_a_shared_company(client, team, pipeline):
    company = CompanyFactory(owner=team.manager)
    make_deal(owner=team.manager, company=company, title="Наша")
    services.deal_win(
        deal=make_deal(owner=team.stranger, company=company, title="Чужая"), user=team.stranger
    )
    client.force_login(team.head)
    response = client.get(reverse("crm:company_detail", args=[company.pk]))
    assert [deal.title for deal in response.context["deals"]] == ["Наша"]
    # Maturity is a fact about the company: the other department's purchase counts.
    assert response.context["history"].won_count == 1
    assert response.context["history"].visible_won_amount == 0


# ---------------------------------------------------------------- create and edit


def company_data(**overrides):
    return {"name": "ООО Ромашка", "inn": "", "customer_type": "small", **overrides}


def test_viewers_cannot_create_or_edit_companies(client, team):
    company = CompanyFactory(owner=team.manager)
    client.force_login(team.viewer)
    assert client.get(reverse("crm:company_create")).status_code == 403
    assert client.post(reverse("crm:company_create"), company_data()).status_code == 403
    assert (
        client.post(reverse("crm:company_edit", args=[company.pk]), company_data()).status_code
        == 403
    )
    assert Company.objects.count() == 1
    assert 'data-testid="company-create"' not in client.get(LIST).content.decode()


def test_a_manager_creates_a_company_they_own(client, team):
    client.force_login(team.manager)
    response = client.post(
        reverse("crm:company_create"), company_data(inn=" 7707083893 ", email="info@romashka.ru")
    )
    company = Company.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:company_detail", args=[company.pk])
    assert (company.name, company.inn, company.owner, company.email) == (
        "ООО Ромашка",
        "7707083893",
        team.manager,
        "info@romashka.ru",
    )
    # A manager's form has no owner field; posting one changes nothing.
    client.post(reverse("crm:company_create"), company_data(name="Вторая", owner=team.colleague.pk))
    assert Company.objects.get(name="Вторая").owner == team.manager


@pytest.mark.parametrize(
    "inn, message",
    [
        ("12345", "The INN must be 10 digits"),
        ("77070838931", "The INN must be 10 digits"),
        ("77O7083893", "The INN must be 10 digits"),
    ],
)
def test_a_bad_inn_is_refused_with_a_message(client, team, inn, message):
    client.force_login(team.manager)
    response = client.post(reverse("crm:company_create"), company_data(inn=inn))
    assert response.status_code == 400
    assert response.context["form"].errors["inn"] == [
        "The INN must be 10 digits (organisation) or 12 digits (sole trader)."
    ]
    assert message in response.content.decode() or "ИНН" in response.content.decode()
    assert not Company.objects.exists()


def test_a_duplicate_inn_and_a_bad_email_are_refused(client, team):
    CompanyFactory(owner=team.stranger, inn="500100732259")
    client.force_login(team.manager)
    response = client.post(reverse("crm:company_create"), company_data(inn="500100732259"))
    assert response.status_code == 400
    assert response.context["form"].errors["inn"] == ["Another company already has this INN."]
    response = client.post(reverse("crm:company_create"), company_data(email="not-an-email"))
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    response = client.post(reverse("crm:company_create"), company_data(name="   "))
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert Company.objects.count() == 1


def test_a_head_chooses_the_owner_among_the_department_only(client, team):
    client.force_login(team.head)
    response = client.post(reverse("crm:company_create"), company_data(owner=team.colleague.pk))
    assert response.status_code == 302
    assert Company.objects.get().owner == team.colleague
    response = client.post(
        reverse("crm:company_create"), company_data(name="Чужая", owner=team.stranger.pk)
    )
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors


def test_editing_keeps_the_own_inn_and_saves_the_changes(client, team):
    company = CompanyFactory(owner=team.manager, name="Старое имя", inn="7707083893")
    client.force_login(team.manager)
    response = client.get(reverse("crm:company_edit", args=[company.pk]))
    assert response.status_code == 200
    response = client.post(
        reverse("crm:company_edit", args=[company.pk]),
        company_data(name="Новое имя", inn="7707083893", industry="Логистика"),
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.inn, company.industry, company.owner) == (
        "Новое имя",
        "7707083893",
        "Логистика",
        team.manager,
    )
