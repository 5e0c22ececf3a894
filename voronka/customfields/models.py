"""The team's own fields on deals and companies (segment, region, tier…).

A definition says what a field is; the values live in the ``custom_fields`` JSON column of the
deal or company, keyed by the definition's code, so analytics can group by them in SQL.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomFieldEntity(models.TextChoices):
    DEAL = "deal", _("Deal")
    COMPANY = "company", _("Company")


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("One of a list")


CODE_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]{0,39}$",
    _("Use 1–40 lowercase Latin letters, digits and underscores, starting with a letter."),
)


class CustomFieldDefinition(models.Model):
    entity = models.CharField(_("applies to"), max_length=10, choices=CustomFieldEntity.choices)
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=CustomFieldKind.choices)
    # For "one of a list": the allowed values, in the order they are offered.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["entity", "order", "label"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["entity", "code"], name="custom_field_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label
