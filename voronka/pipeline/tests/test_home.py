"""The home page: my tasks due today and overdue, my rotting deals, my open pipeline by stage."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, UserFactory, make_deal, make_pipeline
from voronka.activities.models import ActivityKind
from voronka.activities.services import activity_complete, activity_log
from voronka.pipeline.models import Deal
from voronka.pipeline.services import deal_win

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


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment on a local calendar day relative to today."""
    day = timezone.localdate() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def task(owner, subject, due_at, deal=None):
    return activity_log(
        kind=ActivityKind.TASK, subject=subject, owner=owner, deal=deal, due_at=due_at
    )


def test_home_requires_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_tasks_are_those_due_today_or_overdue_and_not_done(client, seller, colleague):
    overdue = task(seller, "Перезвонить", local(-2, 10))
    today = task(seller, "Отправить КП", local(0, 23, 59))
    task(seller, "Завтрашняя", local(1, 0, 1))
    done = task(seller, "Сделана", local(0, 9))
    activity_complete(activity=done)
    task(colleague, "Чужая", local(-1, 10))
    client.force_login(seller)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    mine = response.context["mine"]
    assert [activity.pk for activity in mine["tasks"]] == [overdue.pk, today.pk]
    assert (mine["task_total"], mine["overdue_total"]) == (2, 1)
    assert response.context["team"] is None
    html = response.content.decode()
    assert "Отправить КП" in html
    assert "Чужая" not in html


def test_my_rotting_deals_are_those_idle_beyond_their_stage_days(
    client, seller, colleague, pipeline, stages
):
    stages[0].rotting_days = 3
    stages[0].save()
    idle = make_deal(
        owner=seller, pipeline=pipeline, title="Застряла", at=timezone.now() - timedelta(days=5)
    )
    make_deal(
        owner=seller, pipeline=pipeline, title="Свежая", at=timezone.now() - timedelta(days=2)
    )
    make_deal(owner=colleague, pipeline=pipeline, at=timezone.now() - timedelta(days=9))
    client.force_login(seller)

    response = client.get(reverse("home"))

    mine = response.context["mine"]
    assert [deal.pk for deal in mine["rotting"]] == [idle.pk]
    assert mine["rotting_total"] == 1
    assert (mine["rotting"][0].home_days, mine["rotting"][0].home_overdue_by) == (5, 2)


def test_my_open_pipeline_by_stage_counts_amounts_and_weights(
    client, seller, colleague, pipeline, stages
):
    make_deal(owner=seller, pipeline=pipeline, amount=Decimal("1000"))
    make_deal(owner=seller, pipeline=pipeline, amount=Decimal("3000"))
    estimated = make_deal(owner=seller, pipeline=pipeline, stage=stages[1], amount=Decimal("5000"))
    Deal.objects.filter(pk=estimated.pk).update(win_probability=0.5)
    won = make_deal(owner=seller, pipeline=pipeline, amount=Decimal("7000"))
    deal_win(deal=won, user=seller)
    make_deal(owner=colleague, pipeline=pipeline, amount=Decimal("9000"))
    client.force_login(seller)

    response = client.get(reverse("home"))

    rows = [
        (row["stage"]["name"], row["count"], row["amount"], row["weighted"])
        for row in response.context["mine"]["by_stage"]
    ]
    # Stage 1's manual probability is 10 %; the estimated deal weighs 50 %.
    assert rows == [
        ("Новый контакт", 2, Decimal("4000"), Decimal("400")),
        ("Переговоры", 1, Decimal("5000"), Decimal("2500")),
        ("Выставление КП", 0, Decimal("0"), Decimal("0")),
        ("Согласование договора", 0, Decimal("0"), Decimal("0")),
        ("Совершение покупки", 0, Decimal("0"), Decimal("0")),
    ]
    assert response.context["mine"]["totals"] == {
        "count": 3,
        "amount": Decimal("9000"),
        "weighted": Decimal("2900"),
    }


