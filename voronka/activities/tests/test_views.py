"""Activity pages: my tasks (today / overdue / upcoming / done), logging from a deal or a contact,
marking done; every one respects the role and row-level visibility."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ContactFactory, DepartmentFactory, UserFactory, make_deal
from voronka.activities.models import Activity
from voronka.activities.services import activity_log

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client):
    """Assert the English source messages whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def deal(manager, pipeline):
    return make_deal(owner=manager, pipeline=pipeline, title="Поставка станков")


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def start_of_today():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def task(owner, subject, due_at, deal=None, **kwargs):
    return activity_log(
        kind="task", subject=subject, owner=owner, deal=deal, due_at=due_at, **kwargs
    )


def tab_counts(response) -> dict[str, int]:
    return {name: count for name, _label, count in response.context["tabs"]}


def subjects(response) -> list[str]:
    return [activity.subject for activity in response.context["page"].object_list]


# ----------------------------------------------------------------- my tasks


@pytest.fixture
def my_week(manager, deal):
    today = start_of_today()
    task(manager, "Перезвонить утром", today + timedelta(hours=10), deal)
    task(manager, "Отправить счёт", today + timedelta(hours=15))
    task(manager, "Просроченный звонок", today - timedelta(days=2), deal)
    task(manager, "Встреча на следующей неделе", today + timedelta(days=7))
    done = task(manager, "Сделано вчера", today - timedelta(days=1), deal)
    Activity.objects.filter(pk=done.pk).update(done_at=today - timedelta(hours=20))
    # A logged call is history, not a task: it appears on none of the lists.
    activity_log(kind="call", subject="Звонок без задачи", owner=manager, deal=deal)


def test_my_tasks_today_lists_todays_open_tasks_by_due_time(signed_in, my_week):
    response = signed_in.get("/activities/")
    assert response.status_code == 200
    assert subjects(response) == ["Перезвонить утром", "Отправить счёт"]
    assert tab_counts(response) == {"today": 2, "overdue": 1, "upcoming": 1, "done": 1}


def test_overdue_upcoming_and_done_tabs(signed_in, my_week):
    assert subjects(signed_in.get("/activities/?tab=overdue")) == ["Просроченный звонок"]
    assert subjects(signed_in.get("/activities/?tab=upcoming")) == ["Встреча на следующей неделе"]
    assert subjects(signed_in.get("/activities/?tab=done")) == ["Сделано вчера"]


def test_overdue_tab_is_highlighted_and_rows_are_marked(signed_in, my_week):
    html = signed_in.get("/activities/?tab=overdue").content.decode()
    assert 'class="tab active alert" data-testid="tab-overdue"' in html
    assert 'class="is-overdue"' in html


def test_unknown_tab_falls_back_to_today(signed_in, my_week):
    response = signed_in.get("/activities/?tab=<script>")
    assert response.status_code == 200
    assert response.context["tab"] == "today"


def test_kind_filter(signed_in, manager, my_week):
    activity_log(
        kind="call",
        subject="Плановый звонок",
        owner=manager,
        due_at=start_of_today() + timedelta(hours=11),
    )
    response = signed_in.get("/activities/?tab=today&kind=call")
    assert subjects(response) == ["Плановый звонок"]
    assert tab_counts(response) == {"today": 1, "overdue": 0, "upcoming": 0, "done": 0}


def test_bad_filter_input_is_a_message_not_a_500(signed_in, my_week):
    response = signed_in.get("/activities/?kind=nonsense&owner=999999")
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    # The list still shows the user's own tasks.
    assert subjects(response) == ["Перезвонить утром", "Отправить счёт"]


def test_manager_sees_only_own_tasks_even_when_asking_for_someone_else(client, manager, my_week):
    other = UserFactory(department=manager.department)
    task(other, "Чужая задача", start_of_today() + timedelta(hours=12))
    client.force_login(manager)
    response = client.get(f"/activities/?owner={other.pk}")
    assert "Чужая задача" not in response.content.decode()
    response = client.get("/activities/?owner=all")
    assert "Чужая задача" not in subjects(response)
    assert not response.context["show_owner_filter"]


