"""Backup and restore of the whole database as one portable zip archive.

The archive holds `manifest.json` (format version, the schema version as each app's latest
migration, row counts per model, file list), one `data/<app>.<model>.jsonl` per model (Django's
JSON-lines serialisation, one object per line, users' permissions by natural key) and every
uploaded file (documents, the logo) under `files/<storage name>`. It does not depend on the
database engine: a SQLite backup restores into PostgreSQL and back.

`backup_write` streams model by model, so memory stays flat however many deals there are.
`backup_restore` loads an archive into an empty, migrated instance in one transaction: either
everything is restored or nothing is.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.apps import apps
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import DomainError

FORMAT = "voronka-backup"
FORMAT_VERSION = 1
CHUNK = 2000
# Rows a fresh instance may create by itself before anything is restored (the settings row).
SELF_CREATED = {"core.organisation"}


class BackupUnreadable(DomainError):
    code = "backup_unreadable"
    default_message = gettext_lazy("The file is not a Voronka backup.")


class BackupSchemaMismatch(DomainError):
    code = "backup_schema_mismatch"
    default_message = gettext_lazy(
        "The backup was made by a different version of Voronka; restore it with that version."
    )


class DatabaseNotEmpty(DomainError):
    code = "database_not_empty"
    status = 409
    default_message = gettext_lazy("A backup can be restored only into an empty database.")


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


@dataclass
class BackupSummary:
    counts: dict[str, int] = field(default_factory=dict)
    files: int = 0
    missing_files: list[str] = field(default_factory=list)


def backed_up_models() -> list[type[models.Model]]:
    """Every model of ours plus user groups; framework tables are rebuilt by `migrate`."""
    ours = [
        model
        for model in apps.get_models()
        if model.__module__.startswith("voronka.")
        and not model._meta.proxy
        and not getattr(model, "backup_excluded", False)
    ]
    return [Group, *ours]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def schema_version() -> dict[str, str]:
    """The latest migration of each app whose tables are in the backup."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = {model._meta.app_label for model in backed_up_models()}
    leaves: dict[str, str] = {}
    for app_label, name in loader.graph.leaf_nodes():
        if app_label in labels:
            leaves[app_label] = max(leaves.get(app_label, ""), name)
    return dict(sorted(leaves.items()))


def _file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def backup_write(target, *, progress: Callable[[str, int], None] | None = None) -> BackupSummary:
    """Write the whole database and its files to `target` (a path or a binary file object)."""
    summary = BackupSummary()
    files: set[str] = set()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for model in backed_up_models():
            label = _label(model)
            m2m = [
                f.name
                for f in model._meta.many_to_many
                if f.remote_field.through._meta.auto_created
            ]
            rows = model._base_manager.order_by("pk")
            if m2m:
                rows = rows.prefetch_related(*m2m)
            count = 0
            with archive.open(f"data/{label}.jsonl", "w") as raw:
                stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
                last_pk = None
                while True:  # keyset pages: each query starts after the last id written
                    page = rows if last_pk is None else rows.filter(pk__gt=last_pk)
                    chunk = list(page[:CHUNK])
                    if not chunk:
                        break
                    for item in serializers.serialize(
                        "python", chunk, use_natural_foreign_keys=True
                    ):
                        stream.write(json.dumps(item, cls=ExactEncoder, ensure_ascii=False))
                        stream.write("\n")
                    count += len(chunk)
                    last_pk = chunk[-1].pk
                stream.flush()
                stream.detach()
            summary.counts[label] = count
            if progress:
                progress(label, count)
            for file_field in _file_fields(model):
                names = model._base_manager.exclude(**{file_field.name: ""}).values_list(
                    file_field.name, flat=True
                )
                files.update(name for name in names if name)
        for name in sorted(files):
            try:
                with default_storage.open(name, "rb") as source:
                    archive.writestr(f"files/{name}", source.read())
            except (FileNotFoundError, OSError):
                summary.missing_files.append(name)
                continue
            summary.files += 1
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "database_vendor": connection.vendor,
            "schema": schema_version(),
            "models": summary.counts,
            "files": summary.files,
            "missing_files": summary.missing_files,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return summary


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as error:
        raise BackupUnreadable() from error
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupUnreadable()
    return manifest


