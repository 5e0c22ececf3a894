from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import LeadSourceFactory, LostReasonFactory, UserFactory
from voronka.crm.models import Company, Contact
from voronka.imports import services, writing
from voronka.imports.models import ImportStatus
from voronka.pipeline.models import Deal, StageChange, StageVisit

from .helpers import DEAL_HEADERS, csv_bytes, import_file, xlsx_bytes

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def importer(db, pipeline):
    LeadSourceFactory(name="Сайт")
    LostReasonFactory(name="Дорого")
    return UserFactory(role="admin", username="admin1", first_name="Анна", last_name="Админова")


@pytest.fixture
def seller(db):
    return UserFactory(username="ivanov", first_name="Иван", last_name="Иванов")


def deal_rows(seller):
    return [
        ["D-1", "Поставка станков", "1 500 000,50", "Выставление КП", "Выиграна", "Иванов Иван",
         "Сайт", "15.01.2025", "20.02.2025", "", "ООО Ромашка", "7701234567", "Пётр Сидоров",
         "+7 900 000-00-01", "petr@romashka.ru"],
        ["D-2", "Сервисный контракт", "200000", "Переговоры", "открыта", "ivanov", "Сайт",
         "2025-03-01", "", "", "ООО Ромашка", "7701234567", "Пётр Сидоров", "", "petr@romashka.ru"],
        ["D-3", "Лицензии", "50000.00", "Новый контакт", "проиграна", "ivanov", "", "01.04.2025",
         "10.04.2025", "Дорого", "АО Лютик", "", "", "", ""],
    ]  # fmt: skip


@pytest.mark.parametrize(
    "encoding,delimiter,bom",
    [("utf-8", ",", False), ("utf-8", ",", True), ("cp1251", ";", False), ("utf-8", "\t", False),
     ("koi8_r", "|", False), ("cp866", ";", False)],
)  # fmt: skip
def test_csv_in_every_encoding_and_delimiter_imports_the_same_deals(
    importer, seller, encoding, delimiter, bom
):
    data = csv_bytes(
        DEAL_HEADERS, deal_rows(seller), delimiter=delimiter, encoding=encoding, bom=bom
    )
    job, report = import_file(importer, data)
    assert (job.encoding, job.delimiter) == (("utf-8-sig" if bom else encoding), delimiter)
    assert report["invalid"] == 0, report["errors"]
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.skipped_count, job.failed_count) == (
        3,
        0,
        0,
        0,
    )
    assert sorted(Deal.objects.values_list("title", "amount", "status")) == [
        ("Лицензии", Decimal("50000.00"), "lost"),
        ("Поставка станков", Decimal("1500000.50"), "won"),
        ("Сервисный контракт", Decimal("200000.00"), "open"),
    ]
    assert Company.objects.count() == 2
    assert Contact.objects.get().email == "petr@romashka.ru"
    assert set(Deal.objects.values_list("owner__username", flat=True)) == {"ivanov"}


def test_xlsx_imports_like_csv(importer, seller):
    rows = deal_rows(seller)
    rows[0][7] = datetime(2025, 1, 15, 10, 30)
    rows[1][2] = 200000
    data = xlsx_bytes(DEAL_HEADERS, rows)
    job, report = import_file(importer, data, name="deals.xlsx")
    assert report["invalid"] == 0, report["errors"]
    assert job.created_count == 3
    deal = Deal.objects.get(external_id="D-1")
    assert deal.created_at == datetime(2025, 1, 15, 10, 30, tzinfo=MSK)
    assert Deal.objects.get(external_id="D-2").amount == Decimal("200000.00")


def test_won_deal_at_stage_three_gets_created_moved_won_history_with_file_dates(
    importer, seller, stages
):
    data = csv_bytes(DEAL_HEADERS, deal_rows(seller)[:1])
    import_file(importer, data)
    deal = Deal.objects.get()
    history = list(
        StageChange.objects.filter(deal=deal).values_list(
            "kind", "from_stage", "to_stage", "changed_at"
        )
    )
    created = datetime(2025, 1, 15, 0, 0, tzinfo=MSK)  # a bare date: the start of the day
    closed = datetime(2025, 2, 20, 0, 0, tzinfo=MSK)
    assert history == [
        ("created", None, stages[0].pk, created),
        ("moved", stages[0].pk, stages[2].pk, created),
        ("won", stages[2].pk, stages[2].pk, closed),
    ]
    assert deal.furthest_stage == stages[-1]
    assert deal.stage == stages[2]
    assert deal.closed_at == closed
    visits = list(
        StageVisit.objects.filter(deal=deal).values_list(
            "stage", "entered_at", "left_at", "outcome"
        )
    )
    assert visits == [
        (stages[0].pk, created, created, "advanced"),
        (stages[2].pk, created, closed, "won"),
    ]
    assert list(deal.contacts.values_list("email", flat=True)) == ["petr@romashka.ru"]


