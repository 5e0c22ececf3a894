"""Rolling an import back removes what it created — deals with their whole history, the
companies, contacts, owners, lead sources and products it made — and nothing that existed
before it; its updates to existing records stay. The analytics summary then equals the raw
computation, and returning-customer flags are as if the import never ran."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import CompanyFactory, ProductFactory, UserFactory, make_deal
from voronka.accounts.models import User
from voronka.activities.models import Activity
from voronka.analytics.models import StageDaySummary
from voronka.analytics.summary import summary_rebuild
from voronka.catalog.models import Product
from voronka.core.errors import NotPermitted
from voronka.crm.models import Company, Contact, LeadSource
from voronka.imports import rollback, running, services
from voronka.imports.models import ImportJob, ImportStatus
from voronka.pipeline.models import (
    AmountChange,
    Deal,
    DealLineItem,
    OwnerChange,
    StageChange,
    StageVisit,
)

from .helpers import csv_bytes, import_file

pytestmark = pytest.mark.django_db
HEADERS = ["opportunity_id", "Deal", "sales_agent", "deal_stage", "engage_date", "close_date",
           "account", "ИНН", "Контакт", "product", "close_value", "Источник"]  # fmt: skip


@pytest.fixture
def admin(db, stages):
    return UserFactory(role="admin", username="boss")


@pytest.fixture
def agent(db):
    return UserFactory(username="moses", first_name="Moses", last_name="Frase")


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: nothing after it runs."""


def _history_counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Deal, StageChange, StageVisit, AmountChange, OwnerChange, DealLineItem)
    )


def summary_totals():
    return sorted(
        StageDaySummary.objects.values("pipeline", "cohort_day", "owner", "stage", "measure", "key")
        .annotate(n=Sum("count"), ok=Sum("successes"), total=Sum("amount"))
        .filter(n__gt=0)
        .values_list("cohort_day", "owner", "stage", "measure", "key", "n", "ok", "total")
    )


def _rows(count: int, first: int = 10) -> list[list[str]]:
    """Deals of new and old companies, a new owner, a new lead source, new and known products."""
    rows = []
    for number in range(first, first + count):
        won = number % 2 == 0
        rows.append([
            f"N-{number}", f"Сделка {number}", "Новичок Пётр" if number % 3 else "moses",
            "Won" if won else "Переговоры", "2024-03-01", "2024-03-20" if won else "",
            "Старая" if number % 4 == 0 else f"Новая {number}",
            "7701234567" if number % 4 == 0 else "", f"Контакт {number}",
            "Кабель" if number % 2 else "Сервер R200", "5000", "Выставка",
        ])  # fmt: skip
    return rows


def _start(admin, data: bytes) -> ImportJob:
    job = services.import_job_create(user=admin, kind="deals", file_name="h.csv", data=data)
    services.import_job_set_values(
        job=job, value_map={"owner": {"Новичок Пётр": "new"}, "lead_source": {"Выставка": "new"}}
    )
    report = services.import_check(job=job)
    assert report["invalid"] == 0, report["errors"]
    return job


def _before_the_import(admin, agent, stages):
    """An old company with a won deal and a later open one; a known product; an earlier
    import whose deal the new file updates."""
    old_company = CompanyFactory(name="Старая", inn="7701234567", owner=agent)
    ProductFactory(name="Сервер R200", sku="R200")
    won = make_deal(owner=agent, company=old_company, at=datetime(2023, 1, 10, tzinfo=UTC))
    from voronka.pipeline.services import deal_win

    deal_win(deal=won, user=agent, at=datetime(2023, 2, 1, tzinfo=UTC))
    later = make_deal(owner=agent, stage=stages[1], at=datetime(2024, 6, 1, tzinfo=UTC))
    earlier_job, _report = import_file(
        admin, csv_bytes(HEADERS[:6], [["E-1", "Ранняя", "moses", "Переговоры", "2024-01-05", ""]])
    )
    return old_company, later, earlier_job


