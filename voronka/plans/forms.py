"""Forms of the plans pages: they parse input; ``plans.services`` validates and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Department
from voronka.accounts.visibility import head_department_ids, visible_companies, visible_users
from voronka.catalog.models import Direction, Product
from voronka.core.choices import limit_choices
from voronka.core.control_characters import ControlCharacterGuard

from .models import PlanDimension, PlanPeriod
from .services import TARGET_FIELDS, period_start_of


class PlanForm(ControlCharacterGuard, forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PlanPeriod.choices)
    period_day = forms.DateField(
        label=_("Starts"),
        help_text=_("Any day of the period: the plan covers the whole month, quarter or year."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    dimension = forms.ChoiceField(label=_("Plan for"), choices=PlanDimension.choices)
    user = forms.ModelChoiceField(label=_("Employee"), queryset=None, required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False)
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False)
    direction = forms.ModelChoiceField(label=_("Product line"), queryset=None, required=False)
    company = forms.ModelChoiceField(label=_("Customer"), queryset=None, required=False)
    target_amount = forms.DecimalField(
        label=_("Target amount"), min_value=0, max_digits=16, decimal_places=2
    )
    target_count = forms.IntegerField(label=_("Target deal count"), min_value=0, required=False)
    # Rendered into the page (json_script) so plans.js shows the one target field a dimension
    # needs without a copy of this mapping in JavaScript.
    target_fields = TARGET_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = visible_users(user).select_related(None)
        self.fields["department"].queryset = (
            Department.objects.all()
            if user.sees_everything
            else Department.objects.filter(pk__in=head_department_ids(user))
        )
        self.fields["product"].queryset = Product.objects.order_by("name")
        self.fields["direction"].queryset = Direction.objects.order_by("name")
        companies = visible_companies(user).order_by("name")
        self.fields["company"].queryset = companies
        # A short list searchable through `pipeline:deal_options`; any visible company validates.
        chosen = self.data.get("company", "") if self.is_bound else ""
        selected = list(companies.filter(pk=chosen)[:1]) if str(chosen).isdigit() else []
        limit_choices(self.fields["company"], companies, selected)

    def clean(self):
        cleaned = super().clean()
        dimension = cleaned.get("dimension")
        if dimension:
            target_field = TARGET_FIELDS[dimension]
            if not cleaned.get(target_field) and target_field not in self.errors:
                self.add_error(target_field, _("Choose the plan's target."))
        if cleaned.get("period") and cleaned.get("period_day"):
            cleaned["period_start"] = period_start_of(cleaned["period"], cleaned["period_day"])
        return cleaned

    def service_fields(self) -> dict:
        dimension = self.cleaned_data["dimension"]
        return {
            "period": self.cleaned_data["period"],
            "period_start": self.cleaned_data["period_start"],
            "dimension": dimension,
            "target": self.cleaned_data[TARGET_FIELDS[dimension]],
            "target_amount": self.cleaned_data["target_amount"],
            "target_count": self.cleaned_data.get("target_count"),
        }


class PlanTargetForm(ControlCharacterGuard, forms.Form):
    target_amount = forms.DecimalField(
        label=_("Target amount"), min_value=0, max_digits=16, decimal_places=2
    )
    target_count = forms.IntegerField(label=_("Target deal count"), min_value=0, required=False)
