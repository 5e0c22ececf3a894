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


def test_deal_pipeline_company_and_close_dates_filter_alike_in_the_api_and_on_the_page(
    client, admin_user, admin_api
):
    from datetime import date

    from tests.factories import make_pipeline
    from voronka.pipeline.models import Pipeline

    sales = make_pipeline()
    archived = make_pipeline(name="Старая", is_default=False)
    romashka, vasilek = CompanyFactory(name="ООО Ромашка"), CompanyFactory(name="АО Василёк")
    owner = UserFactory()
    march = make_deal(
        owner=owner, pipeline=sales, company=romashka, expected_close_date=date(2026, 3, 31)
    )
    april = make_deal(
        owner=owner, pipeline=sales, company=vasilek, expected_close_date=date(2026, 4, 1)
    )
    old = make_deal(
        owner=owner, pipeline=archived, company=romashka, expected_close_date=date(2026, 5, 15)
    )
    make_deal(owner=owner, pipeline=sales, company=romashka)  # no expected close date
    Pipeline.objects.filter(pk=archived.pk).update(is_active=False)
    client.force_login(admin_user)
    cases = [
        ({"pipeline_id": archived.pk}, {"pipeline": archived.pk}, [old.pk]),
        (
            {"company_id": romashka.pk, "close_from": "2026-03-01"},
            {"company": romashka.pk, "expected_close_after": "2026-03-01"},
            sorted([march.pk, old.pk]),
        ),
        (
            {"close_from": "2026-03-31", "close_to": "2026-04-01"},
            {"expected_close_after": "2026-03-31", "expected_close_before": "2026-04-01"},
            sorted([march.pk, april.pk]),
        ),
        ({"close_to": "2026-03-31"}, {"expected_close_before": "2026-03-31"}, [march.pk]),
    ]
    for api_query, page_query, expected in cases:
        assert _api_ids(admin_api, "deals", api_query) == expected, api_query
        assert _page_ids(client, "pipeline:deal_list", page_query) == expected, page_query


def test_a_company_the_caller_may_not_see_is_a_422_for_deals_as_for_contacts(manager_api):
    stranger_company = CompanyFactory(owner=UserFactory(role="manager"))
    for path in ("deals", "contacts"):
        response = manager_api.get(path, {"company_id": stranger_company.pk})
        assert response.status_code == 422, path
        assert list(response.json()["fields"]) == ["company_id"]


def test_activity_kind_and_owner_filter_alike_in_the_api_and_on_my_tasks(
    client, admin_user, admin_api
):
    from datetime import timedelta

    from django.utils import timezone

    from voronka.activities.services import activity_log

    later = timezone.now() + timedelta(days=3)
    anna, boris = UserFactory(role="manager"), UserFactory(role="manager")
    deal = make_deal(owner=anna)
    call = activity_log(kind="call", subject="Звонок", owner=anna, deal=deal, due_at=later)
    task = activity_log(kind="task", subject="КП", owner=anna, deal=deal, due_at=later)
    other = activity_log(kind="call", subject="Звонок", owner=boris, due_at=later)
    client.force_login(admin_user)
    cases = [
        ({"kind": "call", "owner_id": anna.pk}, {"kind": "call", "owner": anna.pk}, [call.pk]),
        ({"owner_id": anna.pk}, {"owner": anna.pk}, sorted([call.pk, task.pk])),
        ({"kind": "call"}, {"kind": "call", "owner": "all"}, sorted([call.pk, other.pk])),
    ]
    for api_query, page_query, expected in cases:
        api_query = {**api_query, "done": "false"}  # the page's "upcoming" tab: open ones
        assert _api_ids(admin_api, "activities", api_query) == expected, api_query
        page = {**page_query, "tab": "upcoming"}
        assert _page_ids(client, "activities:my_tasks", page) == expected, page_query


def test_plan_filters_give_the_same_plans_in_the_api_as_on_the_page(client, as_user):
    from datetime import date
    from decimal import Decimal

    from tests.factories import DepartmentFactory
    from voronka.plans import services as plan_services

    office = DepartmentFactory(name="Москва")
    team = DepartmentFactory(name="Москва-1", parent=office)
    elsewhere = DepartmentFactory(name="Питер")
    head = UserFactory(role="head", department=office)
    admin = UserFactory(role="admin")

    def plan(target, dimension, period, start):
        return plan_services.plan_create(
            user=admin,
            period=period,
            period_start=start,
            dimension=dimension,
            target=target,
            target_amount=Decimal(1000),
        ).pk

    member = UserFactory(role="manager", department=team)
    stranger = UserFactory(role="manager", department=elsewhere)
    may_member = plan(member, "employee", "month", date(2026, 5, 1))
    quarter_team = plan(team, "department", "quarter", date(2026, 4, 1))
    plan(stranger, "employee", "month", date(2026, 5, 1))
    plan(member, "employee", "month", date(2026, 6, 1))
    client.force_login(head)
    head_api = as_user(head)

    def page_ids(query):
        response = client.get(reverse("plans:list"), query)
        assert response.status_code == 200
        return sorted(item.plan.pk for r in response.context["rollups"] for item in r.items)

    cases = [
        ({"on": "2026-05-20"}, [may_member, quarter_team]),
        ({"on": "2026-05-20", "dimension": "department"}, [quarter_team]),
        ({"on": "2026-05-20", "department": str(office.pk)}, [may_member, quarter_team]),
    ]
    for query, expected in cases:
        assert page_ids(query) == expected, query
        api_query = {("department_id" if k == "department" else k): v for k, v in query.items()}
        assert _api_ids(head_api, "plans", api_query) == expected, query
    # The API's own filters narrow the same set.
    assert _api_ids(head_api, "plans", {"period": "quarter"}) == [quarter_team]
