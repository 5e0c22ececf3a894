"""Bringing a whole sales history in: outcomes in the stage column, the stage a closed deal
ended at, lost deals without a reason, bare and inconsistent dates, updates and re-runs."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from voronka.core.models import Organisation
from voronka.imports import services
from voronka.imports.models import ImportStatus
from voronka.pipeline.models import (
    AmountChange,
    Deal,
    LostReason,
    StageChange,
    StageVisit,
)

from .helpers import csv_bytes, import_file

MSK = ZoneInfo("Europe/Moscow")
HEADERS = ["opportunity_id", "Deal", "sales_agent", "deal_stage", "engage_date", "close_date"]


@pytest.fixture
def importer(db, stages):
    return UserFactory(role="admin", username="boss", first_name="Анна", last_name="Боссова")


@pytest.fixture
def agent(db):
    return UserFactory(username="moses", first_name="Moses", last_name="Frase")


def test_outcomes_in_the_stage_column_are_recognised_and_closed_deals_get_the_assumed_stage(
    importer, agent, stages
):
    rows = [
        ["1", "Open one", "moses", "Переговоры", "2024-03-01", ""],
        ["2", "Won one", "moses", "Won", "2024-03-01", "2024-03-20"],
        ["3", "Won two", "moses", "Успешно реализовано", "2024-03-02", "2024-03-21"],
        ["4", "Lost one", "moses", "Closed Lost", "2024-03-03", "2024-03-22"],
        ["5", "Lost two", "moses", "Закрыто и не реализовано", "2024-03-04", "2024-03-23"],
        ["6", "Lost three", "moses", "Проиграна", "2024-03-05", "2024-03-24"],
    ]
    job, report = import_file(importer, csv_bytes(HEADERS, rows))
    assert report["invalid"] == 0, report["errors"]
    assert job.status == ImportStatus.DONE
    assert job.mapping == {
        "external_id": 0, "title": 1, "owner": 2, "stage": 3, "first_contact_at": 4,
        "closed_at": 5,
    }  # fmt: skip
    assert report["assumptions"] == {
        "won_passed_every_stage": 2,
        "lost_at_first_stage": 3,
        "lost_reason_not_given": 3,
        "created_from_other_date": 6,
    }
    deals = {deal.external_id: deal for deal in Deal.objects.select_related("stage")}
    assert {key: deal.status for key, deal in deals.items()} == {
        "1": "open", "2": "won", "3": "won", "4": "lost", "5": "lost", "6": "lost",
    }  # fmt: skip
    assert deals["1"].stage == stages[1]
    assert deals["2"].stage == stages[-1] and deals["2"].furthest_stage == stages[-1]
    assert deals["4"].stage == stages[0] and deals["4"].furthest_stage == stages[0]
    # "passed every stage": one visit per stage, each advanced, the last one won
    visits = list(
        StageVisit.objects.filter(deal=deals["2"]).order_by("pk").values_list("stage", "outcome")
    )
    assert visits == [(stage.pk, "advanced") for stage in stages[:-1]] + [(stages[-1].pk, "won")]
    closed = datetime(2024, 3, 20, tzinfo=MSK)
    assert deals["2"].closed_at == closed
    assert deals["2"].created_at == datetime(2024, 3, 1, tzinfo=MSK)


def test_a_stage_value_can_be_mapped_to_an_outcome_and_lost_deals_take_the_chosen_stage(
    importer, agent, stages
):
    rows = [
        ["1", "Fell through", "moses", "Сорвалась", "2024-03-01", "2024-03-10"],
        ["2", "Won", "moses", "Оплачено", "2024-03-01", "2024-03-10"],
    ]
    data = csv_bytes(HEADERS, rows)
    job = services.import_job_create(user=importer, kind="deals", file_name="x.csv", data=data)
    assert [value.value for value in services.unknown_values(job)["stage"]] == ["Сорвалась"]
    assert services.asks_about_closing(job)
    services.import_job_set_values(
        job=job,
        value_map={"stage": {"Сорвалась": "lost"}},
        options={"lost_stage": str(stages[2].pk), "won_stage": str(stages[3].pk)},
    )
    report = services.import_check(job=job)
    assert report["assumptions"] == {
        "won_at_chosen_stage": 1,
        "lost_at_chosen_stage": 1,
        "lost_reason_not_given": 1,
        "created_from_other_date": 2,
    }
    services.import_job_start(job=job, user=importer, valid_only=False, on_match="update")
    lost = Deal.objects.get(external_id="1")
    won = Deal.objects.get(external_id="2")
    assert (lost.status, lost.stage, lost.furthest_stage) == ("lost", stages[2], stages[2])
    assert (won.status, won.stage, won.furthest_stage) == ("won", stages[3], stages[-1])


def test_an_invalid_closing_choice_is_refused(importer, stages):
    data = csv_bytes(HEADERS, [["1", "A", "", "Won", "2024-03-01", ""]])
    job = services.import_job_create(user=importer, kind="deals", file_name="x.csv", data=data)
    with pytest.raises(services.DomainError) as error:
        services.import_job_set_values(job=job, value_map={}, options={"won_stage": "lost"})
    assert error.value.field == "won_stage"


def test_lost_deals_take_the_stage_from_the_stage_when_closed_column(importer, agent, stages):
    headers = ["ID", "Title", "Owner", "Status", "Last stage", "Closed"]
    rows = [
        ["1", "A", "moses", "lost", "Выставление КП", "2024-05-01"],
        ["2", "B", "moses", "lost", "", "2024-05-01"],
    ]
    job, report = import_file(importer, csv_bytes(headers, rows))
    assert job.mapping["closed_stage"] == 4
    assert report["assumptions"]["lost_at_stage_column"] == 1
    assert report["assumptions"]["lost_at_first_stage"] == 1
    assert Deal.objects.get(external_id="1").furthest_stage == stages[2]
    assert Deal.objects.get(external_id="2").furthest_stage == stages[0]


def test_deals_lost_without_a_reason_share_one_built_in_reason_named_in_the_organisation_language(
    importer, agent
):
    organisation = Organisation.current()
    organisation.language = "ru"
    organisation.save()
    import_file(importer, csv_bytes(HEADERS, [["1", "A", "moses", "Lost", "2024-01-01", ""]]))
    import_file(importer, csv_bytes(HEADERS, [["2", "B", "moses", "Lost", "2024-01-02", ""]]))
    reason = LostReason.objects.get(is_not_given=True)
    assert reason.name == "Причина не указана"
    assert set(Deal.objects.values_list("lost_reason", flat=True)) == {reason.pk}
    assert LostReason.objects.count() == 1


def test_a_bare_date_is_that_day_and_same_day_moments_stay_in_order(importer, agent, stages):
    headers = ["ID", "Title", "Owner", "Stage", "Status", "Created", "In stage since", "Closed"]
    rows = [["1", "A", "moses", "Переговоры", "won", "15.01.2025", "15.01.2025 09:30",
             "15.01.2025"]]  # fmt: skip
    job, report = import_file(importer, csv_bytes(headers, rows))
    assert report["invalid"] == 0 and report["warnings"] == []
    deal = Deal.objects.get()
    assert deal.created_at == datetime(2025, 1, 15, 0, 0, tzinfo=MSK)
    assert deal.stage_entered_at == datetime(2025, 1, 15, 9, 30, tzinfo=MSK)
    assert deal.closed_at == datetime(2025, 1, 15, 9, 30, tzinfo=MSK)


def test_a_deal_closed_before_its_first_contact_is_imported_with_a_warning_and_a_correction(
    importer, agent
):
    rows = [["1", "A", "moses", "Won", "2024-03-10", "2024-03-05"]]
    job, report = import_file(importer, csv_bytes(HEADERS, rows))
    assert report["invalid"] == 0
    assert report["warnings"] == [
        {
            "line": 2,
            "column": "close_date",
            "message": "Dates out of order; imported with a correction: the first contact was "
            "moved back to the close date.",
        }
    ]
    assert report["assumptions"]["dates_corrected"] == 1
    deal = Deal.objects.get()
    closed = datetime(2024, 3, 5, tzinfo=MSK)
    assert (deal.created_at, deal.first_contact_at, deal.closed_at) == (closed, closed, closed)


def test_a_row_without_any_date_takes_the_import_time_and_is_counted(importer, agent):
    before = timezone.now()
    job, report = import_file(importer, csv_bytes(HEADERS, [["1", "A", "moses", "", "", ""]]))
    assert report["assumptions"] == {"created_at_import_time": 1}
    assert Deal.objects.get().created_at >= before


def test_importing_the_same_file_twice_changes_nothing(importer, agent):
    rows = [
        ["1", "Open one", "moses", "Переговоры", "2024-03-01", ""],
        ["2", "Won one", "moses", "Won", "2024-03-01", "2024-03-20"],
        ["3", "Lost one", "moses", "Lost", "2024-03-03", "2024-03-22"],
    ]
    data = csv_bytes(HEADERS, rows)
    import_file(importer, data)

    def snapshot():
        return (
            list(Deal.objects.order_by("pk").values_list("pk", "status", "stage", "closed_at")),
            StageChange.objects.count(),
            StageVisit.objects.count(),
            AmountChange.objects.count(),
        )

    first = snapshot()
    job, _report = import_file(importer, data)
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 3)
    assert snapshot() == first


def test_a_file_of_ids_statuses_and_dates_closes_the_imported_deals_at_those_dates(
    importer, agent, stages
):
    rows = [
        ["1", "Open one", "moses", "Переговоры", "2024-03-01", ""],
        ["2", "Open two", "moses", "Выставление КП", "2024-03-01", ""],
    ]
    import_file(importer, csv_bytes(HEADERS, rows))
    closing = csv_bytes(["ID", "Status", "Close Date"], [["1", "won", "2024-04-02"],
                                                        ["2", "lost", "2024-04-03"]])  # fmt: skip
    job, report = import_file(importer, closing)
    assert report["invalid"] == 0, report["errors"]
    assert (job.created_count, job.updated_count) == (0, 2)
    won, lost = Deal.objects.get(external_id="1"), Deal.objects.get(external_id="2")
    assert (won.status, won.closed_at, won.stage) == (
        "won", datetime(2024, 4, 2, tzinfo=MSK), stages[1],
    )  # fmt: skip
    assert (lost.status, lost.closed_at, lost.stage) == (
        "lost", datetime(2024, 4, 3, tzinfo=MSK), stages[2],
    )  # fmt: skip
    assert lost.lost_reason.is_not_given
    assert StageChange.objects.filter(deal=won, kind="won").get().changed_at == won.closed_at


def test_a_row_without_a_title_for_a_new_external_id_is_named_by_its_company_and_id(importer):
    data = csv_bytes(["ID", "Account", "Status", "Close Date"],
                     [["404", "ООО Ромашка", "won", "2024-04-02"], ["405", "", "", ""]])  # fmt: skip
    job, report = import_file(importer, data)
    assert report["invalid"] == 0, report["errors"]
    assert sorted(Deal.objects.values_list("title", flat=True)) == ["405", "ООО Ромашка · 404"]


# ----------------------------------------------------------------------------- row order
ORDER_HEADERS = ["ID", "Title", "Owner", "Stage", "Company", "Created", "Closed"]
_run_number = iter(range(10_000))


def _history_rows(draws):
    """One row per drawn deal: (company 0-2, outcome, created day, days to close)."""
    rows = []
    for number, (company, outcome, created_day, length) in enumerate(draws):
        created = datetime(2024, 1, 1) + timedelta(days=created_day)
        closed = created + timedelta(days=length)
        rows.append([
            str(number), f"Deal {number}", "moses", outcome, f"Co {company}",
            created.strftime("%d.%m.%Y"), closed.strftime("%d.%m.%Y") if outcome != "Переговоры" else "",
        ])  # fmt: skip
    return rows


def _import_tagged(importer, rows, tag):
    tagged = [[f"{tag}-{row[0]}", row[1], row[2], row[3], f"{tag} {row[4]}", *row[5:]]
              for row in rows]  # fmt: skip
    job, report = import_file(importer, csv_bytes(ORDER_HEADERS, tagged), name=f"{tag}.csv")
    assert report["invalid"] == 0, report["errors"]
    deals = Deal.objects.filter(external_id__startswith=f"{tag}-")
    return {
        deal["external_id"].split("-", 1)[1]: (
            deal["status"], deal["furthest_stage"], deal["is_returning_customer"],
            deal["created_at"], deal["closed_at"],
        )
        for deal in deals.values(
            "external_id", "status", "furthest_stage", "is_returning_customer", "created_at",
            "closed_at",
        )
    }  # fmt: skip


@pytest.mark.django_db
def test_the_same_rows_in_another_order_give_identical_figures_and_returning_flags(stages):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    importer = UserFactory(role="admin", username="order-boss")
    UserFactory(username="moses")
    deal = st.tuples(
        st.integers(0, 2),
        st.sampled_from(["Won", "Lost", "Переговоры"]),
        st.integers(0, 60),
        st.integers(0, 30),
    )

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(draws=st.lists(deal, min_size=2, max_size=12), seed=st.randoms())
    def check(draws, seed):
        rows = _history_rows(draws)
        shuffled = rows[:]
        seed.shuffle(shuffled)
        run = next(_run_number)
        first = _import_tagged(importer, rows, f"a{run}")
        second = _import_tagged(importer, list(reversed(shuffled)), f"b{run}")
        assert first == second
        # the rule itself: returning when the company won another deal at or before creation
        for key, (_status, _stage, returning, created, _closed) in first.items():
            company = rows[int(key)][4]
            earlier_win = any(
                other_closed is not None and other_status == "won" and other_closed <= created
                for other_key, (other_status, _s, _r, _c, other_closed) in first.items()
                if other_key != key and rows[int(other_key)][4] == company
            )
            assert returning == earlier_win

    check()


def test_unknown_owners_can_be_created_as_users_without_a_password_in_a_chosen_department(
    importer, stages
):
    from tests.factories import DepartmentFactory
    from voronka.accounts.models import User

    east = DepartmentFactory(name="Восток")
    rows = [
        ["1", "A", "Darcel Schlecht", "Переговоры", "2024-03-01", ""],
        ["2", "B", "Иванов Пётр", "Переговоры", "2024-03-01", ""],
        ["3", "C", "Darcel Schlecht", "Won", "2024-03-01", "2024-03-09"],
    ]
    data = csv_bytes(HEADERS, rows)
    job = services.import_job_create(user=importer, kind="deals", file_name="o.csv", data=data)
    assert [value.value for value in services.unknown_values(job)["owner"]] == [
        "Darcel Schlecht", "Иванов Пётр",
    ]  # fmt: skip
    services.import_job_set_values(
        job=job,
        value_map={"owner": {"Darcel Schlecht": "new", "Иванов Пётр": "new"}},
        options={"owner_department": str(east.pk)},
    )
    report = services.import_check(job=job)
    assert report["invalid"] == 0, report["errors"]
    services.import_job_start(job=job, user=importer, valid_only=False, on_match="update")
    darcel = User.objects.get(first_name="Darcel")
    petr = User.objects.get(first_name="Пётр")
    assert (darcel.last_name, darcel.department, darcel.role) == ("Schlecht", east, "manager")
    assert (petr.last_name, petr.department) == ("Иванов", east)
    assert not darcel.has_usable_password() and not petr.has_usable_password()
    assert sorted(Deal.objects.values_list("external_id", "owner__first_name")) == [
        ("1", "Darcel"), ("2", "Пётр"), ("3", "Darcel"),
    ]  # fmt: skip


def test_a_head_cannot_put_new_owners_in_another_department(db, stages):
    from tests.factories import DepartmentFactory

    mine, other = DepartmentFactory(name="Мой"), DepartmentFactory(name="Чужой")
    head = UserFactory(role="head", department=mine)
    data = csv_bytes(HEADERS, [["1", "A", "Новичок", "Переговоры", "2024-03-01", ""]])
    job = services.import_job_create(user=head, kind="deals", file_name="o.csv", data=data)
    with pytest.raises(services.DomainError) as error:
        services.import_job_set_values(
            job=job, value_map={"owner": {"Новичок": "new"}},
            options={"owner_department": str(other.pk)},
        )  # fmt: skip
    assert error.value.field == "owner_department"


def test_the_check_of_an_update_file_counts_no_creation_assumptions(importer, agent):
    import_file(importer, csv_bytes(HEADERS, [["1", "A", "moses", "Переговоры", "2024-03-01", ""]]))
    job = services.import_job_create(
        user=importer, kind="deals", file_name="u.csv",
        data=csv_bytes(["ID", "Stage", "Close Date"], [["1", "Lost", "2024-04-01"]]),
    )  # fmt: skip
    assert services.import_check(job=job)["assumptions"] == {"lost_reason_not_given": 1}


@pytest.mark.django_db
def test_a_file_in_time_order_gets_its_returning_flags_right_before_the_final_refresh(
    stages, monkeypatch
):
    """The writer sets each new deal's flag from the wins before it (the database's and its
    batch's), so in a file in time order the refresh after the file has nothing to change."""
    from voronka.imports import running

    importer = UserFactory(role="admin", username="order-boss")
    UserFactory(username="moses")
    monkeypatch.setattr(running, "BATCH_SIZE", 3)
    monkeypatch.setattr(running, "refresh_returning_customers", lambda company_ids: None)
    draws = [
        (0, "Won", 0, 5), (0, "Lost", 3, 2), (1, "Won", 4, 0), (0, "Переговоры", 5, 0),
        (1, "Won", 4, 3), (0, "Won", 9, 1), (2, "Lost", 10, 1), (2, "Won", 11, 4),
        (1, "Переговоры", 12, 0), (2, "Переговоры", 15, 0),
    ]  # fmt: skip
    flags = {
        key: returning
        for key, (_status, _stage, returning, _created, _closed) in _import_tagged(
            importer, _history_rows(draws), "t"
        ).items()
    }
    # Co 0 won on day 5: deals created from day 5 on return. Co 1 won on day 4 (deal 2, closed
    # the day it was created): deal 4, created that day, returns; deal 2 itself does not.
    # Co 2 won first on day 15.
    assert flags == {
        "0": False, "1": False, "2": False, "3": True, "4": True, "5": True, "6": False,
        "7": False, "8": True, "9": True,
    }  # fmt: skip
