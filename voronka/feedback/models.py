import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_feedback_token() -> str:
    return secrets.token_urlsafe(24)


class Feedback(models.Model):
    """A customer's score and comment on a deal, given through a tokenised public link."""

    deal = models.ForeignKey(
        "pipeline.Deal", verbose_name=_("deal"), on_delete=models.CASCADE, related_name="feedback"
    )
    token = models.CharField(
        _("link token"), max_length=64, unique=True, default=new_feedback_token
    )
    score = models.PositiveSmallIntegerField(
        _("score (1–10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    comment = models.TextField(_("comment"), blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("customer feedback")
        verbose_name_plural = _("customer feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=10),
                name="feedback_score_1_to_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.score}"
