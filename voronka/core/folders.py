"""The folders Voronka writes to, created before first use wherever the settings point them.

A fresh clone has no `var/`: the SQLite file, uploads, the file cache and collected static files
must not depend on some other step (or a system check's side effect) having made it first.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def writable_folders() -> list[Path]:
    """Every folder the configured databases, storage, cache and static files write into."""
    folders: list[Path] = []
    for database in settings.DATABASES.values():
        name = str(database.get("NAME") or "")
        if database.get("ENGINE", "").endswith("sqlite3") and name and not _is_in_memory(name):
            folders.append(Path(name).parent)
    default_storage = settings.STORAGES.get("default", {}).get("BACKEND", "")
    if default_storage.endswith("FileSystemStorage") and settings.MEDIA_ROOT:
        folders.append(Path(settings.MEDIA_ROOT))
    for cache in settings.CACHES.values():
        if cache.get("BACKEND", "").endswith("FileBasedCache"):
            folders.append(Path(cache["LOCATION"]))
    if settings.STATIC_ROOT:
        folders.append(Path(settings.STATIC_ROOT))
    return folders


def ensure_writable_folders() -> None:
    """Create each folder (and its parents); a folder that cannot be made is a clear error."""
    for folder in writable_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ImproperlyConfigured(
                f"Voronka cannot create the folder {folder} ({error.strerror}). "
                "Create it yourself or point the setting (DATABASE_URL, MEDIA_ROOT, …) elsewhere."
            ) from None


def _is_in_memory(name: str) -> bool:
    return name == ":memory:" or name.startswith("file:") or "mode=memory" in name
