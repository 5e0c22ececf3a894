from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.control_characters import ControlCharacterGuard
from voronka.core.errors import DomainError

from .models import EmailTemplate
from .services import check_placeholders


class EmailTemplateForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def _clean_placeholders(self, field: str) -> str:
        value = self.cleaned_data[field]
        try:
            check_placeholders(value, field=field)
        except DomainError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from error
        return value

    def clean_subject(self):
        return self._clean_placeholders("subject")

    def clean_body(self):
        return self._clean_placeholders("body")


class ComposeForm(ControlCharacterGuard, forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=EmailTemplate.objects.none(), required=False
    )
    contact = forms.ModelChoiceField(label=_("Recipient"), queryset=None)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}))

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = EmailTemplate.objects.filter(is_active=True)
        self.fields["template"].empty_label = _("— no template —")
        recipients = deal.contacts.order_by("last_name", "first_name")
        self.fields["contact"].queryset = recipients
        self.fields["contact"].empty_label = _("— choose a recipient —")
        self.fields["contact"].label_from_instance = lambda contact: (
            f"{contact.full_name} <{contact.email}>" if contact.email else contact.full_name
        )