def test_head_sees_the_department_tasks_by_owner(client, manager, my_week):
    head = UserFactory(role="head", department=manager.department)
    outsider = UserFactory(department=DepartmentFactory())
    task(outsider, "Задача другого отдела", start_of_today() + timedelta(hours=12))
    client.force_login(head)
    assert subjects(client.get("/activities/")) == []
    response = client.get(f"/activities/?owner={manager.pk}")
    assert subjects(response) == ["Перезвонить утром", "Отправить счёт"]
    response = client.get("/activities/?owner=all")
    assert subjects(response) == ["Перезвонить утром", "Отправить счёт"]
    response = client.get(f"/activities/?owner={outsider.pk}")
    assert "Задача другого отдела" not in response.content.decode()


def test_viewer_reads_the_list_without_controls(client, manager, my_week):
    viewer = UserFactory(role="viewer")
    client.force_login(viewer)
    response = client.get(f"/activities/?owner={manager.pk}")
    assert subjects(response) == ["Перезвонить утром", "Отправить счёт"]
    html = response.content.decode()
    assert 'data-testid="toggle-' not in html
    assert "New task" not in html


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/activities/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_my_tasks_query_count_does_not_grow_with_tasks(
    signed_in, manager, deal, django_assert_max_num_queries
):
    counts = {}
    today = start_of_today()
    for size in (3, 40):
        for index in range(size - Activity.objects.filter(owner=manager).count()):
            task(manager, f"Задача {index}", today + timedelta(hours=9, minutes=index), deal)
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get("/activities/")
        assert len(response.context["page"].object_list) == size
        counts[size] = len(queries)
    assert counts[3] == counts[40]
    assert counts[40] <= 10  # 8 when measured
    with django_assert_max_num_queries(counts[3]):
        signed_in.get("/activities/?tab=overdue")


def test_tasks_are_paginated(signed_in, manager):
    today = start_of_today()
    for index in range(51):
        task(manager, f"Задача {index:02d}", today + timedelta(hours=12))
    response = signed_in.get("/activities/")
    assert len(response.context["page"].object_list) == 50
    response = signed_in.get("/activities/?page=2")
    assert subjects(response) == ["Задача 50"]
    assert signed_in.get("/activities/?page=zzz").status_code == 200


# ----------------------------------------------------------------- done / undo


