"""The importer's domain errors (shared by the wizard, the task worker and the command)."""

from django.utils.translation import gettext_lazy

from voronka.core.errors import DomainError


class FileTooLarge(DomainError):
    code = "file_too_large"
    status = 413
    default_message = gettext_lazy("The file is too large.")


class ImportNotReady(DomainError):
    code = "import_not_ready"
    status = 409
    default_message = gettext_lazy("Check the file before importing it.")


class InvalidRowsPresent(DomainError):
    code = "invalid_rows_present"
    default_message = gettext_lazy(
        "Some rows have errors. Fix the file, or choose to import the valid rows only."
    )
