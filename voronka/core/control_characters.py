"""Invisible control characters are refused wherever text comes in: forms, API and importer.

They have no place in CRM text, XLSX cannot store them (openpyxl raises), and terminals and
spreadsheets may act on them. Tab, line feed and carriage return stay allowed: multi-line text
needs them. Forms use `ControlCharacterGuard`, the API's input schemas a field validator, the
importer and services `reject_control_characters`; all share `find_control_character`.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from voronka.core.errors import ControlCharacters

# C0 controls except tab, LF and CR; DEL; C1 controls. Written so that Python, Rust and ECMA
# regex engines read it alike (the API publishes it in its OpenAPI patterns).
CONTROL_CHARACTER_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
CONTROL_CHARACTER_RE = re.compile(f"[{CONTROL_CHARACTER_CLASS}]")


# Lone surrogates (JSON's "\ud800" decodes to one) are no character at all: PostgreSQL cannot
# store them (UTF-8 has no encoding for them). Checked apart, since Rust's regex engine (the API
# schema's) cannot even write this class.
SURROGATE_RE = re.compile("[\ud800-\udfff]")


def find_control_character(text: str) -> str | None:
    """The first refused control character (or lone surrogate) in `text`, or None."""
    match = CONTROL_CHARACTER_RE.search(text) or SURROGATE_RE.search(text)
    return match.group() if match else None


def control_character_message(character: str) -> str:
    return _(
        "The text contains an invisible control character (U+%(code)04X); remove it (it often "
        "comes with text pasted from another program)."
    ) % {"code": ord(character)}


def reject_control_characters(value: str, *, field: str | None = None) -> str:
    """`value` unchanged; raises ControlCharacters (a DomainError naming `field`) if it holds one."""
    character = find_control_character(value) if isinstance(value, str) else None
    if character is not None:
        raise ControlCharacters(control_character_message(character), field=field)
    return value


def validate_no_control_characters(value) -> None:
    """A Django validator: the same rule as a form error."""
    character = find_control_character(value) if isinstance(value, str) else None
    if character is not None:
        raise ValidationError(control_character_message(character), code="control_characters")


class ControlCharacterGuard:
    """Form mixin: every text field (CharField and its kinds) refuses control characters.

    Validators are attached when the form is cleaned, so fields that a form adds in its own
    `__init__` are covered too.
    """

    def full_clean(self):
        for field in self.fields.values():
            if (
                isinstance(field, forms.CharField)
                and validate_no_control_characters not in field.validators
            ):
                field.validators.append(validate_no_control_characters)
        super().full_clean()
