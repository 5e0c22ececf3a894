from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from voronka.core import events
from voronka.core.control_characters import ControlCharacterGuard

from .models import TokenScope


class TokenForm(ControlCharacterGuard, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Where the token is used, e.g. “1C export” or “BI dashboard”."),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=TokenScope.choices,
        initial=TokenScope.READ_ONLY,
        widget=forms.RadioSelect,
        help_text=_("A read-only token gets 403 on any request that would change data."),
    )
    expires_on = forms.DateField(
        label=_("Valid through"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user, lifetime_days: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.can_edit:
            # Viewers only read, so their tokens can only read.
            self.fields["scope"].choices = [
                (value, label)
                for value, label in TokenScope.choices
                if value == TokenScope.READ_ONLY
            ]
        expires_on = self.fields["expires_on"]
        if lifetime_days:
            expires_on.initial = timezone.localdate() + timedelta(days=lifetime_days)
            expires_on.help_text = ngettext(
                "Tokens live at most %(days)d day here; empty means as long as allowed.",
                "Tokens live at most %(days)d days here; empty means as long as allowed.",
                lifetime_days,
            ) % {"days": lifetime_days}
        else:
            expires_on.help_text = _("Empty: the token never expires.")


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
