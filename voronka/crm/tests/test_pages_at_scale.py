"""Pages that slowed down with data at 100k deals (issue 10): the company card, the company
choices of the contact and plan forms, the lead-sources settings. Each costs the same queries
for few and many rows, and shows exactly the rows the visibility rule allows."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, LeadSourceFactory, make_deal
from voronka.accounts.visibility import visible_activities, visible_contacts
from voronka.activities.services import activity_log
from voronka.administration import services as settings_services
from voronka.core.choices import OPTION_LIMIT

from .team import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return make_team()


def query_count(client, url) -> int:
    client.get(url)  # warm-up: the first request also fills per-process caches
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize("role", ["admin", "head", "manager"])
def test_the_company_card_costs_the_same_queries_for_few_and_many_deals(client, pipeline, role):
    team = make_team()
    company = CompanyFactory(owner=team.manager)
    url = reverse("crm:company_detail", args=[company.pk])
    client.force_login(getattr(team, role))

    def add(count):
        for index in range(count):
            deal = make_deal(owner=team.manager, company=company, title=f"Сделка {index}")
            person = ContactFactory(company=company, owner=team.manager)
            activity_log(kind="call", subject=f"Звонок {index}", owner=team.manager, deal=deal)
            activity_log(kind="note", subject="О человеке", owner=team.colleague, contact=person)

    add(1)
    client.get(url)
    few = query_count(client, url)
    add(30)
    assert query_count(client, url) == few
    assert few <= 16


def test_the_company_timeline_has_the_company_its_deals_and_its_people(client, pipeline):
    team = make_team()
    company = CompanyFactory(owner=team.manager)
    other = CompanyFactory(owner=team.manager)
    deal = make_deal(owner=team.manager, company=company)
    person = ContactFactory(company=company, owner=team.manager)
    activity_log(kind="call", subject="По компании", owner=team.manager, company=company)
    activity_log(kind="call", subject="По сделке", owner=team.manager, deal=deal)
    activity_log(kind="note", subject="По человеку", owner=team.manager, contact=person)
    activity_log(kind="note", subject="Другая компания", owner=team.manager, company=other)
    # A colleague's call on the manager's deal belongs to the story; a stranger's own note on
    # the company's person is not the manager's to read.
    activity_log(kind="call", subject="Коллега звонил", owner=team.stranger, deal=deal)
    activity_log(kind="note", subject="Чужая заметка", owner=team.stranger, contact=person)
    client.force_login(team.manager)

    response = client.get(reverse("crm:company_detail", args=[company.pk]))

    assert [activity.subject for activity in response.context["timeline"]] == [
        "Коллега звонил",
        "По человеку",
        "По сделке",
        "По компании",
    ]


def test_a_head_sees_contacts_and_activities_through_the_department(pipeline):
    team = make_team()
    by_member = CompanyFactory(owner=team.colleague, name="Компания коллеги")
    by_deal = CompanyFactory(owner=team.stranger, name="Сделка коллеги")
    hidden = CompanyFactory(owner=team.stranger, name="Чужая")
    member_deal = make_deal(owner=team.colleague, company=by_deal)
    stranger_deal = make_deal(owner=team.stranger, company=hidden)
    ContactFactory(company=by_member, owner=team.stranger, first_name="Через владельца")
    ContactFactory(company=by_deal, owner=team.stranger, first_name="Через сделку")
    ContactFactory(company=hidden, owner=team.manager, first_name="Свой")
    ContactFactory(company=hidden, owner=team.stranger, first_name="Скрытый")
    activity_log(
        kind="call", subject="Чужой звонок по сделке", owner=team.stranger, deal=member_deal
    )
    activity_log(kind="call", subject="Чужая сделка", owner=team.stranger, deal=stranger_deal)
    activity_log(kind="note", subject="Своя заметка", owner=team.manager, deal=stranger_deal)

    contacts = visible_contacts(team.head).order_by("first_name")
    assert list(contacts.values_list("first_name", flat=True)) == [
        "Свой",
        "Через владельца",
        "Через сделку",
    ]
    activities = visible_activities(team.head).order_by("subject")
    assert list(activities.values_list("subject", flat=True)) == [
        "Своя заметка",
        "Чужой звонок по сделке",
    ]
    assert list(
        visible_activities(team.stranger).order_by("subject").values_list("subject", flat=True)
    ) == [
        "Своя заметка",  # the manager's note on the stranger's deal
        "Чужая сделка",
        "Чужой звонок по сделке",
    ]


def test_the_contact_form_lists_a_few_companies_and_accepts_any_visible_one(client, team):
    companies = [
        CompanyFactory(owner=team.manager, name=f"Компания {index:03}")
        for index in range(OPTION_LIMIT + 10)
    ]
    hidden = CompanyFactory(owner=team.stranger, name="Чужая")
    client.force_login(team.manager)
    url = reverse("crm:contact_create")

    few = query_count(client, url)
    page = client.get(url).content.decode()
    select = page.split('name="company"', 1)[1].split("</select>", 1)[0]
    assert select.count("<option") == OPTION_LIMIT + 1  # and the empty choice
    assert 'data-testid="company-search"' in page
    CompanyFactory.create_batch(20, owner=team.manager)
    assert query_count(client, url) == few

    last = companies[-1]  # beyond the first OPTION_LIMIT by name
    response = client.post(url, {"first_name": "Ольга", "company": last.pk})
    assert response.status_code == 302
    assert last.contacts.get().first_name == "Ольга"
    refused = client.post(url, {"first_name": "Пётр", "company": hidden.pk})
    assert refused.status_code == 400
    assert hidden.contacts.count() == 0


def test_the_plan_form_lists_a_few_companies_and_keeps_a_chosen_one(client, team):
    companies = [
        CompanyFactory(owner=team.manager, name=f"Компания {index:03}")
        for index in range(OPTION_LIMIT + 10)
    ]
    client.force_login(team.admin)
    url = reverse("plans:create")

    few = query_count(client, url)
    page = client.get(url).content.decode()
    select = page.split('name="company"', 1)[1].split("</select>", 1)[0]
    assert select.count("<option") == OPTION_LIMIT + 1
    assert 'data-testid="company-search"' in page
    CompanyFactory.create_batch(20, owner=team.manager)
    assert query_count(client, url) == few

    last = companies[-1]
    # A form sent back with an error keeps the chosen company among its options.
    response = client.post(
        url, {"dimension": "customer", "company": last.pk, "period": "month", "target_amount": ""}
    )
    assert response.status_code == 400
    assert "company" not in response.context["form"].errors
    select = response.content.decode().split('name="company"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{last.pk}" selected>{last.name}</option>' in select


def test_lead_sources_count_deals_and_sum_costs_in_constant_queries(admin_client, pipeline):
    team = make_team()
    fair, ads = LeadSourceFactory(name="Выставка"), LeadSourceFactory(name="Реклама")
    url = reverse("administration:lead_sources")

    def add(count):
        for _ in range(count):
            make_deal(owner=team.manager, lead_source=fair)
        make_deal(owner=team.manager, lead_source=ads)

    add(2)
    settings_services.lead_source_cost_set(source=fair, month=date(2026, 3, 1), amount=100)
    settings_services.lead_source_cost_set(source=fair, month=date(2026, 4, 1), amount=50)
    admin_client.get(url)
    few = query_count(admin_client, url)
    add(25)
    assert query_count(admin_client, url) == few
    sources = {
        source.name: (source.deal_count, source.total_cost)
        for source in admin_client.get(url).context["sources"]
    }
    assert sources["Выставка"] == (27, Decimal("150.00"))
    assert sources["Реклама"] == (2, None)
