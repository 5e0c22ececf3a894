"""Forms of the company and contact pages. They parse input; `crm.services` validates and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.visibility import owner_choices_queryset, visible_companies
from voronka.core.choices import limit_choices
from voronka.core.control_characters import ControlCharacterGuard

from .models import Company, Contact


class _ServiceValidatedForm(ControlCharacterGuard, forms.ModelForm):
    """A model form that leaves model and constraint checks to the service (clearer messages)."""

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


def _owner_field(form: forms.ModelForm, user) -> None:
    """Heads and admins choose the owner among their people; a manager always owns what they add."""
    if user.can_manage_team:
        form.fields["owner"].queryset = owner_choices_queryset(user)
        form.fields["owner"].empty_label = None
        if form.instance.pk is None and not form.is_bound:
            form.initial.setdefault("owner", user.pk)
    else:
        del form.fields["owner"]


class CompanyForm(_ServiceValidatedForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "inn",
            "customer_type",
            "industry",
            "size",
            "owner",
            "phone",
            "email",
            "website",
            "address",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"inn": _("10 digits for an organisation, 12 for a sole trader.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _owner_field(self, user)
        self.fields["inn"].widget.attrs.update({"inputmode": "numeric", "maxlength": 12})


class ContactForm(_ServiceValidatedForm):
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "company",
            "position",
            "owner",
            "phone",
            "mobile",
            "email",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _owner_field(self, user)
        companies = visible_companies(user).order_by("name")
        field = self.fields["company"]
        field.queryset = companies
        field.error_messages["invalid_choice"] = _("Choose one of the companies you can see.")
        selected = [self.instance.company] if self.instance.company_id else []
        initial_company = self.initial.get("company")
        if initial_company is not None and not isinstance(initial_company, Company):
            selected += list(companies.filter(pk=initial_company))
        limit_choices(field, companies, selected)
