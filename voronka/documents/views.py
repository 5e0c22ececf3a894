"""Deal documents: upload, permission-checked download (never a public media URL), delete."""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from voronka.accounts.visibility import visible_documents
from voronka.core.errors import DomainError, NotPermitted
from voronka.pipeline.views.deal import (
    card_success,
    form_error_message,
    get_visible_deal,
    render_deal_card,
)

from . import services
from .forms import DocumentUploadForm
from .models import Document


def _visible_document(user, pk) -> Document:
    return get_object_or_404(visible_documents(user).select_related("deal"), pk=pk)


@login_required
@require_POST
def document_upload(request, deal_pk):
    deal = get_visible_deal(request.user, deal_pk)
    if not request.user.can_edit:
        raise PermissionDenied
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_deal_card(
            request, deal, status=400, error=form_error_message(form), section="documents"
        )
    try:
        services.document_attach(
            deal=deal,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            user=request.user,
        )
    except DomainError as error:
        return render_deal_card(
            request, deal, status=error.status, error=error.message, section="documents"
        )
    return card_success(request, deal.pk)


@login_required
@require_GET
def document_download(request, pk):
    document = _visible_document(request.user, pk)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    # The type follows the (allow-listed) extension, never the uploader's claim.
    content_type = mimetypes.guess_type(document.original_name)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def document_delete(request, pk):
    document = _visible_document(request.user, pk)
    if not request.user.can_edit:
        raise PermissionDenied
    try:
        services.document_delete(document=document, user=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    return card_success(request, document.deal_id)