def _non_empty_tables() -> list[str]:
    return [
        _label(model)
        for model in backed_up_models()
        if _label(model) not in SELF_CREATED and model._base_manager.exists()
    ]


def _insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert rows exactly as stored: raw, so auto_now/default values are not recomputed."""
    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields]
    size = connection.ops.bulk_batch_size(fields, objects) or len(objects)
    for start in range(0, len(objects), size):
        model._base_manager._insert(objects[start : start + size], fields=fields, raw=True)


def _insert_m2m(model: type[models.Model], m2m_rows: dict[str, list[tuple]]) -> None:
    for name, pairs in m2m_rows.items():
        relation = model._meta.get_field(name)
        through = relation.remote_field.through
        source = relation.m2m_field_name() + "_id"
        target = relation.m2m_reverse_field_name() + "_id"
        through._base_manager.bulk_create(
            [through(**{source: left, target: right}) for left, right in pairs],
            batch_size=CHUNK,
        )
        m2m_rows[name] = []


def backup_restore(source, *, progress: Callable[[str, int], None] | None = None) -> BackupSummary:
    """Load a backup into this (empty, migrated) instance: rows, many-to-many links and files.

    Raises BackupUnreadable, BackupSchemaMismatch, DatabaseNotEmpty. All or nothing.
    """
    summary = BackupSummary()
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupUnreadable() from error
    with archive:
        manifest = read_manifest(archive)
        if manifest.get("schema") != schema_version():
            raise BackupSchemaMismatch()
        busy = _non_empty_tables()
        if busy:
            raise DatabaseNotEmpty(
                _("A backup can be restored only into an empty database; %(tables)s have rows.")
                % {"tables": ", ".join(busy[:5])}
            )
        names = set(archive.namelist())
        restored_models = []
        saved_files: list[tuple[str, str]] = []
        with transaction.atomic():
            for label in SELF_CREATED:
                apps.get_model(label)._base_manager.all().delete()
            for model in backed_up_models():
                label = _label(model)
                entry = f"data/{label}.jsonl"
                if entry not in names:
                    continue
                count = 0
                batch: list[models.Model] = []
                m2m_rows: dict[str, list[tuple]] = {}
                with archive.open(entry) as raw:
                    stream = io.TextIOWrapper(raw, encoding="utf-8")
                    for item in serializers.deserialize("jsonl", stream, ignorenonexistent=True):
                        if model._meta.parents:  # multi-table inheritance: the plain way
                            item.save()
                        else:
                            batch.append(item.object)
                        for name, pks in (item.m2m_data or {}).items():
                            m2m_rows.setdefault(name, []).extend((item.object.pk, pk) for pk in pks)
                        count += 1
                        if len(batch) >= CHUNK:
                            _insert(model, batch)
                            batch = []
                    _insert(model, batch)
                    _insert_m2m(model, m2m_rows)
                summary.counts[label] = count
                restored_models.append(model)
                if progress:
                    progress(label, count)
            _reset_sequences(restored_models)
            for entry in sorted(names):
                if not entry.startswith("files/") or entry.endswith("/"):
                    continue
                name = entry.removeprefix("files/")
                stored = default_storage.save(name, ContentFile(archive.read(entry)))
                saved_files.append((name, stored))
                summary.files += 1
            _rename_moved_files(saved_files)
    return summary


def _reset_sequences(restored: list[type[models.Model]]) -> None:
    """PostgreSQL sequences must continue after the restored ids (a no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _rename_moved_files(saved: list[tuple[str, str]]) -> None:
    """The storage may store a file under another name if the name is taken; follow it."""
    moved = {old: new for old, new in saved if old != new}
    if not moved:
        return
    for model in backed_up_models():
        for file_field in _file_fields(model):
            for old, new in moved.items():
                model._base_manager.filter(**{file_field.name: old}).update(
                    **{file_field.name: new}
                )
