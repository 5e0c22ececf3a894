"""Forms of the settings pages: they parse and validate input; services do the writing."""

import zoneinfo

from django import forms
from django.core.validators import RegexValidator
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from voronka.accounts.departments import department_choice_label, department_tree
from voronka.accounts.models import Department, User
from voronka.catalog.models import Direction, Product
from voronka.core.control_characters import ControlCharacterGuard
from voronka.core.models import Organisation
from voronka.crm.models import LeadSource
from voronka.pipeline.blueprints import BLUEPRINTS
from voronka.pipeline.models import (
    DocumentKind,
    ExitRequirementKind,
    LostReason,
    PlaybookStep,
    RequiredDealField,
    Stage,
)


class ColorInput(forms.TextInput):
    input_type = "color"


class PipelineCreateForm(ControlCharacterGuard, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    blueprint = forms.ChoiceField(label=_("Start from"), required=False)
    is_default = forms.BooleanField(label=_("Make it the default pipeline"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blueprint"].choices = [("", _("Empty pipeline"))] + [
            (key, _("Template: %(name)s") % {"name": blueprint.name})
            for key, blueprint in BLUEPRINTS.items()
        ]

    def clean(self):
        data = super().clean()
        if not data.get("name", "").strip() and not data.get("blueprint"):
            self.add_error("name", _("Give the pipeline a name."))
        return data


class PipelineRenameForm(ControlCharacterGuard, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)


class StageForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "probability", "expected_conversion", "rotting_days", "color"]
        widgets = {"color": ColorInput()}


class PlaybookStepForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = PlaybookStep
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ExitRequirementForm(ControlCharacterGuard, forms.Form):
    kind = forms.ChoiceField(label=_("Requirement"), choices=ExitRequirementKind.choices)
    document_kind = forms.ChoiceField(
        label=_("Document kind"),
        choices=[("", "—")] + list(DocumentKind.choices),
        required=False,
    )
    field_name = forms.ChoiceField(
        label=_("Deal field"), choices=[("", "—")] + list(RequiredDealField.choices), required=False
    )

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ExitRequirementKind.DOCUMENT and not data.get("document_kind"):
            self.add_error("document_kind", _("Choose the document kind."))
        if kind == ExitRequirementKind.FIELD and not data.get("field_name"):
            self.add_error("field_name", _("Choose the deal field."))
        return data


class LostReasonForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = LostReason
        fields = ["name", "order", "is_active"]


class LeadSourceForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = LeadSource
        fields = ["name", "is_active"]


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class LeadSourceCostForm(ControlCharacterGuard, forms.Form):
    month = forms.DateField(
        label=_("Month"), input_formats=["%Y-%m", "%Y-%m-%d"], widget=MonthInput
    )
    amount = forms.DecimalField(label=_("Cost"), min_value=0, max_digits=14, decimal_places=2)


class DirectionForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = Direction
        fields = ["name"]


class ProductForm(ControlCharacterGuard, forms.ModelForm):
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=14, decimal_places=2)

    class Meta:
        model = Product
        fields = ["name", "sku", "direction", "unit", "price", "is_active"]


class DepartmentForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        parent.empty_label = _("None (top level)")
        parent.help_text = _("An office above this team: its head sees this team's deals too.")
        parent.choices = [("", parent.empty_label)] + [
            (department.pk, department_choice_label(department, depth))
            for department, depth in department_tree()
        ]


class UserEditForm(ControlCharacterGuard, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "role", "department", "capacity"]


class UserCreateForm(UserEditForm):
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(render_value=False), strip=False
    )

    class Meta(UserEditForm.Meta):
        fields = ["username", *UserEditForm.Meta.fields]


def _time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class LongSelect(forms.Select):
    """A select of a few hundred fixed options rendered in one pass: Django renders each option
    through its own template, which made the ~600 time zones most of the settings page's time
    (0.7 s, 2 s on a busy machine)."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class OrganisationForm(ControlCharacterGuard, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=_time_zone_choices, widget=LongSelect
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter code such as RUB."))],
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 2 MB."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Organisation
        fields = [
            "name",
            "primary_color",
            "currency",
            "time_zone",
            "language",
            "api_token_lifetime_days",
        ]
        widgets = {"primary_color": ColorInput()}
