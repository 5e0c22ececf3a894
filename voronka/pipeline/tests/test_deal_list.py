"""The deal list: visibility per role, filters, sorting, paging, export, queries, bulk actions."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import CompanyFactory, make_deal, make_pipeline
from voronka.crm.tests.team import make_team
from voronka.pipeline import services
from voronka.pipeline.models import (
    Deal,
    ExitRequirementKind,
    OwnerChange,
    StageExitRequirement,
)

pytestmark = pytest.mark.django_db
LIST = reverse("pipeline:deal_list")
BULK = reverse("pipeline:deal_bulk")


@pytest.fixture
def team():
    return make_team()


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def titles(response) -> list[str]:
    return [deal.title for deal in response.context["page"]]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def deals(team, pipeline, stages):
    """Four deals of the sales department and one of the regions, with distinct amounts."""
    alpha = CompanyFactory(name="Альфа", owner=team.manager)
    return {
        "pumps": make_deal(
            owner=team.manager, title="Насосы", amount=Decimal("300000"), company=alpha
        ),
        "valves": make_deal(owner=team.manager, title="Клапаны", amount=Decimal("50000")),
        "pipes": make_deal(
            owner=team.colleague, title="Трубы", amount=Decimal("120000"), stage=stages[1]
        ),
        "service": make_deal(owner=team.colleague, title="Сервис", amount=Decimal("10000")),
        "regions": make_deal(owner=team.stranger, title="Регион", amount=Decimal("999000")),
    }


# ---------------------------------------------------------------- reading the list


def test_the_deal_list_needs_a_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_each_role_sees_only_its_deals_with_count_and_total(en_client, team, deals):
    expected = {
        team.manager: (["Клапаны", "Насосы"], "350000"),
        team.head: (["Клапаны", "Насосы", "Сервис", "Трубы"], "480000"),
        team.admin: (["Клапаны", "Насосы", "Регион", "Сервис", "Трубы"], "1479000"),
        team.viewer: (["Клапаны", "Насосы", "Регион", "Сервис", "Трубы"], "1479000"),
    }
    for user, (visible, total) in expected.items():
        en_client.force_login(user)
        response = en_client.get(LIST, {"sort": "title"})
        assert response.status_code == 200
        assert titles(response) == visible
        assert response.context["page"].paginator.count == len(visible)
        assert response.context["total_amount"] == Decimal(total)


def test_filters_by_text_status_owner_and_stage(en_client, team, deals, stages):
    services.deal_win(deal=deals["service"], user=team.colleague)
    en_client.force_login(team.head)
    cases = [
        ({"q": "альф"}, ["Насосы"]),  # the company's name
        ({"q": "труб"}, ["Трубы"]),
        ({"status": "won"}, ["Сервис"]),
        ({"owner": team.colleague.pk}, ["Сервис", "Трубы"]),
        ({"stage": stages[1].pk}, ["Трубы"]),
        ({"status": "open", "owner": team.manager.pk}, ["Клапаны", "Насосы"]),
    ]
    for params, expected in cases:
        response = en_client.get(LIST, {**params, "sort": "title"})
        assert response.status_code == 200, params
        assert titles(response) == expected, params


def test_an_owner_the_head_cannot_see_is_a_400_with_a_message(en_client, team, deals):
    en_client.force_login(team.head)
    response = en_client.get(LIST, {"owner": team.stranger.pk})
    assert response.status_code == 400
    assert "Some filters were not applied" in response.content.decode()
    # The other department's deals never leak, whatever the filter says.
    assert "Регион" not in titles(response)


@pytest.mark.parametrize(
    "params", [{"created_after": "not-a-date"}, {"pipeline": "abc"}, {"status": "??"}]
)
def test_malformed_filters_are_a_400_never_a_500(en_client, team, deals, params):
    en_client.force_login(team.admin)
    assert en_client.get(LIST, params).status_code == 400


def test_sorting_both_ways_and_a_bad_column_falls_back_to_newest_first(en_client, team, deals):
    en_client.force_login(team.head)
    assert titles(en_client.get(LIST, {"sort": "amount"})) == [
        "Сервис",
        "Клапаны",
        "Трубы",
        "Насосы",
    ]
    assert titles(en_client.get(LIST, {"sort": "-amount"})) == [
        "Насосы",
        "Трубы",
        "Клапаны",
        "Сервис",
    ]
    response = en_client.get(LIST, {"sort": "password"})
    assert response.status_code == 200
    assert titles(response) == ["Сервис", "Трубы", "Клапаны", "Насосы"]


def test_pages_hold_50_deals_and_bad_page_numbers_show_a_page(en_client, team, pipeline):
    for index in range(55):
        make_deal(owner=team.manager, title=f"Сделка {index:02d}")
    en_client.force_login(team.manager)
    first = en_client.get(LIST, {"sort": "title"})
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.num_pages == 2
    last = en_client.get(LIST, {"sort": "title", "page": "2"})
    assert titles(last) == [f"Сделка {index:02d}" for index in range(50, 55)]
    assert titles(en_client.get(LIST, {"sort": "title", "page": "999"})) == titles(last)
    assert en_client.get(LIST, {"sort": "title", "page": "abc"}).context["page"].number == 1


def test_htmx_refresh_answers_the_table_only(en_client, team, deals):
    en_client.force_login(team.manager)
    response = en_client.get(LIST, {"q": "Насос"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'data-testid="deal-table"' in body
    assert "Насосы" in body and "Клапаны" not in body
    assert '<strong data-testid="list-count">1</strong> deal ·' in body


@pytest.mark.parametrize("user_role", ["head", "manager"])
def test_the_list_costs_the_same_queries_for_few_and_many_deals(
    en_client, team, pipeline, stages, user_role
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = getattr(team, user_role)
    en_client.force_login(user)
    en_client.get(LIST)  # the organisation row is created on the first view

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert en_client.get(LIST, {"sort": "-amount"}).status_code == 200
        return len(context)

    def add(count):
        for index in range(count):
            make_deal(
                owner=team.manager if index % 2 else team.colleague,
                stage=stages[index % len(stages)],
                company=CompanyFactory(owner=team.manager),
            )

    add(3)
    few = queries()
    add(60)
    many = queries()
    assert many == few
    # Includes the deals' change stamp that keys the cached totals, the header's department,
    # and the page's stages and pipelines read apart from the rows (a narrower join to plan).
    assert few <= 20


# ---------------------------------------------------------------- export


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_csv_export_holds_the_filtered_visible_rows_in_the_list_order(en_client, team, deals):
    en_client.force_login(team.head)
    response = en_client.get(LIST, {"export": "csv", "status": "open", "sort": "-amount"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="deals.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:7] == ["ID", "Deal", "Company", "Pipeline", "Stage", "Status", "Amount"]
    assert [row[1:3] + [row[6]] for row in rows[1:]] == [
        ["Насосы", "Альфа", "300000.00"],
        ["Трубы", "", "120000.00"],
        ["Клапаны", "", "50000.00"],
        ["Сервис", "", "10000.00"],
    ]
    assert [row[4] for row in rows[1:]] == [
        "Новый контакт",
        "Переговоры",
        "Новый контакт",
        "Новый контакт",
    ]


def test_xlsx_export_holds_the_same_rows(en_client, team, deals):
    en_client.force_login(team.manager)
    response = en_client.get(LIST, {"export": "xlsx", "sort": "title"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Deal"
    assert [(row[1], row[6]) for row in rows[1:]] == [("Клапаны", 50000), ("Насосы", 300000)]


def test_an_unknown_export_format_shows_the_page(en_client, team, deals):
    en_client.force_login(team.manager)
    response = en_client.get(LIST, {"export": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# ---------------------------------------------------------------- bulk actions


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_only_heads_and_admins_change_deals_in_bulk(en_client, team, deals, role):
    en_client.force_login(getattr(team, role))
    response = en_client.post(
        BULK,
        {"action": "reassign", "owner": team.manager.pk, "deals": [deals["valves"].pk]},
    )
    assert response.status_code == 403
    assert Deal.objects.get(pk=deals["valves"].pk).owner == team.manager


def test_bulk_actions_are_post_only_and_need_a_login(client, team):
    assert client.post(BULK, {"action": "reassign"}).status_code == 302
    client.force_login(team.head)
    assert client.get(BULK).status_code == 405


def test_the_bulk_bar_is_shown_to_heads_only(en_client, team, deals):
    en_client.force_login(team.head)
    assert 'data-testid="bulk-form"' in en_client.get(LIST).content.decode()
    en_client.force_login(team.manager)
    assert 'data-testid="bulk-form"' not in en_client.get(LIST).content.decode()


def test_head_reassigns_selected_deals_with_history(en_client, team, deals):
    en_client.force_login(team.head)
    chosen = [deals["pumps"].pk, deals["valves"].pk]
    response = en_client.post(
        BULK,
        {"action": "reassign", "owner": team.colleague.pk, "deals": chosen, "filters": "q=a"},
        follow=True,
    )
    assert response.redirect_chain == [(f"{LIST}?q=a", 302)]
    assert messages_of(response) == ["2 deals reassigned to Пётр Петров."]
    assert set(Deal.objects.filter(pk__in=chosen).values_list("owner", flat=True)) == {
        team.colleague.pk
    }
    changes = OwnerChange.objects.filter(deal_id__in=chosen)
    assert sorted(changes.values_list("old_owner", "new_owner", "changed_by")) == [
        (team.manager.pk, team.colleague.pk, team.head.pk),
        (team.manager.pk, team.colleague.pk, team.head.pk),
    ]


def test_reassigning_to_someone_outside_the_team_is_a_400_and_changes_nothing(
    en_client, team, deals
):
    en_client.force_login(team.head)
    response = en_client.post(
        BULK, {"action": "reassign", "owner": team.stranger.pk, "deals": [deals["pumps"].pk]}
    )
    assert response.status_code == 400
    assert "Choose one of your team&#x27;s sellers." in response.content.decode()
    assert Deal.objects.get(pk=deals["pumps"].pk).owner == team.manager
    assert not OwnerChange.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "reassign", "deals": ["1"]}, "Choose who gets the deals."),
        ({"action": "move", "deals": ["1"]}, "Choose the stage to move the deals to."),
        ({"action": "explode", "deals": ["1"]}, "Select a valid choice."),
        ({"action": "reassign", "owner": "OWNER"}, "Select at least one deal."),
        ({"action": "reassign", "owner": "OWNER", "deals": ["x", ""]}, "Select at least one deal."),
        ({"action": "move", "stage": "999999", "deals": ["1"]}, "Select a valid choice."),
    ],
)
def test_bad_bulk_input_is_a_400_with_a_clear_message(en_client, team, deals, data, message):
    if data.get("owner") == "OWNER":
        data = {**data, "owner": team.colleague.pk}
    en_client.force_login(team.head)
    response = en_client.post(BULK, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OwnerChange.objects.exists()


def test_bulk_move_applies_what_it_can_and_reports_each_refused_deal(
    en_client, team, deals, stages
):
    services.deal_win(deal=deals["service"], user=team.colleague)
    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.FIELD, field_name="expected_close_date"
    )
    ready = deals["pumps"]
    services.deal_update(deal=ready, user=team.manager, expected_close_date=date(2026, 12, 1))
    chosen = [ready.pk, deals["valves"].pk, deals["service"].pk, deals["pipes"].pk]
    en_client.force_login(team.head)
    response = en_client.post(
        BULK, {"action": "move", "stage": stages[2].pk, "deals": chosen}, follow=True
    )
    assert response.status_code == 200
    valves, service = deals["valves"], deals["service"]
    assert messages_of(response) == [
        "2 deals moved to «Выставление КП».",
        "2 deals were not changed:",
        f"«Клапаны» (#{valves.pk}): The stage's exit requirements are not met. Fill in: Expected close date",
        f"«Сервис» (#{service.pk}): The deal is closed; reopen it first.",
    ]
    stage_of = dict(Deal.objects.filter(pk__in=chosen).values_list("title", "stage__name"))
    assert stage_of == {
        "Насосы": "Выставление КП",
        "Трубы": "Выставление КП",
        "Клапаны": "Новый контакт",
        "Сервис": "Новый контакт",
    }


def test_bulk_move_to_another_pipelines_stage_is_refused_per_deal(en_client, team, deals):
    other = make_pipeline(("Осознание", "Интерес"), name="Маркетинг", is_default=False)
    en_client.force_login(team.admin)
    response = en_client.post(
        BULK,
        {"action": "move", "stage": other.stages.get(order=2).pk, "deals": [deals["valves"].pk]},
        follow=True,
    )
    assert messages_of(response) == [
        "1 deal was not changed:",
        f"«Клапаны» (#{deals['valves'].pk}): The stage belongs to another pipeline.",
    ]


def test_deals_outside_the_heads_department_are_not_found_and_untouched(en_client, team, deals):
    en_client.force_login(team.head)
    response = en_client.post(
        BULK,
        {
            "action": "reassign",
            "owner": team.colleague.pk,
            "deals": [deals["regions"].pk, deals["valves"].pk],
        },
        follow=True,
    )
    assert messages_of(response) == [
        "1 deal reassigned to Пётр Петров.",
        "1 selected deal was not found.",
    ]
    assert Deal.objects.get(pk=deals["regions"].pk).owner == team.stranger


def test_bulk_scope_all_changes_every_filtered_visible_deal_only(en_client, team, deals):
    en_client.force_login(team.head)
    filters = f"owner={team.colleague.pk}&sort=title"
    response = en_client.post(
        BULK,
        {"action": "reassign", "owner": team.manager.pk, "scope": "all", "filters": filters},
        follow=True,
    )
    assert messages_of(response) == ["2 deals reassigned to Иван Иванов."]
    owners = dict(Deal.objects.values_list("title", "owner"))
    assert owners == {
        "Насосы": team.manager.pk,
        "Клапаны": team.manager.pk,
        "Трубы": team.manager.pk,
        "Сервис": team.manager.pk,
        "Регион": team.stranger.pk,
    }


def test_bulk_refuses_more_deals_than_its_limit(en_client, team, deals, monkeypatch):
    from voronka.pipeline import bulk_services

    monkeypatch.setattr(bulk_services, "BULK_LIMIT", 3)
    en_client.force_login(team.head)
    response = en_client.post(
        BULK, {"action": "reassign", "owner": team.manager.pk, "scope": "all", "filters": ""}
    )
    assert response.status_code == 400
    assert "At most 3 deals at once" in response.content.decode()
    assert not OwnerChange.objects.exists()


def test_bulk_scope_all_with_an_invalid_filter_changes_nothing(en_client, team, deals):
    en_client.force_login(team.head)
    response = en_client.post(
        BULK,
        {
            "action": "reassign",
            "owner": team.manager.pk,
            "scope": "all",
            "filters": f"owner={team.stranger.pk}",
        },
    )
    assert response.status_code == 400
    assert "Some filters are not valid: fix them and repeat." in response.content.decode()
    assert not OwnerChange.objects.exists()


def test_the_pipeline_select_offers_active_pipelines_and_keeps_a_chosen_archived_one(
    en_client, team, deals, pipeline
):
    from voronka.pipeline.models import Pipeline

    archived = make_pipeline(name="Архивная", is_default=False)
    make_deal(owner=team.manager, title="Старая", pipeline=archived)
    Pipeline.objects.filter(pk=archived.pk).update(is_active=False)
    en_client.force_login(team.admin)

    def offered(response):
        choices = response.context["filter"].form.fields["pipeline"].widget.choices
        return [str(label) for value, label in choices if value != ""]

    plain = en_client.get(LIST)
    assert offered(plain) == [pipeline.name]
    chosen = en_client.get(LIST, {"pipeline": archived.pk})
    assert titles(chosen) == ["Старая"]
    assert offered(chosen) == ["Архивная", pipeline.name]  # by order, then name
    assert 'name="company" id="id_company"' in plain.content.decode()


def test_the_list_filters_by_expected_close_date_whole_days_both_ends(en_client, team, deals):
    services.deal_update(
        deal=deals["valves"], user=team.admin, expected_close_date=date(2026, 6, 30)
    )
    services.deal_update(deal=deals["pumps"], user=team.admin, expected_close_date=date(2026, 7, 1))
    en_client.force_login(team.admin)
    response = en_client.get(
        LIST,
        {"expected_close_after": "2026-06-30", "expected_close_before": "2026-06-30"},
    )
    assert titles(response) == ["Клапаны"]
    response = en_client.get(LIST, {"expected_close_after": "2026-06-30", "sort": "title"})
    assert titles(response) == ["Клапаны", "Насосы"]
    assert 'type="date" name="expected_close_after"' in response.content.decode()