def _kill_after(batches: int):
    def progress(done, total):
        if done >= 2 * batches:
            raise WorkerKilled()

    return progress


def test_a_killed_import_rolls_back_to_exactly_what_was_there_before(
    admin, agent, stages, monkeypatch
):
    summary_rebuild()
    old_company, later, earlier_job = _before_the_import(admin, agent, stages)
    before = _history_counts()
    companies_before = set(Company.objects.values_list("pk", flat=True))
    contacts_before = set(Contact.objects.values_list("pk", flat=True))
    users_before = set(User.objects.values_list("pk", flat=True))
    products_before = set(Product.objects.values_list("pk", flat=True))
    update = ["E-1", "", "moses", "Выставление КП", "2024-01-05", "", "", "", "", "", "", ""]
    job = _start(admin, csv_bytes(HEADERS, [update, *_rows(5)]))
    monkeypatch.setattr(running, "BATCH_SIZE", 2)
    with pytest.raises(WorkerKilled):
        running.import_run(job=job, progress=_kill_after(2))
    # The worker died after two batches, ten minutes ago.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    assert (job.status, job.is_stalled, job.written_lines) == (ImportStatus.RUNNING, True, [[2, 5]])
    assert Deal.objects.filter(import_job=job).count() == 3
    written = rollback.written_rows(job)
    assert written.created == [
        ("Deals", 3), ("Companies", 2), ("Contacts", 3), ("New owners (users)", 1),
        ("Lead sources", 1), ("Products", 1),
    ]  # fmt: skip
    assert services.can_roll_back(job)

    job = services.import_job_roll_back(job=job, user=admin)

    assert job.status == ImportStatus.ROLLED_BACK
    assert job.rollback_report == {
        "removed": {"deal": 3, "contact": 3, "company": 2, "user": 1, "lead_source": 1,
                    "product": 1},
        "kept": {},
    }  # fmt: skip
    # The updated deal of the earlier import stays, with the update (and its history).
    earlier = Deal.objects.get(external_id="E-1")
    assert (earlier.import_job_id, earlier.stage, earlier.version) == (
        earlier_job.pk, stages[2], 2,
    )  # fmt: skip
    assert _history_counts() == (
        before[0], before[1] + 1, before[2] + 1, *before[3:],
    )  # fmt: skip
    assert set(Company.objects.values_list("pk", flat=True)) == companies_before
    assert set(Contact.objects.values_list("pk", flat=True)) == contacts_before
    assert set(User.objects.values_list("pk", flat=True)) == users_before
    assert set(Product.objects.values_list("pk", flat=True)) == products_before
    assert not LeadSource.objects.filter(name="Выставка").exists()
    # The summary kept by the writers equals one rebuilt from the raw rows.
    kept = summary_totals()
    summary_rebuild()
    assert kept == summary_totals()
    assert len(kept) > 0
    later.refresh_from_db()
    assert later.is_returning_customer is False


def test_a_finished_import_rolls_back_and_restores_returning_customer_flags(admin, agent, stages):
    summary_rebuild()
    old_company = CompanyFactory(name="Старая", inn="7701234567", owner=agent)
    later = make_deal(
        owner=agent, company=old_company, stage=stages[1], at=datetime(2024, 6, 1, tzinfo=UTC)
    )
    assert later.is_returning_customer is False
    job = _start(admin, csv_bytes(HEADERS, _rows(4, first=12)))  # 12: a won deal at «Старая»
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    assert job.status == ImportStatus.DONE
    later.refresh_from_db()
    assert later.is_returning_customer is True  # the imported won deal made it returning

    job = services.import_job_roll_back(job=job, user=admin)

    later.refresh_from_db()
    assert later.is_returning_customer is False
    assert Deal.objects.count() == 1
    assert job.rollback_report["removed"]["deal"] == 4
    kept = summary_totals()
    summary_rebuild()
    assert kept == summary_totals()


