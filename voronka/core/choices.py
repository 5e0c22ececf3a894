"""Select fields over lists that can grow large (companies, contacts, products)."""

from django import forms

# How many options a select renders before the user searches.
OPTION_LIMIT = 50


def limit_choices(field: forms.ModelChoiceField, queryset, selected=(), empty: bool = True):
    """Render at most OPTION_LIMIT options (plus the selected ones); validation keeps the full set."""
    options = list(queryset[:OPTION_LIMIT])
    shown = {option.pk for option in options}
    extra = [item for item in selected if item is not None and item.pk not in shown]
    choices = [(item.pk, str(item)) for item in [*extra, *options]]
    if empty:
        choices.insert(0, ("", "—"))
    field.widget.choices = choices
