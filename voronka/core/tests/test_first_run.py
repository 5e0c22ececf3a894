"""A fresh clone has no var/: the app makes every folder it writes to before first use."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from voronka.core.folders import ensure_writable_folders, writable_folders

REPOSITORY = Path(settings.BASE_DIR)


def _clean_environment(**extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "MEDIA_ROOT", "DJANGO_SETTINGS_MODULE", "REDIS_URL"}
    }
    return {**environment, **extra}


def test_every_folder_the_settings_name_is_created(tmp_path):
    media, cache, static = tmp_path / "m" / "edia", tmp_path / "c" / "ache", tmp_path / "s" / "t"
    with override_settings(
        MEDIA_ROOT=str(media),
        STATIC_ROOT=str(static),
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}},
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(cache),
            }
        },
    ):
        assert {media, cache, static} <= set(writable_folders())
        ensure_writable_folders()
    assert media.is_dir() and cache.is_dir() and static.is_dir()


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with (
        override_settings(
            MEDIA_ROOT=str(blocker / "media"),
            STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}},
        ),
        pytest.raises(ImproperlyConfigured, match="Voronka cannot create the folder"),
    ):
        ensure_writable_folders()


@pytest.mark.slow
def test_migrate_makes_the_sqlite_folder_of_a_fresh_install(tmp_path):
    database = tmp_path / "not" / "yet" / "there" / "voronka.sqlite3"
    media = tmp_path / "media" / "files"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=REPOSITORY,
        env=_clean_environment(DATABASE_URL=f"sqlite:///{database}", MEDIA_ROOT=str(media)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert database.is_file()
    assert media.is_dir()


def test_an_impossible_database_folder_stops_with_a_message_not_a_traceback(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPOSITORY,
        env=_clean_environment(DATABASE_URL=f"sqlite:///{blocker}/db.sqlite3"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert f"Voronka cannot create the folder {blocker}" in result.stderr
    assert "Traceback" not in result.stderr