def test_what_others_made_since_keeps_the_rows_it_uses(admin, agent, stages):
    job = _start(admin, csv_bytes(HEADERS, _rows(2, first=13)))
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    company = Company.objects.get(name="Новая 13")
    newcomer = User.objects.get(first_name="Пётр")
    # Since the import: a hand-made deal at its company, a password for its new owner.
    make_deal(owner=agent, company=company, at=datetime(2024, 7, 1, tzinfo=UTC))
    newcomer.password = make_password("a long pass phrase")
    newcomer.save()
    deal = Deal.objects.get(external_id="N-14")
    Activity.objects.create(kind="call", subject="Звонок", owner=agent, deal=deal)
    assert rollback.written_rows(job).added_since == [("Activities", 1)]

    job = services.import_job_roll_back(job=job, user=admin)

    assert job.rollback_report == {
        "removed": {"deal": 2, "contact": 2, "company": 1, "lead_source": 1, "product": 2,
                    "direction": 1},
        "kept": {"company": 1, "user": 1},
    }  # fmt: skip
    assert Company.objects.filter(pk=company.pk).exists()
    assert User.objects.filter(pk=newcomer.pk).exists()
    assert Activity.objects.count() == 0  # it was on a deal of the import


def test_only_an_import_that_stopped_can_be_rolled_back_and_only_by_its_importer(admin, stages):
    job = _start(admin, csv_bytes(HEADERS[:6], [["A-1", "A", "", "Переговоры", "", ""]]))
    with pytest.raises(services.ImportNotReady):  # checked, nothing written
        services.import_job_roll_back(job=job, user=admin)
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    job.refresh_from_db()
    with pytest.raises(services.ImportNotReady):  # its worker is alive
        services.import_job_roll_back(job=job, user=admin)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE)
    job.refresh_from_db()
    with pytest.raises(NotPermitted):
        services.import_job_roll_back(job=job, user=UserFactory(role="head"))
    job = services.import_job_roll_back(job=job, user=admin)
    assert Deal.objects.count() == 0
    with pytest.raises(services.ImportNotReady):  # once
        services.import_job_roll_back(job=job, user=admin)


def test_a_resumed_import_makes_its_new_owners_once(admin, agent, stages, monkeypatch):
    job = _start(admin, csv_bytes(HEADERS, _rows(4)))
    monkeypatch.setattr(running, "BATCH_SIZE", 2)
    with pytest.raises(WorkerKilled):
        running.import_run(job=job, progress=_kill_after(1))
    job.refresh_from_db()
    running.import_run(job=job)
    assert User.objects.filter(first_name="Пётр").count() == 1
    assert Deal.objects.filter(owner__first_name="Пётр").count() == 3
    assert Deal.objects.count() == 4
    job.refresh_from_db()
    assert len(job.created_records["user"]) == 1


def test_the_rollback_removes_every_kind_of_row_that_points_to_a_deal():
    relations = {relation.related_model for relation in Deal._meta.related_objects}
    relations.add(Deal.contacts.through)
    assert relations == set(rollback.DEAL_DEPENDENTS)


