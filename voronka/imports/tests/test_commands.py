"""`manage.py import_data`: the same import from a terminal, with a report and a progress bar."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import LeadSourceFactory, UserFactory
from voronka.imports.models import ImportJob, ImportStatus
from voronka.pipeline.models import Deal

from .helpers import csv_bytes

HEADERS = ["Сделка №", "Что продаём", "Деньги", "Фаза", "Кто ведёт", "Откуда"]
ROWS = [
    ["A-1", "Станки", "120000", "Выставление КП", "ivanov", "Сайт"],
    ["A-2", "Сервис", "30000", "Торг", "ivanov", "Выставка"],
]
MAPS = ["--map", "external_id=Сделка №", "--map", "title=2", "--map", "amount=Деньги",
        "--map", "stage=Фаза", "--map", "owner=Кто ведёт", "--map", "lead_source=Откуда"]  # fmt: skip


@pytest.fixture
def setup(db, pipeline, tmp_path):
    LeadSourceFactory(name="Сайт")
    UserFactory(role="admin", username="boss")
    UserFactory(username="ivanov")
    path = tmp_path / "deals.csv"
    path.write_bytes(csv_bytes(HEADERS, ROWS, delimiter="\t", bom=True))
    return path


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_data", *args, stdout=out)
    return out.getvalue()


def test_dry_run_reports_unknown_values_by_line_and_writes_nothing(setup):
    output = _run(str(setup), "--user", "boss", "--dry-run", *MAPS)
    assert "Encoding utf-8-sig, delimiter '\\t'" in output
    assert "2 rows. Check: 1 valid rows, 1 with errors." in output
    assert "line 3, Фаза: Unknown stage «Торг»; map it to a stage." in output
    assert "line 3, Откуда: Unknown lead source «Выставка»; map it or create it." in output
    assert Deal.objects.count() == 0


def test_values_mapped_on_the_command_line_import_every_row_with_progress(setup):
    output = _run(
        str(setup), "--user", "boss", *MAPS,
        "--value", "stage:Торг=Переговоры", "--value", "lead_source:Выставка=new",
    )  # fmt: skip
    assert "2 rows. Check: 2 valid rows, 0 with errors." in output
    assert "100% 2/2" in output
    assert "Created 2, updated 0, skipped 0, failed 0." in output
    assert sorted(Deal.objects.values_list("external_id", "stage__name", "lead_source__name")) == [
        ("A-1", "Выставление КП", "Сайт"),
        ("A-2", "Переговоры", "Выставка"),
    ]
    assert ImportJob.objects.get().status == ImportStatus.DONE
    # The same file again: matched by external id, nothing new.
    output = _run(
        str(setup), "--user", "boss", "--on-match", "skip", "--value", "stage:Торг=Переговоры"
    )  # fmt: skip  (mapping remembered)
    assert "Created 0, updated 0, skipped 2, failed 0." in output
    assert Deal.objects.count() == 2


def test_bad_rows_stop_the_command_unless_valid_only(setup):
    with pytest.raises(CommandError, match="Some rows have errors"):
        _run(str(setup), "--user", "boss", *MAPS)
    assert Deal.objects.count() == 0
    output = _run(str(setup), "--user", "boss", *MAPS, "--valid-only")
    assert "Created 1, updated 0, skipped 0, failed 1." in output


def test_command_refuses_unknown_users_columns_and_managers(setup):
    with pytest.raises(CommandError, match="No user 'nobody'"):
        _run(str(setup), "--user", "nobody")
    with pytest.raises(CommandError, match="amount: the file has no column 'Цена'"):
        _run(str(setup), "--user", "boss", "--map", "amount=Цена")
    with pytest.raises(CommandError, match="You do not have permission to do this."):
        _run(str(setup), "--user", "ivanov")


def test_map_takes_column_equals_field_skip_unmaps_and_the_report_speaks_russian(setup):
    output = _run(
        str(setup), "--user", "boss", "--dry-run", "--language", "ru",
        "--map", "Сделка №=external_id", "--map", "Что продаём=title", "--map", "Фаза=stage",
        "--map", "Кто ведёт=owner", "--skip", "Откуда", "--value", "stage:Торг=Переговоры",
    )  # fmt: skip
    job = ImportJob.objects.get()
    assert job.mapping == {"external_id": 0, "title": 1, "stage": 3, "owner": 4}
    assert "Строк: 2. Проверка: без ошибок 2, с ошибками 0." in output


def test_the_command_refuses_a_job_for_a_viewer_through_the_service(setup):
    UserFactory(username="watcher", role="viewer")
    with pytest.raises(CommandError, match="You do not have permission to do this."):
        _run(str(setup), "--user", "watcher", *MAPS)
    assert ImportJob.objects.count() == 0
