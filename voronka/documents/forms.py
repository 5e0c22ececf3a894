from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.control_characters import ControlCharacterGuard
from voronka.pipeline.models import DocumentKind


class DocumentUploadForm(ControlCharacterGuard, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=DocumentKind.choices,
        error_messages={"required": _("Choose the kind of document.")},
    )
    file = forms.FileField(
        label=_("File"),
        error_messages={
            "required": _("Choose a file to upload."),
            "empty": _("The file is empty."),
        },
    )
