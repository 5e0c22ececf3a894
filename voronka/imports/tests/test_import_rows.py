"""The exact rows an import writes: deals, stage history, stage visits, line items, contact
links and the analytics summary (the write path goes straight to COPY / executemany)."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from tests.factories import ProductFactory, UserFactory
from voronka.analytics.models import StageDaySummary
from voronka.analytics.summary import summary_rebuild
from voronka.catalog.models import Product
from voronka.crm.models import Company
from voronka.imports.models import ImportStatus
from voronka.pipeline.models import Deal, DealLineItem, StageChange, StageVisit

from .helpers import csv_bytes, import_file

MSK = ZoneInfo("Europe/Moscow")
HEADERS = [
    "opportunity_id", "Deal", "sales_agent", "product", "quantity", "unit price", "account",
    "INN", "Контакт", "Email", "deal_stage", "engage_date", "close_date",
]  # fmt: skip


@pytest.fixture
def importer(db, stages):
    ProductFactory(name="Сервер R200", sku="R200", price=Decimal("120"))
    return UserFactory(role="admin", username="boss")


@pytest.fixture
def agent(db):
    return UserFactory(username="moses")


def _summary_cells():
    return list(
        StageDaySummary.objects.values("pipeline", "owner", "cohort_day", "stage", "measure", "key")
        .annotate(n=Sum("count"), ok=Sum("successes"), total=Sum("amount"))
        .order_by("pipeline", "owner", "cohort_day", "stage", "measure", "key")
    )


def test_an_import_writes_exactly_these_rows(importer, agent, stages):
    s = [stage.pk for stage in stages]
    rows = [
        ["1", "Open deal", "moses", "сервер R-200", "2", "100", "ООО Альфа", "7700000001",
         "Иван Петров", "ivan@alfa.example", "Выставление КП", "2024-03-01", ""],
        ["2", "Won deal", "moses", "Кабель", "", "50,5", "ООО Бета", "7700000002", "", "",
         "Won", "2024-01-10", "2024-02-01"],
        ["3", "Lost deal", "moses", "", "", "", "ООО Бета", "7700000002", "", "", "Lost",
         "2024-02-05", "2024-02-20"],
        ["2", "Won deal", "moses", "Лицензия", "1", "10", "ООО Бета", "7700000002", "", "",
         "Won", "2024-01-10", "2024-02-01"],
    ]  # fmt: skip
    job, report = import_file(importer, csv_bytes(HEADERS, rows))
    assert report["invalid"] == 0, report["errors"]
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.failed_count) == (3, 1, 0)

    deals = {deal.external_id: deal for deal in Deal.objects.all()}
    assert sorted(deals) == ["1", "2", "3"]
    one, two, three = deals["1"], deals["2"], deals["3"]
    march_1, jan_10 = datetime(2024, 3, 1, tzinfo=MSK), datetime(2024, 1, 10, tzinfo=MSK)
    feb_1, feb_5, feb_20 = (datetime(2024, 2, day, tzinfo=MSK) for day in (1, 5, 20))
    assert [
        (d.status, d.stage_id, d.furthest_stage_id, d.amount, d.initial_amount, d.created_at,
         d.first_contact_at, d.stage_entered_at, d.closed_at, d.owner_id, d.created_by_id,
         d.win_probability, d.custom_fields, d.version, d.is_returning_customer)
        for d in (one, two, three)
    ] == [
        ("open", s[2], s[2], Decimal("200.00"), Decimal("200.00"), march_1, march_1, march_1,
         None, agent.pk, importer.pk, None, {}, 1, False),
        ("won", s[4], s[4], Decimal("60.50"), Decimal("60.50"), jan_10, jan_10, jan_10, feb_1,
         agent.pk, importer.pk, None, {}, 1, False),
        ("lost", s[0], s[0], Decimal("0.00"), Decimal("0.00"), feb_5, feb_5, feb_5, feb_20,
         agent.pk, importer.pk, None, {}, 1, True),  # Бета won deal 2 before
    ]  # fmt: skip
    assert three.lost_reason.is_not_given
    assert Company.objects.count() == 2
    assert one.company.name == "ООО Альфа" and two.company_id == three.company_id

    changes = StageChange.objects.order_by("deal_id", "pk").values_list(
        "deal_id", "kind", "from_stage_id", "to_stage_id", "amount", "changed_at", "changed_by_id"
    )
    won = Decimal("60.50")
    assert list(changes) == [
        (one.pk, "created", None, s[0], Decimal("200.00"), march_1, agent.pk),
        (one.pk, "moved", s[0], s[2], Decimal("200.00"), march_1, agent.pk),
        (two.pk, "created", None, s[0], won, jan_10, agent.pk),
        (two.pk, "moved", s[0], s[1], won, jan_10, agent.pk),
        (two.pk, "moved", s[1], s[2], won, jan_10, agent.pk),
        (two.pk, "moved", s[2], s[3], won, jan_10, agent.pk),
        (two.pk, "moved", s[3], s[4], won, jan_10, agent.pk),
        (two.pk, "won", s[4], s[4], won, feb_1, agent.pk),
        (three.pk, "created", None, s[0], Decimal("0.00"), feb_5, agent.pk),
        (three.pk, "lost", s[0], s[0], Decimal("0.00"), feb_20, agent.pk),
    ]
    visits = StageVisit.objects.order_by("deal_id", "pk").values_list(
        "deal_id", "pipeline_id", "stage_id", "owner_id", "entered_at", "left_at", "outcome"
    )
    pipeline = stages[0].pipeline_id
    assert list(visits) == [
        (one.pk, pipeline, s[0], agent.pk, march_1, march_1, "advanced"),
        (one.pk, pipeline, s[2], agent.pk, march_1, None, ""),
        *[(two.pk, pipeline, s[i], agent.pk, jan_10, jan_10, "advanced") for i in range(4)],
        (two.pk, pipeline, s[4], agent.pk, jan_10, feb_1, "won"),
        (three.pk, pipeline, s[0], agent.pk, feb_5, feb_20, "lost"),
    ]
    products = dict(Product.objects.values_list("name", "pk"))
    lines = DealLineItem.objects.order_by("deal_id", "pk").values_list(
        "deal_id", "product_id", "quantity", "unit_price"
    )
    assert list(lines) == [
        (one.pk, products["Сервер R200"], Decimal("2.00"), Decimal("100.00")),
        (two.pk, products["Кабель"], Decimal("1.00"), Decimal("50.50")),
        (two.pk, products["Лицензия"], Decimal("1.00"), Decimal("10.00")),
    ]
    assert [contact.email for contact in one.contacts.all()] == ["ivan@alfa.example"]
    assert not two.contacts.exists() and not three.contacts.exists()

    summary = _summary_cells()
    cohort = {deal.pk: deal.first_contact_at.astimezone(MSK).date() for deal in deals.values()}
    entered = [row for row in summary if row["measure"] == "entered"]
    assert [(row["cohort_day"], row["stage"], row["n"]) for row in entered] == [
        (cohort[two.pk], s[i], 1) for i in range(5)
    ] + [(cohort[three.pk], s[0], 1), (cohort[one.pk], s[0], 1), (cohort[one.pk], s[2], 1)]
    lost = [row for row in summary if row["measure"] == "lost"]
    assert [(row["stage"], row["n"], row["total"]) for row in lost] == [(s[0], 1, Decimal(0))]
    summary_rebuild()  # the raw computation
    assert _summary_cells() == summary


def generated(count: int, stage_names: list[str]):
    """Rows with every kind of outcome and path; the expected rows per deal follow from each."""
    rnd = random.Random(11)
    products = ["Сервер R200", "сервер R-200", "Кабель", ""]
    for number in range(count):
        created = date(2023, 1, 1) + timedelta(days=rnd.randrange(500))
        stage = rnd.choice([*stage_names, "Won", "Lost"])
        closed = created + timedelta(days=rnd.randrange(60)) if stage in ("Won", "Lost") else None
        company = rnd.randrange(40)
        yield [
            f"G-{number}", f"Deal {number}", "moses", rnd.choice(products),
            str(rnd.randrange(1, 4)), str(rnd.randrange(1, 900)), f"Company {company}",
            f"78{company:08d}", "", "", stage, created.isoformat(),
            closed.isoformat() if closed else "",
        ]  # fmt: skip


@pytest.mark.slow
def test_a_generated_file_writes_the_history_each_row_implies(importer, agent, stages):
    names = [stage.name for stage in stages]
    rows = list(generated(1500, names))  # two batches of the writer
    job, report = import_file(importer, csv_bytes(HEADERS, rows))
    assert report["invalid"] == 0, report["errors"][:3]
    assert (job.status, job.created_count, job.failed_count) == (ImportStatus.DONE, 1500, 0)

    expected_changes = expected_visits = 0
    for row in rows:
        stage = row[10]
        if stage == "Won":  # passed every stage, then won
            expected_changes += len(stages) + 1
            expected_visits += len(stages)
        elif stage == "Lost":  # lost at the first stage
            expected_changes, expected_visits = expected_changes + 2, expected_visits + 1
        else:  # created at the first stage, moved to its stage
            moved = names.index(stage) > 0
            expected_changes, expected_visits = (
                expected_changes + 1 + moved,
                expected_visits + 1 + moved,
            )
    assert Deal.objects.count() == 1500
    assert StageChange.objects.count() == expected_changes
    assert StageVisit.objects.count() == expected_visits
    assert DealLineItem.objects.count() == sum(1 for row in rows if row[3])
    assert Company.objects.count() == len({row[6] for row in rows})
    assert Deal.objects.filter(status="won").count() == sum(row[10] == "Won" for row in rows)
    summary = _summary_cells()
    summary_rebuild()
    assert _summary_cells() == summary
