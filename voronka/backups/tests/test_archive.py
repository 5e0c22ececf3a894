"""A backup restores into an empty database with nothing lost: rows, links, files, figures."""

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from tests.factories import LeadSourceFactory, LostReasonFactory, UserFactory
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.funnel import funnel
from voronka.backups.archive import (
    BackupSchemaMismatch,
    BackupUnreadable,
    DatabaseNotEmpty,
    backed_up_models,
    backup_restore,
    backup_write,
)
from voronka.documents.models import Document
from voronka.documents.services import document_attach
from voronka.imports.tests.helpers import DEAL_HEADERS, csv_bytes, import_file
from voronka.imports.tests.test_import_deals import deal_rows
from voronka.pipeline.models import Deal, Pipeline


def _counts() -> dict[str, int]:
    return {model._meta.label_lower: model._base_manager.count() for model in backed_up_models()}


def _funnel_figures(user) -> list:
    pipeline = Pipeline.objects.get(is_default=True)
    result = funnel(
        AnalyticsFilter(pipeline=pipeline, date_from=date(2024, 1, 1), date_to=date(2026, 12, 31)),
        user,
        compare=False,
    )
    return [
        (result.deals, result.won, result.lost, result.open, result.won_amount),
        [(s.name, s.reached, s.amount, s.open_here, s.conversion) for s in result.stages],
    ]


@pytest.fixture
def filled(db, pipeline):
    LeadSourceFactory(name="Сайт")
    LostReasonFactory(name="Дорого")
    admin = UserFactory(role="admin", username="admin1")
    seller = UserFactory(username="ivanov", first_name="Иван", last_name="Иванов")
    import_file(admin, csv_bytes(DEAL_HEADERS, deal_rows(seller), delimiter=";"))
    deal = Deal.objects.get(external_id="D-2")
    upload = SimpleUploadedFile("kp.pdf", b"%PDF-1.4 proposal", content_type="application/pdf")
    document = document_attach(deal=deal, kind="proposal", upload=upload, user=seller)
    return admin, document


def _wipe_everything() -> None:
    """An empty instance: every table of the backup emptied, uploaded files gone."""
    for document in Document.objects.all():
        default_storage.delete(document.file.name)
    tables = set()
    for model in backed_up_models():
        tables.add(model._meta.db_table)
        for relation in model._meta.many_to_many:
            tables.add(relation.remote_field.through._meta.db_table)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def test_backup_restores_into_an_empty_database_with_the_same_counts_funnel_and_files(filled):
    admin, document = filled
    counts_before = _counts()
    funnel_before = _funnel_figures(admin)
    file_name, file_bytes = document.file.name, b"%PDF-1.4 proposal"
    stamps = dict(Deal.objects.values_list("external_id", "updated_at"))
    last_user_pk = max(UserFactory._meta.model.objects.values_list("pk", flat=True))
    assert counts_before["pipeline.deal"] == 3
    assert counts_before["documents.document"] == 1

    archive = io.BytesIO()
    summary = backup_write(archive)
    assert summary.files == 1 and summary.missing_files == []
    with zipfile.ZipFile(io.BytesIO(archive.getvalue())) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        assert manifest["format"] == "voronka-backup"
        assert manifest["models"]["pipeline.deal"] == 3
        assert f"files/{file_name}" in opened.namelist()

    _wipe_everything()
    assert Deal.objects.count() == 0 and not default_storage.exists(file_name)

    archive.seek(0)
    backup_restore(archive)

    assert _counts() == counts_before
    admin.refresh_from_db()
    assert _funnel_figures(admin) == funnel_before
    restored = Document.objects.get()
    assert restored.file.name == file_name
    with default_storage.open(file_name, "rb") as stored:
        assert stored.read() == file_bytes
    deal = Deal.objects.get(external_id="D-1")
    assert list(deal.contacts.values_list("email", flat=True)) == ["petr@romashka.ru"]
    assert dict(Deal.objects.values_list("external_id", "updated_at")) == stamps
    # New rows get fresh ids after the restored ones.
    assert UserFactory().pk > last_user_pk


def test_restore_refuses_a_database_that_has_data(filled):
    archive = io.BytesIO()
    backup_write(archive)
    archive.seek(0)
    with pytest.raises(DatabaseNotEmpty):
        backup_restore(archive)


def test_restore_refuses_other_files_and_other_schema_versions(db):
    with pytest.raises(BackupUnreadable):
        backup_restore(io.BytesIO(b"not a zip"))
    archive = io.BytesIO()
    backup_write(archive)
    with zipfile.ZipFile(io.BytesIO(archive.getvalue())) as source:
        manifest = json.loads(source.read("manifest.json"))
        manifest["schema"]["pipeline"] = "9999_future"
        changed = io.BytesIO()
        with zipfile.ZipFile(changed, "w") as target:
            for name in source.namelist():
                if name != "manifest.json":
                    target.writestr(name, source.read(name))
            target.writestr("manifest.json", json.dumps(manifest))
    changed.seek(0)
    with pytest.raises(BackupSchemaMismatch):
        backup_restore(changed)


def test_backup_and_restore_commands_round_trip(filled, tmp_path):
    path = tmp_path / "voronka.zip"
    counts_before = _counts()
    call_command("backup_data", str(path), verbosity=0)
    _wipe_everything()
    out = io.StringIO()
    call_command("restore_data", str(path), stdout=out)
    assert _counts() == counts_before
    assert "Restored" in out.getvalue()
