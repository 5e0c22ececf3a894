from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's sign-in form with placeholders and autofocus suited to our page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"placeholder": _("Username"), "autocomplete": "username", "autofocus": True}
        )
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"placeholder": _("Password"), "autocomplete": "current-password"}
        )