def test_head_also_sees_the_department(client, seller, colleague, head, pipeline):
    outsider = UserFactory(role="manager")
    make_deal(owner=seller, pipeline=pipeline, amount=Decimal("1000"))
    make_deal(owner=colleague, pipeline=pipeline, amount=Decimal("2000"))
    make_deal(owner=outsider, pipeline=pipeline, amount=Decimal("4000"))
    task(colleague, "Встреча", local(0, 23, 59))
    task(outsider, "Чужая", local(0, 23, 59))
    client.force_login(head)

    response = client.get(reverse("home"))

    team = response.context["team"]
    assert team["totals"]["count"] == 2
    assert team["totals"]["amount"] == Decimal("3000")
    assert team["task_total"] == 1
    assert response.context["mine"]["totals"]["count"] == 0
    assert 'data-testid="home-team"' in response.content.decode()


def test_a_manager_sees_no_department_block(client, seller, colleague, pipeline):
    make_deal(owner=colleague, pipeline=pipeline)
    client.force_login(seller)
    response = client.get(reverse("home"))
    assert response.context["team"] is None
    assert response.context["mine"]["totals"]["count"] == 0
    assert 'data-testid="home-team"' not in response.content.decode()


def test_home_without_any_pipeline_still_opens(client, seller):
    client.force_login(seller)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["mine"]["by_stage"] == []
    assert "No pipeline yet." in response.content.decode()


@pytest.mark.parametrize("deal_count", [3, 40])
def test_home_query_count_does_not_grow_with_data(
    client, head, seller, colleague, pipeline, stages, deal_count, django_assert_max_num_queries
):
    stages[0].rotting_days = 1
    stages[0].save()
    for i in range(deal_count):
        owner = (seller, colleague, head)[i % 3]
        deal = make_deal(
            owner=owner, pipeline=pipeline, at=timezone.now() - timedelta(days=3), title=f"D{i}"
        )
        task(owner, f"T{i}", local(-1, 10), deal=deal)
    client.force_login(head)
    client.get(reverse("home"))
    # Past LIST_LIMIT rows a block adds one exact count; the total stays bounded (the header's
    # department name is one of them).
    with django_assert_max_num_queries(18):
        response = client.get(reverse("home"))
    assert response.context["team"]["totals"]["count"] == deal_count


def test_another_pipeline_can_be_chosen_for_the_by_stage_table(client, seller, pipeline):
    other = make_pipeline(("Осознание", "Интерес"), name="Проекты", is_default=False)
    make_deal(owner=seller, pipeline=pipeline)
    make_deal(owner=seller, pipeline=other, amount=Decimal("500"))
    client.force_login(seller)

    default = client.get(reverse("home"))
    chosen = client.get(reverse("home"), {"pipeline": other.pk})

    assert default.context["pipeline"] == pipeline
    assert 'data-testid="home-pipelines"' in default.content.decode()
    assert [row["count"] for row in chosen.context["mine"]["by_stage"]] == [1, 0]
    assert chosen.context["mine"]["totals"]["amount"] == Decimal("500")


def test_a_bad_pipeline_choice_is_a_4xx(client, seller, pipeline):
    client.force_login(seller)
    bad = client.get(reverse("home"), {"pipeline": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert bad.content.decode() == "The pipeline must be a number."
    assert client.get(reverse("home"), {"pipeline": 99999}).status_code == 404


def test_a_heads_home_opens_on_the_whole_department_including_its_teams(
    client, seller, head, department, pipeline
):
    team = DepartmentFactory(parent=department)
    team_member = UserFactory(role="manager", department=team)
    make_deal(owner=seller, pipeline=pipeline, amount=Decimal("1000"))
    make_deal(owner=team_member, pipeline=pipeline, amount=Decimal("2500"))
    make_deal(owner=UserFactory(role="manager"), pipeline=pipeline, amount=Decimal("9000"))
    client.force_login(head)

    response = client.get(reverse("home"))

    assert response.context["team"]["totals"]["count"] == 2
    assert response.context["team"]["totals"]["amount"] == Decimal("3500")
    html = response.content.decode()
    # The department's block comes before the head's own (usually empty) one.
    assert html.index('data-testid="home-team"') < html.index('data-testid="home-mine"')