def test_the_job_page_shows_what_was_written_and_rolls_back_after_a_confirmation(
    client, admin, agent, stages
):
    update_earlier = import_file(
        admin, csv_bytes(HEADERS[:6], [["E-1", "Ранняя", "moses", "Переговоры", "2024-01-05", ""]])
    )[0]
    rows = [["E-1", "", "moses", "Выставление КП", "2024-01-05", "", "", "", "", "", "", ""],
            *_rows(3)]  # fmt: skip
    job = _start(admin, csv_bytes(HEADERS, rows))
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    client.force_login(admin)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'data-testid="written-counts"' in page
    assert "<dt>Deals</dt><dd>3</dd>" in page
    assert "It also updated an existing record: that change stays" in page
    assert f'action="{reverse("imports:job_roll_back", args=[job.pk])}"' in page
    assert 'data-confirm="Delete everything this import created? This cannot be undone."' in page
    response = client.post(reverse("imports:job_roll_back", args=[job.pk]))
    assert response.url == reverse("imports:job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert 'data-status="reverted"' in page
    assert 'data-testid="rolled-back-removed"' in page
    assert "The existing record this import updated keeps its changes" in page
    assert 'data-testid="roll-back-import"' not in page
    assert list(Deal.objects.values_list("external_id", flat=True)) == ["E-1"]
    assert update_earlier.status == ImportStatus.DONE
    # The earlier import has no button to roll back the later one's update; its own deal.
    page = client.get(reverse("imports:job", args=[update_earlier.pk])).content.decode()
    assert "<dt>Deals</dt><dd>1</dd>" in page


def _roll_back_queries(admin, rows: int) -> int:
    job = _start(admin, csv_bytes(HEADERS, _rows(rows)))
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    assert Deal.objects.filter(import_job=job).count() == rows
    with CaptureQueriesContext(connection) as queries:
        services.import_job_roll_back(job=job, user=admin)
    assert Deal.objects.count() == 0
    assert StageDaySummary.objects.aggregate(total=Sum("count"))["total"] in (None, 0)
    return len(queries)


def test_rolling_back_takes_as_many_queries_for_many_deals_as_for_few(admin, agent, stages):
    assert _roll_back_queries(admin, 40) == _roll_back_queries(admin, 8)


def test_a_large_import_rolls_back_in_the_background_and_the_page_polls_meanwhile(
    client, admin, agent, stages, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 3
    job = _start(admin, csv_bytes(HEADERS, _rows(4)))
    job = services.import_job_start(
        job=job, user=admin, valid_only=False, on_match="update", in_background=False
    )
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("imports:job_roll_back", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.is_running, len(callbacks)) == (ImportStatus.ROLLING_BACK, True, 1)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Rolling back…" in page and 'hx-trigger="every 1s"' in page
    assert client.get(reverse("imports:columns", args=[job.pk])).status_code == 302
    with pytest.raises(services.ImportNotReady):  # already on its way
        services.import_job_roll_back(job=job, user=admin)
    callbacks[0]()  # the worker
    job.refresh_from_db()
    assert job.status == ImportStatus.ROLLED_BACK
    assert job.rollback_report["removed"]["deal"] == 4
    assert Deal.objects.count() == 0


def test_a_rollback_whose_worker_died_can_be_asked_for_again(admin, agent, stages):
    job = _start(admin, csv_bytes(HEADERS, _rows(2)))
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.ROLLING_BACK, heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    job.refresh_from_db()
    assert not job.is_running and services.can_roll_back(job)
    job = services.import_job_roll_back(job=job, user=admin, in_background=False)
    assert (job.status, Deal.objects.count()) == (ImportStatus.ROLLED_BACK, 0)


def test_a_companies_import_rolls_back_its_new_companies_and_keeps_its_updates(admin, agent):
    existing = CompanyFactory(name="Старая", inn="7701234567", owner=agent, phone="")
    rows = [["Старая", "7701234567", "+7 495 000-00-00"], ["Новая", "7707083893", ""]]
    job, report = import_file(
        admin, csv_bytes(["Компания", "ИНН", "Телефон"], rows), kind="companies"
    )
    assert (report["invalid"], job.created_count, job.updated_count) == (0, 1, 1)
    assert rollback.written_rows(job).created == [("Companies", 1)]
    job = services.import_job_roll_back(job=job, user=admin)
    assert job.rollback_report == {"removed": {"company": 1}, "kept": {}}
    assert list(Company.objects.values_list("pk", "phone")) == [(existing.pk, "+7 495 000-00-00")]


def _job_page_queries(client, admin, rows: int, first: int) -> int:
    job = _start(admin, csv_bytes(HEADERS, _rows(rows, first=first)))
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert f"<dt>Deals</dt><dd>{rows}</dd>" in page
    return len(queries)


def test_the_job_page_counts_the_written_rows_in_as_many_queries_for_many_as_for_few(
    client, admin, agent, stages
):
    assert _job_page_queries(client, admin, 40, 100) == _job_page_queries(client, admin, 4, 10)
