"""Forms for logging activities and filtering the task list. Writes go through services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.control_characters import ControlCharacterGuard

from .models import ActivityKind

DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class ActivityForm(ControlCharacterGuard, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=255,
        error_messages={"required": _("Give the activity a subject.")},
    )
    body = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to log something already done."),
    )

    def clean_subject(self):
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise forms.ValidationError(_("Give the activity a subject."))
        return subject

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ActivityKind.TASK and not cleaned.get("due_at"):
            self.add_error("due_at", _("Give the task a due date."))
        return cleaned


class DealActivityForm(ActivityForm):
    """The deal card's composer: optionally about one of the deal's contacts."""

    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = deal.contacts.all()
        self.fields["contact"].error_messages["invalid_choice"] = _(
            "Choose a contact of this deal."
        )


class TaskFilterForm(ControlCharacterGuard, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *ActivityKind.choices], required=False
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)

    def __init__(self, *args, owners, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Me")), ("all", _("Everyone I can see"))]
        choices += [(str(owner.pk), str(owner)) for owner in owners if owner.pk != user.pk]
        self.fields["owner"].choices = choices
