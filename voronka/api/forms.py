from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core import events
from voronka.core.control_characters import ControlCharacterGuard


class TokenForm(ControlCharacterGuard, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Where the token is used, e.g. “1C export” or “BI dashboard”."),
    )


class WebhookEndpointForm(ControlCharacterGuard, forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("Signing secret"),
        min_length=16,
        max_length=200,
        help_text=_("At least 16 characters; the receiver checks the signature with it."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, name) for name in events.ALL_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
