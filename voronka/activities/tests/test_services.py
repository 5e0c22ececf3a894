"""Rules of logging activities: what counts as done, and what is recorded with them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CompanyFactory, ContactFactory, make_deal
from voronka.activities.services import activity_complete, activity_log, activity_reopen
from voronka.core.errors import DomainError


@pytest.fixture
def deal(manager, stages):
    return make_deal(owner=manager, stage=stages[1], company=CompanyFactory(owner=manager))


def test_a_call_without_a_due_date_is_logged_as_done_at_the_deals_stage(manager, deal):
    at = timezone.now() - timedelta(hours=3)
    call = activity_log(kind="call", subject=" Звонок ", owner=manager, deal=deal, at=at)
    assert (call.subject, call.done_at, call.due_at, call.stage_id, call.company_id) == (
        "Звонок",
        at,
        None,
        deal.stage_id,
        deal.company_id,
    )


def test_a_meeting_with_a_due_date_is_planned(manager, deal):
    due = timezone.now() + timedelta(days=2)
    meeting = activity_log(kind="meeting", subject="Встреча", owner=manager, deal=deal, due_at=due)
    assert (meeting.done_at, meeting.due_at) == (None, due)


def test_a_task_stays_open_until_completed_and_can_be_reopened(manager, deal):
    task = activity_log(kind="task", subject="Отправить КП", owner=manager, deal=deal)
    assert task.done_at is None
    done_at = timezone.now()
    activity_complete(activity=task, at=done_at)
    assert task.done_at == done_at
    activity_complete(activity=task, at=done_at + timedelta(hours=1))  # twice changes nothing
    task.refresh_from_db()
    assert task.done_at == done_at
    activity_reopen(activity=task)
    task.refresh_from_db()
    assert task.done_at is None


def test_a_contact_activity_keeps_the_given_company(manager):
    contact = ContactFactory(owner=manager, company__owner=manager)
    note = activity_log(
        kind="note", subject="Заметка", owner=manager, contact=contact, company=contact.company
    )
    assert (note.deal_id, note.stage_id, note.company_id) == (None, None, contact.company_id)


@pytest.mark.parametrize(
    ("kind", "subject", "field"), [("fax", "Факс", "kind"), ("call", "   ", "subject")]
)
def test_unknown_kind_or_empty_subject_is_refused(manager, kind, subject, field):
    with pytest.raises(DomainError) as error:
        activity_log(kind=kind, subject=subject, owner=manager)
    assert error.value.field == field
