from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.control_characters import ControlCharacterGuard


class FeedbackRequestForm(ControlCharacterGuard, forms.Form):
    contact = forms.ModelChoiceField(
        label=_("Also email the link to"),
        queryset=None,
        required=False,
        help_text=_("Leave empty to copy the link and send it yourself."),
    )

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = deal.contacts.exclude(email="").order_by(
            "last_name", "first_name"
        )
        self.fields["contact"].empty_label = _("— nobody, I will send it myself —")


class FeedbackAnswerForm(ControlCharacterGuard, forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a colleague?"),
        choices=[(str(n), str(n)) for n in range(1, 11)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a score from 1 to 10.")},
    )
    comment = forms.CharField(
        label=_("What could we do better?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
