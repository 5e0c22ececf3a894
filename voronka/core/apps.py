import sys

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "voronka.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import lookups  # noqa: F401  (registers field__any_of)
        from .folders import ensure_writable_folders

        # Runs before any command or request touches the database (`migrate` on a fresh clone
        # must find the SQLite file's folder), so a missing folder is made, not a traceback.
        try:
            ensure_writable_folders()
        except ImproperlyConfigured as error:
            sys.exit(f"Voronka: {error}")
