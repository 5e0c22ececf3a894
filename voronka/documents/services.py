"""Attaching files to deals: size- and type-checked, stored under generated names."""

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import InvalidInput, NotPermitted
from voronka.pipeline.models import DocumentKind

from .models import Document

ALLOWED_EXTENSIONS = frozenset(
    {
        ".pdf",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
        ".odt",
        ".ods",
        ".odp",
        ".rtf",
        ".txt",
        ".csv",
        ".png",
        ".jpg",
        ".jpeg",
        ".zip",
    }
)


class DocumentRejected(InvalidInput):
    code = "document_rejected"


def document_attach(*, deal, kind: str, upload: UploadedFile, user: User) -> Document:
    """Attach a file to the deal, recording the deal's current stage.

    Raises DocumentRejected for an unknown kind, an empty or too large file, or a file type
    outside ALLOWED_EXTENSIONS.
    """
    if kind not in DocumentKind.values:
        raise DocumentRejected(_("Choose the kind of document."), field="kind")
    name = Path(upload.name or "").name
    extension = Path(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise DocumentRejected(
            _("Files of type “%(ext)s” are not accepted. Allowed: %(allowed)s.")
            % {"ext": extension or "?", "allowed": ", ".join(sorted(ALLOWED_EXTENSIONS))},
            field="file",
        )
    if upload.size == 0:
        raise DocumentRejected(_("The file is empty."), field="file")
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise DocumentRejected(
            _("The file is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"size": upload.size / 1048576, "limit": limit / 1048576},
            field="file",
        )
    return Document.objects.create(
        deal=deal,
        kind=kind,
        file=upload,
        original_name=name[:255],
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
        size=upload.size,
        stage_id=deal.stage_id,
        uploaded_by=user,
    )


def document_delete(*, document: Document, user: User) -> None:
    """Only the deal's owner, the uploader or an admin may delete a document."""
    if not (user.is_admin or user.pk in {document.deal.owner_id, document.uploaded_by_id}):
        raise NotPermitted()
    document.file.delete(save=False)
    document.delete()
