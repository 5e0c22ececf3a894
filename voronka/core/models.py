from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    # A default rather than auto_now_add, so imports and demo data can record past moments.
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False, db_index=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def import_job_link() -> models.ForeignKey:
    """The import that created the row (empty for rows made by hand or the API): what rolling
    that import back removes. Set by the importer's bulk writer in the INSERT itself, so the
    link commits with the row; indexed only where set (`import_job_index`)."""
    return models.ForeignKey(
        "imports.ImportJob",
        verbose_name=_("created by import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        related_name="+",
    )


def import_job_index(name: str) -> models.Index:
    return models.Index(
        fields=["import_job"], condition=models.Q(import_job__isnull=False), name=name
    )


class Organisation(models.Model):
    """The one organisation this instance serves: name, logo, colours, locale defaults."""

    SINGLETON_PK = 1

    name = models.CharField(_("company name"), max_length=200, default="Voronka")
    logo = models.ImageField(_("logo"), upload_to="logo/", blank=True)
    primary_color = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#2f6fed",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #2f6fed."))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    language = models.CharField(
        _("language"), max_length=8, choices=[("ru", "Русский"), ("en", "English")], default="ru"
    )
    # The default and the longest lifetime of a new API token; empty means tokens never expire.
    api_token_lifetime_days = models.PositiveIntegerField(
        _("API token lifetime, days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("New API tokens expire after this many days at most. Empty: never."),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> "Organisation":
        organisation, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return organisation
