"""Forms of the deal card and the new-deal page.

They only parse and validate input: every write goes through `pipeline.services`. Choice lists
that can grow large (companies, contacts) validate against the user's whole visible queryset but
render only a short list of options, searchable through `pipeline:deal_options`.
"""

import re
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from voronka.accounts.visibility import (
    owner_choices_queryset,
    visible_companies,
    visible_contacts,
)
from voronka.core.choices import limit_choices
from voronka.core.control_characters import ControlCharacterGuard
from voronka.crm.models import LeadSource

from .models import LostReason, Pipeline, Stage

currency_field_validator = RegexValidator(
    r"^[A-Za-z]{3}$", _("Use a three-letter currency code such as RUB, USD or EUR.")
)


class NumberField(forms.DecimalField):
    """A decimal typed the way people type money: "2 500,50", "2,500.50" and "2500.50" all work.

    Spaces (also non-breaking ones, as the card shows them) are dropped. With both separators the
    rightmost one is the decimal point; a lone comma is decimal where the language writes it so
    (Russian) and otherwise only a thousands separator between groups of three ("1,500").
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f']", "", value)
            if "," in value and "." in value:
                decimal_point = "," if value.rfind(",") > value.rfind(".") else "."
                thousands = "." if decimal_point == "," else ","
                value = value.replace(thousands, "").replace(decimal_point, ".")
            elif "," in value:
                if get_format("DECIMAL_SEPARATOR") == ",":
                    value = value.replace(",", ".")
                elif re.fullmatch(r"-?\d{1,3}(,\d{3})+", value):
                    value = value.replace(",", "")
        return super().to_python(value)


class VersionForm(ControlCharacterGuard, forms.Form):
    """Every state change of a deal carries the version the user saw (optimistic lock)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class MoveStageForm(VersionForm):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none())

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id)
        self.fields["stage"].error_messages["invalid_choice"] = _(
            "Choose a stage of this deal's pipeline."
        )


class LoseForm(VersionForm):
    lost_reason = forms.ModelChoiceField(
        label=_("Reason"),
        # Any reason: `deal_lose` refuses an archived one with its own error (one rule, one place).
        queryset=LostReason.objects.all(),
        error_messages={"required": _("Choose a reason why the deal was lost.")},
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)


class DealFieldForm(VersionForm):
    """Edits one field of the deal inline: the card posts `field` and its value only."""

    FIELDS = (
        "title",
        "company",
        "contacts",
        "lead_source",
        "expected_close_date",
        "description",
        "currency",
        "amount",
        "owner",
    )

    def __init__(self, *args, field_name: str, user, deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_name = field_name
        self.fields[field_name] = self._build_field(field_name, user, deal)
        self.fields[field_name].widget.attrs.setdefault("autofocus", True)

    def _build_field(self, name: str, user, deal):
        if name == "title":
            return forms.CharField(label=_("Title"), max_length=255)
        if name == "company":
            companies = visible_companies(user).order_by("name")
            field = forms.ModelChoiceField(label=_("Company"), queryset=companies, required=False)
            limit_choices(field, companies, [deal.company])
            field.widget.attrs["data-options"] = "companies"
            return field
        if name == "contacts":
            contacts = visible_contacts(user).order_by("last_name", "first_name")
            if deal.company_id:
                # The deal's company people first: they are the likely choice.
                contacts = contacts.filter(company_id=deal.company_id)
            field = forms.ModelMultipleChoiceField(
                label=_("Contacts"), queryset=visible_contacts(user), required=False
            )
            limit_choices(field, contacts, list(deal.contacts.all()), empty=False)
            field.widget.attrs["data-options"] = "contacts"
            field.widget.attrs["size"] = 6
            return field
        if name == "lead_source":
            return forms.ModelChoiceField(
                label=_("Lead source"),
                queryset=LeadSource.objects.filter(is_active=True),
                required=False,
            )
        if name == "expected_close_date":
            return forms.DateField(
                label=_("Expected close date"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        if name == "description":
            return forms.CharField(
                label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
            )
        if name == "currency":
            return forms.CharField(
                label=_("Currency"),
                min_length=3,
                max_length=3,
                validators=[currency_field_validator],
            )
        if name == "amount":
            return NumberField(
                label=_("Amount"), min_value=Decimal(0), max_digits=14, decimal_places=2
            )
        if name == "owner":
            return forms.ModelChoiceField(label=_("Owner"), queryset=owner_choices_queryset(user))
        raise KeyError(name)

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()

    @property
    def value(self):
        return self.cleaned_data[self.field_name]


class LineItemForm(VersionForm):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None)
    quantity = NumberField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("The quantity must be positive.")},
    )
    unit_price = NumberField(
        label=_("Price"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text=_("Leave empty to use the catalogue price."),
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


class LineItemUpdateForm(VersionForm):
    quantity = LineItemForm.base_fields["quantity"]
    unit_price = NumberField(
        label=_("Price"), max_digits=14, decimal_places=2, min_value=Decimal(0)
    )


class DealCreateForm(ControlCharacterGuard, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True)
    )
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.filter(pipeline__is_active=True).select_related("pipeline"),
        required=False,
        help_text=_("Empty: the first stage of the pipeline."),
    )
    company = forms.ModelChoiceField(label=_("Company"), queryset=None, required=False)
    contacts = forms.ModelMultipleChoiceField(label=_("Contacts"), queryset=None, required=False)
    amount = NumberField(
        label=_("Amount"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        required=False,
        initial=Decimal(0),
    )
    currency = forms.CharField(
        label=_("Currency"),
        min_length=3,
        max_length=3,
        required=False,
        validators=[currency_field_validator],
    )
    lead_source = forms.ModelChoiceField(
        label=_("Lead source"), queryset=LeadSource.objects.filter(is_active=True), required=False
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        companies = visible_companies(user).order_by("name")
        contacts = visible_contacts(user).order_by("last_name", "first_name")
        self.fields["company"].queryset = companies
        self.fields["contacts"].queryset = contacts
        limit_choices(self.fields["company"], companies)
        limit_choices(self.fields["contacts"], contacts, empty=False)
        self.fields["company"].widget.attrs["data-options"] = "companies"
        self.fields["contacts"].widget.attrs.update({"data-options": "contacts", "size": 5})
        default = Pipeline.objects.filter(is_default=True).first()
        if default:
            self.fields["pipeline"].initial = default.pk
        if user.can_manage_team:
            self.fields["owner"].queryset = owner_choices_queryset(user)
            self.fields["owner"].initial = user.pk
        else:
            del self.fields["owner"]
        self.fields["stage"].label_from_instance = lambda stage: f"{stage.pipeline} · {stage}"

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()

    def clean_amount(self):
        return self.cleaned_data["amount"] or Decimal(0)

    def clean(self):
        cleaned = super().clean()
        pipeline, stage = cleaned.get("pipeline"), cleaned.get("stage")
        if pipeline and stage and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("The stage belongs to another pipeline."))
        return cleaned