def test_broken_rows_give_an_exact_per_row_report_and_nothing_is_imported_without_consent(
    importer, seller
):
    rows = deal_rows(seller)
    rows[0][2] = "полтора миллиона"  # bad amount, line 2
    rows[1][3] = "Неизвестный этап"  # unknown stage, unmapped, line 3
    rows[2][1] = ""  # missing title, line 4
    rows.append(
        [
            "D-4",
            "Плохая дата",
            "10",
            "Переговоры",
            "",
            "ivanov",
            "",
            "31.02.2025",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    rows.append(
        [
            "D-5",
            "Хорошая",
            "10",
            "Переговоры",
            "",
            "ivanov",
            "",
            "01.02.2025",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    job = services.import_job_create(
        user=importer, kind="deals", file_name="x.csv", data=csv_bytes(DEAL_HEADERS, rows)
    )
    report = services.import_check(job=job)
    assert (report["valid"], report["invalid"]) == (1, 4)
    assert report["errors"] == [
        {"line": 2, "column": "Сумма", "message": "«полтора миллиона» is not a number."},
        {"line": 3, "column": "Этап", "message": "Unknown stage «Неизвестный этап»; map it to a stage."},
        {"line": 4, "column": "Название сделки", "message": "Required."},
        {"line": 5, "column": "Дата создания",
         "message": "«31.02.2025» is not a date (use 31.12.2025 or 2025-12-31)."},
    ]  # fmt: skip
    with pytest.raises(services.InvalidRowsPresent):
        services.import_job_start(job=job, user=importer, valid_only=False, on_match="update")
    assert Deal.objects.count() == 0

    job = services.import_job_start(job=job, user=importer, valid_only=True, on_match="update")
    assert list(Deal.objects.values_list("external_id", flat=True)) == ["D-5"]
    assert (job.created_count, job.failed_count) == (1, 4)
    assert [error["line"] for error in job.errors] == [2, 3, 4, 5]


def test_unknown_values_are_listed_and_mapping_them_makes_rows_valid(importer, seller, stages):
    rows = deal_rows(seller)
    rows[1][3] = "Торг"
    rows[1][6] = "Выставка"
    rows[2][9] = "Ушли к конкурентам"
    job = services.import_job_create(
        user=importer, kind="deals", file_name="x.csv", data=csv_bytes(DEAL_HEADERS, rows)
    )
    unknown = services.unknown_values(job)
    assert {key: [(v.value, v.rows) for v in values] for key, values in unknown.items()} == {
        "stage": [("Торг", 1)],
        "lead_source": [("Выставка", 1)],
        "lost_reason": [("Ушли к конкурентам", 1)],
    }
    with pytest.raises(services.DomainError):
        services.import_job_set_values(job=job, value_map={"stage": {"Торг": "new"}})
    services.import_job_set_values(
        job=job,
        value_map={"stage": {"Торг": str(stages[1].pk)}, "lead_source": {"Выставка": "new"},
                   "lost_reason": {"Ушли к конкурентам": "new"}},
    )  # fmt: skip
    assert services.import_check(job=job)["invalid"] == 0
    services.import_job_start(job=job, user=importer, valid_only=False, on_match="update")
    assert Deal.objects.get(external_id="D-2").lead_source.name == "Выставка"
    assert Deal.objects.get(external_id="D-3").lost_reason.name == "Ушли к конкурентам"


@pytest.mark.parametrize("with_external_id", [True, False])
def test_reimporting_the_same_file_creates_no_duplicates(importer, seller, with_external_id):
    headers, rows = DEAL_HEADERS, deal_rows(seller)
    if not with_external_id:
        headers, rows = headers[1:], [row[1:] for row in rows]
    data = csv_bytes(headers, rows)
    import_file(importer, data)
    counts = (
        Deal.objects.count(),
        Company.objects.count(),
        Contact.objects.count(),
        StageChange.objects.count(),
    )
    job, _report = import_file(importer, data)
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 3)
    assert (
        Deal.objects.count(),
        Company.objects.count(),
        Contact.objects.count(),
        StageChange.objects.count(),
    ) == counts

    rows[1][headers.index("Сумма")] = "250000"
    job, _report = import_file(importer, csv_bytes(headers, rows))
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 1, 2)
    assert Deal.objects.get(title="Сервисный контракт").amount == Decimal("250000.00")
    assert Deal.objects.count() == 3

    rows[1][headers.index("Сумма")] = "999"
    job, _report = import_file(importer, csv_bytes(headers, rows[1:2]), on_match="skip")
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 1)
    assert Deal.objects.get(title="Сервисный контракт").amount == Decimal("250000.00")


def test_a_row_is_never_half_imported(importer, seller, monkeypatch):
    """A row whose deal cannot be written leaves no company or contact behind."""
    from voronka.pipeline import bulk

    real = bulk.write_historical_deals

    def failing(items, **kwargs):
        if any(item.deal.title == "Лицензии" for item in items):
            raise ValueError("boom")
        return real(items, **kwargs)

    monkeypatch.setattr(writing, "write_historical_deals", failing)
    job, _report = import_file(importer, csv_bytes(DEAL_HEADERS, deal_rows(seller)))
    assert (job.created_count, job.failed_count) == (2, 1)
    assert job.errors == [
        {"line": 4, "column": "", "message": "Conflicts with existing data: boom"}
    ]
    assert not Company.objects.filter(name="АО Лютик").exists()
    assert Deal.objects.count() == 2


def test_remembered_mapping_is_offered_for_the_same_headers(importer, seller):
    headers = ["Что продаём", "Деньги", "Кто"]
    data = csv_bytes(headers, [["Сделка", "10", "ivanov"]])
    job = services.import_job_create(user=importer, kind="deals", file_name="a.csv", data=data)
    assert job.mapping == {}
    services.import_job_set_mapping(job=job, mapping={"title": 0, "amount": 1, "owner": 2})
    again = services.import_job_create(user=importer, kind="deals", file_name="b.csv", data=data)
    assert again.mapping == {"title": 0, "amount": 1, "owner": 2}


def test_headers_are_guessed_in_russian_and_english(db):  # db: custom fields are targets too
    from voronka.imports.fields import guess_mapping

    assert guess_mapping("deals", DEAL_HEADERS) == {
        "external_id": 0, "title": 1, "amount": 2, "stage": 3, "status": 4, "owner": 5,
        "lead_source": 6, "created_at": 7, "closed_at": 8, "lost_reason": 9, "company_name": 10,
        "company_inn": 11, "contact_name": 12, "phone": 13, "email": 14,
    }  # fmt: skip
    english = [
        "Deal name",
        "Amount",
        "Stage",
        "Owner",
        "Lead source",
        "Company",
        "E-mail",
        "Created at",
    ]
    assert guess_mapping("deals", english) == {
        "title": 0, "amount": 1, "stage": 2, "owner": 3, "lead_source": 4, "company_name": 5,
        "email": 6, "created_at": 7,
    }  # fmt: skip


def test_companies_and_contacts_files_import_and_reimport(importer, seller):
    companies = csv_bytes(["Название", "ИНН", "Отрасль", "Ответственный"],
                          [["ООО Ромашка", "7701234567", "Ритейл", "ivanov"], ["АО Лютик", "", "", ""]])  # fmt: skip
    job, _ = import_file(importer, companies, kind="companies")
    assert job.created_count == 2
    assert Company.objects.get(inn="7701234567").owner == seller
    contacts = csv_bytes(["ФИО", "Должность", "Телефон", "Email", "Компания", "ИНН"],
                         [["Сидоров Пётр Ильич", "Директор", "+7 900 1", "p@r.ru", "ООО Ромашка", "7701234567"]])  # fmt: skip
    job, _ = import_file(importer, contacts, kind="contacts")
    contact = Contact.objects.get()
    assert (contact.last_name, contact.first_name, contact.company.name) == (
        "Сидоров",
        "Пётр Ильич",
        "ООО Ромашка",
    )
    job, _ = import_file(importer, contacts, kind="contacts")
    assert (job.created_count, job.skipped_count, Contact.objects.count()) == (0, 1, 1)
    job, _ = import_file(importer, companies, kind="companies")
    assert (job.created_count, job.skipped_count, Company.objects.count()) == (0, 2, 2)


def test_file_too_large_is_refused_with_a_clear_message(importer, settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(services.FileTooLarge, match="limit is 0 MB"):
        services.import_job_create(user=importer, kind="deals", file_name="x.csv", data=b"a" * 200)


def test_manager_cannot_import(seller):
    with pytest.raises(services.NotPermitted):
        services.import_job_create(user=seller, kind="deals", file_name="x.csv", data=b"a,b\n1,2\n")


def test_a_control_character_in_a_cell_is_a_row_error_like_on_the_pages(importer, seller):
    rows = deal_rows(seller)
    rows[1][1] = "Ctrl\x01Char"
    rows[2][10] = "ООО\x7fРомашка"
    job = services.import_job_create(
        user=importer, kind="deals", file_name="x.csv", data=csv_bytes(DEAL_HEADERS, rows)
    )
    report = services.import_check(job=job)
    assert (report["valid"], report["invalid"]) == (1, 2)
    assert [(error["line"], error["column"]) for error in report["errors"]] == [
        (3, "Название сделки"),
        (4, "Компания"),
    ]
    assert all("U+" in error["message"] for error in report["errors"])
    assert Deal.objects.count() == 0