def test_mark_done_from_the_list_with_htmx_returns_the_row(signed_in, manager):
    item = task(manager, "Позвонить", start_of_today() + timedelta(hours=12))
    response = signed_in.post(
        f"/activities/{item.pk}/done/", {"next": "/activities/?tab=today"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="task-{item.pk}" class="is-done"' in html
    assert 'name="next" value="/activities/?tab=today"' in html
    item.refresh_from_db()
    assert item.done_at is not None


def test_mark_done_without_htmx_redirects_back_to_a_local_page_only(signed_in, manager):
    item = task(manager, "Позвонить", start_of_today() + timedelta(hours=12))
    response = signed_in.post(f"/activities/{item.pk}/done/", {"next": "/activities/?tab=today"})
    assert (response.status_code, response["Location"]) == (302, "/activities/?tab=today")
    response = signed_in.post(f"/activities/{item.pk}/undo/", {"next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, "/activities/")
    item.refresh_from_db()
    assert item.done_at is None


def test_mark_done_from_the_deal_card_returns_the_card(signed_in, manager, deal):
    item = task(manager, "Отправить КП", start_of_today() + timedelta(hours=12), deal)
    response = signed_in.post(f"/activities/{item.pk}/done/", {"from": "deal"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="deal-card"' in html
    assert f'id="deal-task-{item.pk}"' not in html  # no longer planned
    assert Activity.objects.get(pk=item.pk).done_at is not None


def test_another_managers_task_cannot_be_completed(client, manager):
    item = task(manager, "Моя задача", start_of_today() + timedelta(hours=12))
    client.force_login(UserFactory(department=manager.department))
    assert client.post(f"/activities/{item.pk}/done/").status_code == 404
    assert Activity.objects.get(pk=item.pk).done_at is None


def test_viewer_cannot_complete_a_task(client, manager):
    item = task(manager, "Моя задача", start_of_today() + timedelta(hours=12))
    client.force_login(UserFactory(role="viewer"))
    assert client.post(f"/activities/{item.pk}/done/").status_code == 403
    assert Activity.objects.get(pk=item.pk).done_at is None


def test_get_on_done_is_405(signed_in, manager):
    item = task(manager, "Моя задача", start_of_today() + timedelta(hours=12))
    assert signed_in.get(f"/activities/{item.pk}/done/").status_code == 405


# ----------------------------------------------------------------- logging from the deal card


def test_log_a_call_from_the_deal_card(signed_in, manager, deal):
    response = signed_in.post(
        f"/activities/deal/{deal.pk}/new/",
        {"kind": "call", "subject": "  Звонок: обсудили сроки ", "body": "Ждут КП"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Звонок: обсудили сроки" in response.content.decode()
    call = Activity.objects.get(deal=deal)
    assert (call.kind, call.subject, call.body, call.owner_id, call.stage_id) == (
        "call",
        "Звонок: обсудили сроки",
        "Ждут КП",
        manager.pk,
        deal.stage_id,
    )
    assert call.done_at is not None and call.due_at is None


def test_schedule_a_task_from_the_deal_card(signed_in, deal):
    response = signed_in.post(
        f"/activities/deal/{deal.pk}/new/",
        {"kind": "task", "subject": "Отправить договор", "due_at": "2030-05-04T10:30"},
    )
    assert (response.status_code, response["Location"]) == (302, f"/deals/{deal.pk}/")
    item = Activity.objects.get(deal=deal)
    assert item.done_at is None
    assert timezone.localtime(item.due_at).strftime("%Y-%m-%d %H:%M") == "2030-05-04 10:30"
    html = signed_in.get(f"/deals/{deal.pk}/").content.decode()
    assert f'id="deal-task-{item.pk}"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "task", "subject": "Без даты"}, "Due: Give the task a due date."),
        ({"kind": "call", "subject": "   "}, "Subject: Give the activity a subject."),
        ({"kind": "fax", "subject": "Факс"}, "Kind: Select a valid choice."),
        ({"kind": "call", "subject": "x", "due_at": "завтра"}, "Due: Enter a valid date/time."),
        ({"kind": "call", "subject": "x" * 256}, "Subject: Ensure this value has at most 255"),
    ],
)
def test_bad_activity_input_is_400_with_the_message(signed_in, deal, data, message):
    response = signed_in.post(f"/activities/deal/{deal.pk}/new/", data, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Activity.objects.filter(deal=deal).exists()


def test_logging_on_another_managers_deal_is_404(client, deal):
    client.force_login(UserFactory(role="manager"))
    response = client.post(f"/activities/deal/{deal.pk}/new/", {"kind": "note", "subject": "x"})
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_viewer_cannot_log_on_a_deal(client, deal):
    client.force_login(UserFactory(role="viewer"))
    response = client.post(f"/activities/deal/{deal.pk}/new/", {"kind": "note", "subject": "x"})
    assert response.status_code == 403
    assert not Activity.objects.exists()


# ----------------------------------------------------------------- the full activity page


def test_new_task_page_for_a_deal(signed_in, manager, deal):
    response = signed_in.get(f"/activities/new/?deal={deal.pk}")
    assert response.status_code == 200
    assert "Поставка станков" in response.content.decode()
    response = signed_in.post(
        "/activities/new/",
        {"deal": deal.pk, "kind": "meeting", "subject": "Встреча", "due_at": "2030-01-10 09:00"},
    )
    assert (response.status_code, response["Location"]) == (302, f"/deals/{deal.pk}/")
    meeting = Activity.objects.get(deal=deal)
    assert (meeting.kind, meeting.done_at, meeting.owner_id) == ("meeting", None, manager.pk)


def test_new_task_page_without_a_deal_goes_back_to_my_tasks(signed_in, manager):
    response = signed_in.post(
        "/activities/new/", {"kind": "task", "subject": "Подготовить отчёт", "due_at": "2030-01-10"}
    )
    assert (response.status_code, response["Location"]) == (302, "/activities/")
    assert Activity.objects.get(owner=manager).deal_id is None


def test_new_task_page_bad_input_is_400(signed_in):
    response = signed_in.post("/activities/new/", {"kind": "task", "subject": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the activity a subject." in html
    assert "Give the task a due date." in html


def test_new_task_page_for_another_managers_deal_is_404(client, deal):
    client.force_login(UserFactory(role="manager"))
    assert client.get(f"/activities/new/?deal={deal.pk}").status_code == 404


def test_viewer_cannot_post_the_new_task_page(client, db):
    client.force_login(UserFactory(role="viewer"))
    assert client.get("/activities/new/").status_code == 200
    response = client.post("/activities/new/", {"kind": "note", "subject": "x"})
    assert response.status_code == 403


def test_log_for_a_contact_with_htmx_returns_the_new_item(signed_in, manager):
    contact = ContactFactory(owner=manager, company__owner=manager)
    response = signed_in.post(
        f"/activities/contact/{contact.pk}/new/", {"kind": "note", "subject": "Любит чай"}, **HTMX
    )
    assert response.status_code == 201
    assert "Любит чай" in response.content.decode()
    note = Activity.objects.get(contact=contact)
    assert (note.company_id, note.kind) == (contact.company_id, "note")


def test_log_for_an_invisible_contact_is_404(client, manager):
    contact = ContactFactory(owner=manager, company__owner=manager)
    client.force_login(UserFactory(role="manager"))
    response = client.post(
        f"/activities/contact/{contact.pk}/new/", {"kind": "note", "subject": "x"}
    )
    assert response.status_code == 404


def test_admin_sees_everyones_tasks_including_those_without_a_deal(client, manager, my_week):
    admin = UserFactory(role="admin", department=None)
    task(UserFactory(department=DepartmentFactory()), "Задача без сделки", start_of_today())
    client.force_login(admin)
    response = client.get("/activities/?owner=all")
    assert subjects(response) == ["Задача без сделки", "Перезвонить утром", "Отправить счёт"]


def test_out_of_range_ids_are_404_not_500(signed_in):
    huge = "9" * 25
    assert signed_in.get(f"/activities/new/?deal={huge}").status_code == 404
    assert signed_in.post(f"/activities/{huge}/done/").status_code == 404
    assert signed_in.get(f"/deals/{huge}/").status_code == 404


def test_log_a_call_with_one_of_the_deals_contacts(signed_in, manager, deal):
    contact = ContactFactory(first_name="Игорь", last_name="Волков", owner=manager)
    deal.contacts.add(contact)
    response = signed_in.post(
        f"/activities/deal/{deal.pk}/new/",
        {"kind": "call", "subject": "Звонок", "contact": contact.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert Activity.objects.get(deal=deal).contact_id == contact.pk
    assert f'<a href="/contacts/{contact.pk}/">' in response.content.decode()


def test_a_contact_not_on_the_deal_is_refused(signed_in, manager, deal):
    stranger = ContactFactory(owner=manager)
    response = signed_in.post(
        f"/activities/deal/{deal.pk}/new/",
        {"kind": "call", "subject": "Звонок", "contact": stranger.pk},
        **HTMX,
    )
    assert response.status_code == 400
    assert "Contact: Choose a contact of this deal." in response.content.decode()
    assert not Activity.objects.exists()
