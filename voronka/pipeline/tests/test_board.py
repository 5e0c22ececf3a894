"""The pipeline board: columns, totals, cards, paging, moves, Won/Lost, roles."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CompanyFactory,
    DepartmentFactory,
    LostReasonFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.pipeline.board_selector import CARDS_PER_PAGE
from voronka.pipeline.models import (
    Deal,
    DealStatus,
    ExitRequirementKind,
    StageChange,
    StageExitRequirement,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory()


@pytest.fixture
def seller(department):
    return UserFactory(role="manager", department=department)


@pytest.fixture
def colleague(department):
    return UserFactory(role="manager", department=department)


@pytest.fixture
def head(department):
    return UserFactory(role="head", department=department)


@pytest.fixture
def viewer():
    return UserFactory(role="viewer", department=None)


def board_url(pipeline, **params):
    url = reverse("pipeline:board", args=[pipeline.pk])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def move(client, deal, stage, version=None, **query):
    url = reverse("pipeline:board_move", args=[deal.pk])
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return client.post(url, {"stage": stage.pk, "version": version or deal.version})


# --- the page ------------------------------------------------------------------------------


def test_board_requires_sign_in(client, pipeline):
    response = client.get(board_url(pipeline))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_board_redirects_to_the_default_pipeline(client, seller):
    make_pipeline(name="Другая", is_default=False)
    default = make_pipeline(name="Основная", is_default=True)
    client.force_login(seller)
    response = client.get("/board/?only_rotting=true")
    assert response.status_code == 302
    assert response["Location"] == board_url(default) + "?only_rotting=true"


def test_columns_show_count_amount_and_weighted_amount_of_the_whole_column(
    client, seller, pipeline, stages
):
    first, second = stages[0], stages[1]
    for _ in range(CARDS_PER_PAGE + 5):
        make_deal(owner=seller, pipeline=pipeline, amount=Decimal("1000"))
    estimated = make_deal(owner=seller, pipeline=pipeline, stage=second, amount=Decimal("5000"))
    Deal.objects.filter(pk=estimated.pk).update(win_probability=0.5)
    make_deal(owner=seller, pipeline=pipeline, stage=second, amount=Decimal("2000"))
    client.force_login(seller)

    response = client.get(board_url(pipeline))

    assert response.status_code == 200
    columns = {column["stage"].pk: column for column in response.context["columns"]}
    assert columns[first.pk]["total"]["count"] == CARDS_PER_PAGE + 5
    assert columns[first.pk]["total"]["amount"] == Decimal("35000")
    # Stage 1 has a manual probability of 10 %.
    assert columns[first.pk]["total"]["weighted"] == Decimal("3500")
    assert len(columns[first.pk]["cards"]) == CARDS_PER_PAGE
    assert columns[first.pk]["has_more"] is True
    # 5000 × 0.5 (estimate) + 2000 × 20 % (manual)
    assert columns[second.pk]["total"]["weighted"] == Decimal("2900")
    assert columns[second.pk]["total"]["amount"] == Decimal("7000")
    assert columns[second.pk]["has_more"] is False
    assert response.context["board_total"]["count"] == CARDS_PER_PAGE + 7


def test_card_shows_company_owner_days_rotting_and_probability(client, seller, pipeline, stages):
    first = stages[0]
    first.rotting_days = 3
    first.save()
    company = CompanyFactory(name="ООО Ромашка", owner=seller)
    fresh = make_deal(owner=seller, pipeline=pipeline, title="Свежая", company=company)
    idle = make_deal(
        owner=seller,
        pipeline=pipeline,
        title="Застряла",
        at=timezone.now() - timedelta(days=5),
    )
    Deal.objects.filter(pk=idle.pk).update(win_probability=0.37)
    client.force_login(seller)

    response = client.get(board_url(pipeline), HTTP_ACCEPT_LANGUAGE="en")

    cards = {deal.pk: deal for deal in response.context["columns"][0]["cards"]}
    assert cards[idle.pk].board_days == 5
    assert cards[idle.pk].board_rotting is True
    assert cards[idle.pk].board_probability == 37
    assert cards[idle.pk].board_probability_manual is False
    assert cards[fresh.pk].board_rotting is False
    assert cards[fresh.pk].board_probability == 10
    assert cards[fresh.pk].board_probability_manual is True
    html = response.content.decode()
    assert "ООО Ромашка" in html
    assert f'href="/deals/{fresh.pk}/"' in html
    assert "5 days" in html
    assert 'data-testid="rotting"' in html


def test_manager_sees_only_own_deals_head_sees_department(
    client, seller, colleague, head, pipeline
):
    outsider = UserFactory(role="manager")
    mine = make_deal(owner=seller, pipeline=pipeline)
    theirs = make_deal(owner=colleague, pipeline=pipeline)
    foreign = make_deal(owner=outsider, pipeline=pipeline)

    def card_ids(user):
        client.force_login(user)
        response = client.get(board_url(pipeline))
        return {deal.pk for column in response.context["columns"] for deal in column["cards"]}

    assert card_ids(seller) == {mine.pk}
    assert card_ids(head) == {mine.pk, theirs.pk}
    assert card_ids(UserFactory(role="admin")) == {mine.pk, theirs.pk, foreign.pk}


def test_closed_deals_are_not_on_the_board(client, seller, pipeline):
    won = make_deal(owner=seller, pipeline=pipeline)
    from voronka.pipeline.services import deal_win

    deal_win(deal=won, user=seller)
    client.force_login(seller)
    response = client.get(board_url(pipeline))
    assert response.context["board_total"]["count"] == 0


def test_viewer_sees_cards_without_drag(client, viewer, seller, pipeline):
    make_deal(owner=seller, pipeline=pipeline)
    client.force_login(viewer)
    response = client.get(board_url(pipeline))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="deal-card"' in html
    assert 'draggable="true"' not in html
    assert 'data-testid="drop-won"' not in html


def test_inactive_or_unknown_pipeline_is_404(client, seller, pipeline):
    client.force_login(seller)
    assert client.get(reverse("pipeline:board", args=[9999])).status_code == 404
    pipeline.is_active = False
    pipeline.save()
    assert client.get(board_url(pipeline)).status_code == 404


def test_pipeline_switcher_lists_pipelines(client, seller, pipeline):
    other = make_pipeline(name="Проекты", is_default=False)
    client.force_login(seller)
    html = client.get(board_url(pipeline)).content.decode()
    assert 'data-testid="pipeline-switcher"' in html
    assert board_url(other) in html


def test_filters_apply_to_totals_and_htmx_returns_only_the_columns(
    client, seller, colleague, head, pipeline
):
    make_deal(owner=seller, pipeline=pipeline, amount=Decimal("1000"))
    make_deal(owner=colleague, pipeline=pipeline, amount=Decimal("3000"))
    client.force_login(head)

    response = client.get(
        board_url(pipeline, owner=colleague.pk), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board"
    )

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "pipeline/board_columns.html"
    assert response.context["columns"][0]["total"]["amount"] == Decimal("3000")
    assert response.context["columns"][0]["total"]["count"] == 1


def test_a_bad_filter_value_is_a_400_for_htmx_and_a_message_on_the_page(client, seller, pipeline):
    make_deal(owner=seller, pipeline=pipeline)
    client.force_login(seller)
    response = client.get(
        board_url(pipeline, created_after="not-a-date"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="board",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()
    page = client.get(board_url(pipeline, owner="abc"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Select a valid choice" in page.context["filter_error"]
    # The board still shows the deal, unfiltered.
    assert page.context["board_total"]["count"] == 1


def test_more_cards_load_per_column(client, seller, pipeline, stages):
    deals = [make_deal(owner=seller, pipeline=pipeline) for _ in range(CARDS_PER_PAGE + 3)]
    client.force_login(seller)
    url = reverse("pipeline:board_column", args=[pipeline.pk, stages[0].pk])

    response = client.get(url, {"offset": CARDS_PER_PAGE})

    assert response.status_code == 200
    assert [deal.pk for deal in response.context["column"]["cards"]] == [
        deal.pk for deal in reversed(deals[:3])
    ]
    assert response.context["column"]["has_more"] is False
    assert client.get(url, {"offset": "x"}).status_code == 400
    assert client.get(url, {"offset": "-1"}).status_code == 400


def test_first_page_then_sentinel_for_the_rest(client, seller, pipeline):
    for _ in range(CARDS_PER_PAGE + 1):
        make_deal(owner=seller, pipeline=pipeline)
    client.force_login(seller)
    html = client.get(board_url(pipeline)).content.decode()
    assert html.count('data-testid="deal-card"') == CARDS_PER_PAGE
    assert f"offset={CARDS_PER_PAGE}" in html
    assert 'hx-trigger="intersect once"' in html


@pytest.mark.parametrize("deal_count", [10, 200])
def test_board_query_count_does_not_grow_with_deals(
    client, seller, pipeline, stages, deal_count, django_assert_max_num_queries
):
    _bulk_deals(seller, pipeline, stages, deal_count)
    client.force_login(seller)
    client.get(board_url(pipeline))  # warm the session and organisation row
    # 15: one of them reads the custom fields the filter bar offers.
    with django_assert_max_num_queries(15):
        response = client.get(board_url(pipeline, only_rotting="true", q="Сделка"))
    assert response.status_code == 200
    with django_assert_max_num_queries(15):
        response = client.get(board_url(pipeline))
    assert response.context["board_total"]["count"] == deal_count


def _bulk_deals(owner, pipeline, stages, count):
    now = timezone.now()
    Deal.objects.bulk_create(
        [
            Deal(
                title=f"Сделка {i}",
                owner=owner,
                pipeline=pipeline,
                stage=stages[i % len(stages)],
                furthest_stage=stages[i % len(stages)],
                stage_entered_at=now - timedelta(days=i % 40),
                amount=Decimal(1000 + i),
                initial_amount=Decimal(1000 + i),
            )
            for i in range(count)
        ]
    )


# --- moving ---------------------------------------------------------------------------------


def test_move_calls_the_service_and_answers_card_and_totals(client, seller, pipeline, stages):
    deal = make_deal(owner=seller, pipeline=pipeline, amount=Decimal("10000"))
    client.force_login(seller)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"

    response = move(client, deal, stages[1])

    assert response.status_code == 200
    data = response.json()
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk
    assert data["version"] == deal.version == 2
    # Totals come formatted for display: Russian groups thousands with a no-break space.
    assert data["columns"] == {
        str(stages[1].pk): {"count": 1, "amount": "10\xa0000", "weighted": "2\xa0000"}
    }
    assert f'data-deal-id="{deal.pk}"' in data["card"]
    assert f'data-version="{deal.version}"' in data["card"]
    assert "10\xa0000&nbsp;₽" in data["card"]
    change = StageChange.objects.filter(deal=deal).latest("pk")
    assert (change.from_stage_id, change.to_stage_id, change.changed_by) == (
        stages[0].pk,
        stages[1].pk,
        seller,
    )


def test_move_totals_follow_the_board_filters(client, seller, colleague, head, pipeline, stages):
    mine = make_deal(owner=seller, pipeline=pipeline, amount=Decimal("1000"))
    make_deal(owner=colleague, pipeline=pipeline, amount=Decimal("3000"))
    client.force_login(head)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    data = move(client, mine, stages[1], owner=seller.pk).json()
    assert data["columns"] == {
        str(stages[1].pk): {"count": 1, "amount": "1\xa0000", "weighted": "200"}
    }


def test_move_refused_by_an_exit_requirement_is_400_with_the_reason(
    client, seller, pipeline, stages
):
    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.DOCUMENT, document_kind="proposal"
    )
    deal = make_deal(owner=seller, pipeline=pipeline)
    client.force_login(seller)

    response = move(client, deal, stages[1])

    assert response.status_code == 400
    assert response.json()["code"] == "stage_exit_requirement_missing"
    assert "(КП)" in response.json()["message"]
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk


def test_stale_version_is_409(client, seller, pipeline, stages):
    deal = make_deal(owner=seller, pipeline=pipeline)
    client.force_login(seller)
    assert move(client, deal, stages[1]).status_code == 200
    response = move(client, deal, stages[2], version=1)
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"


def test_moving_a_closed_deal_is_refused(client, seller, pipeline, stages):
    from voronka.pipeline.services import deal_win

    deal = make_deal(owner=seller, pipeline=pipeline)
    deal_win(deal=deal, user=seller)
    client.force_login(seller)
    response = move(client, deal, stages[1], version=deal.version)
    assert response.status_code == 400
    assert response.json()["code"] == "deal_closed"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"stage": "abc", "version": 1}, "stage"),
        ({"stage": 99999, "version": 1}, "stage"),
        ({"version": 1}, "stage"),
        ({"stage": "STAGE"}, "version"),
    ],
)
def test_move_with_bad_input_is_400_with_a_message(client, seller, pipeline, stages, data, field):
    deal = make_deal(owner=seller, pipeline=pipeline)
    if data.get("stage") == "STAGE":
        data["stage"] = stages[1].pk
    client.force_login(seller)
    response = client.post(reverse("pipeline:board_move", args=[deal.pk]), data)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["message"]


def test_move_to_a_stage_of_another_pipeline_is_400(client, seller, pipeline):
    other = make_pipeline(name="Другая", is_default=False)
    deal = make_deal(owner=seller, pipeline=pipeline)
    client.force_login(seller)
    response = move(client, deal, other.stages.first())
    assert response.status_code == 400
    assert response.json()["code"] == "stage_not_in_pipeline"


def test_another_managers_deal_is_404(client, seller, colleague, pipeline, stages):
    deal = make_deal(owner=colleague, pipeline=pipeline)
    client.force_login(seller)
    assert move(client, deal, stages[1]).status_code == 404
    assert (
        client.post(reverse("pipeline:board_win", args=[deal.pk]), {"version": 1}).status_code
        == 404
    )


def test_unknown_deal_is_404_with_a_message(client, seller, pipeline, stages):
    client.force_login(seller)
    response = client.post(
        reverse("pipeline:board_move", args=[99999]),
        {"stage": stages[1].pk, "version": 1},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 404
    assert response.json() == {
        "ok": False,
        "code": "not_found",
        "message": "This deal does not exist or is not yours to see.",
        "field": None,
    }


def test_head_moves_a_department_deal(client, colleague, head, pipeline, stages):
    deal = make_deal(owner=colleague, pipeline=pipeline)
    client.force_login(head)
    assert move(client, deal, stages[1]).status_code == 200


def test_viewer_cannot_move_win_or_lose(client, viewer, seller, pipeline, stages):
    deal = make_deal(owner=seller, pipeline=pipeline)
    reason = LostReasonFactory()
    client.force_login(viewer)
    assert move(client, deal, stages[1]).status_code == 403
    assert (
        client.post(reverse("pipeline:board_win", args=[deal.pk]), {"version": 1}).status_code
        == 403
    )
    response = client.post(
        reverse("pipeline:board_lose", args=[deal.pk]), {"version": 1, "reason": reason.pk}
    )
    assert response.status_code == 403
    deal.refresh_from_db()
    assert (deal.stage_id, deal.status) == (stages[0].pk, DealStatus.OPEN)


def test_move_is_post_only_and_needs_sign_in(client, seller, pipeline, stages):
    deal = make_deal(owner=seller, pipeline=pipeline)
    url = reverse("pipeline:board_move", args=[deal.pk])
    assert client.post(url, {"stage": stages[1].pk, "version": 1}).status_code == 302
    client.force_login(seller)
    assert client.get(url).status_code == 405


def test_drop_on_won_wins_the_deal(client, seller, pipeline, stages):
    deal = make_deal(owner=seller, pipeline=pipeline, amount=Decimal("5000"))
    make_deal(owner=seller, pipeline=pipeline, amount=Decimal("700"))
    client.force_login(seller)
    response = client.post(reverse("pipeline:board_win", args=[deal.pk]), {"version": deal.version})
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "won"
    assert data["card"] == ""
    assert data["columns"] == {str(stages[0].pk): {"count": 1, "amount": "700", "weighted": "70"}}
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON


def test_drop_on_lost_needs_an_active_reason(client, seller, pipeline):
    deal = make_deal(owner=seller, pipeline=pipeline)
    reason = LostReasonFactory(name="Дорого")
    retired = LostReasonFactory(name="Старая причина", is_active=False)
    client.force_login(seller)
    url = reverse("pipeline:board_lose", args=[deal.pk])

    missing = client.post(url, {"version": deal.version}, HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 400
    assert missing.json()["field"] == "reason"
    assert "Choose a reason why the deal was lost." in missing.json()["message"]
    assert client.post(url, {"version": deal.version, "reason": retired.pk}).status_code == 400

    response = client.post(url, {"version": deal.version, "reason": reason.pk, "comment": "Бюджет"})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_comment) == (DealStatus.LOST, reason, "Бюджет")


def test_win_refused_by_exit_requirement(client, seller, pipeline, stages):
    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.FIELD, field_name="expected_close_date"
    )
    deal = make_deal(owner=seller, pipeline=pipeline)
    client.force_login(seller)
    response = client.post(reverse("pipeline:board_win", args=[deal.pk]), {"version": deal.version})
    assert response.status_code == 400
    assert response.json()["code"] == "stage_exit_requirement_missing"


def test_board_without_an_active_pipeline_explains_what_to_do(client, seller):
    client.force_login(seller)
    response = client.get(reverse("pipeline:board_default"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "There is no active pipeline yet." in response.content.decode()


def test_load_more_of_a_stage_from_another_pipeline_is_404(client, seller, pipeline):
    other = make_pipeline(name="Другая", is_default=False)
    client.force_login(seller)
    url = reverse("pipeline:board_column", args=[pipeline.pk, other.stages.first().pk])
    assert client.get(url).status_code == 404


def test_head_board_query_count_does_not_grow_with_deals(
    client, seller, head, pipeline, stages, django_assert_max_num_queries
):
    for deal_count in (5, 120):
        _bulk_deals(seller, pipeline, stages, deal_count)
        client.force_login(head)
        client.get(board_url(pipeline))
        # One more than the unfiltered board: the chosen department is validated; one for the
        # department tree (a head sees the sub-departments too); one for the custom fields.
        with django_assert_max_num_queries(17):
            response = client.get(board_url(pipeline, department=head.department_id))
        assert response.status_code == 200
