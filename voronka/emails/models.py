from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel


class EmailTemplate(TimeStampedModel):
    """Subject and body with placeholders such as {deal.title}, {company.name}, {manager.name}.

    Placeholders are filled by plain substitution, never by a template engine, so a template
    cannot run code or reach attributes beyond the documented ones.
    """

    name = models.CharField(_("name"), max_length=150, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")

    def __str__(self) -> str:
        return self.name
