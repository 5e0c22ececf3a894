from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.control_characters import ControlCharacterGuard, validate_no_control_characters

from .models import CustomFieldDefinition, CustomFieldKind
from .services import custom_field_targets

FIELD_PREFIX = "cf_"


class ChoicesField(forms.Field):
    """One value a line in a textarea; a list of strings in cleaned_data."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = str(value or "")
        validate_no_control_characters(text.replace("\r", "").replace("\n", " "))
        return [line.strip() for line in text.splitlines() if line.strip()]


class CustomFieldCreateForm(ControlCharacterGuard, forms.ModelForm):
    choices = ChoicesField(
        label=_("Values to choose from"),
        required=False,
        help_text=_("For “one of a list”: one value a line."),
    )

    class Meta:
        model = CustomFieldDefinition
        fields = ["entity", "label", "code", "kind", "choices", "order", "is_active"]
        help_texts = {
            "code": _("The key in the API, exports and imports, e.g. segment. It cannot change."),
        }

    def clean(self):
        cleaned = super().clean()
        entity, code = cleaned.get("entity"), cleaned.get("code")
        if entity and code and CustomFieldDefinition.objects.filter(entity=entity, code=code):
            # On the code field, not as the model constraint's message about two columns.
            self.add_error("code", _("A field with this code already exists."))
        return cleaned


class CustomFieldEditForm(ControlCharacterGuard, forms.ModelForm):
    choices = ChoicesField(label=_("Values to choose from"), required=False)

    class Meta:
        model = CustomFieldDefinition
        fields = ["label", "choices", "order", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind != CustomFieldKind.CHOICE:
            del self.fields["choices"]


class CustomValuesForm(ControlCharacterGuard, forms.Form):
    """One input per active field of the entity; the service checks the values by kind."""

    def __init__(self, *args, entity: str, values: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        values = values or {}
        self.definitions = custom_field_targets(entity)
        for definition in self.definitions:
            name = FIELD_PREFIX + definition.code
            value = values.get(definition.code)
            if definition.kind == CustomFieldKind.CHOICE:
                choices = [("", "—")] + [(choice, choice) for choice in definition.choices]
                if value not in (None, "") and value not in definition.choices:
                    choices.append((value, value))  # a value from before the list changed
                field = forms.ChoiceField(choices=choices, required=False)
            elif definition.kind == CustomFieldKind.DATE:
                field = forms.CharField(
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
            elif definition.kind == CustomFieldKind.NUMBER:
                field = forms.CharField(
                    required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            else:
                field = forms.CharField(required=False, max_length=500)
            field.label = definition.label
            field.initial = "" if value is None else value
            self.fields[name] = field

    def values(self) -> dict:
        """code → raw text, for ``custom_values_clean``."""
        return {
            name.removeprefix(FIELD_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(FIELD_PREFIX)
        }

    def add_domain_error(self, error) -> None:
        name = FIELD_PREFIX + error.field if error.field else None
        self.add_error(name if name in self.fields else None, str(error.message))
