from django import template

from ..services import custom_values_for_display

register = template.Library()


@register.simple_tag
def custom_field_rows(entity: str, target) -> list[tuple]:
    """(definition, shown value, stored value) for each active field of the entity."""
    return custom_values_for_display(entity, getattr(target, "custom_fields", None))
