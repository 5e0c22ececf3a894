from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel


class PlanPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class PlanDimension(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    DEPARTMENT = "department", _("Department")
    PRODUCT = "product", _("Product")
    DIRECTION = "direction", _("Product line")
    CUSTOMER = "customer", _("Customer")


class Plan(TimeStampedModel):
    """A sales target for one period and one dimension (employee, department, product…)."""

    period = models.CharField(_("period"), max_length=8, choices=PlanPeriod.choices)
    period_start = models.DateField(_("period start"))
    dimension = models.CharField(_("for"), max_length=12, choices=PlanDimension.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
    )
    direction = models.ForeignKey(
        "catalog.Direction",
        verbose_name=_("product line"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
    )
    target_amount = models.DecimalField(_("target amount"), max_digits=16, decimal_places=2)
    target_count = models.PositiveIntegerField(_("target deal count"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-period_start", "dimension"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__gte=0), name="plan_target_not_negative"
            ),
            # Exactly the field named by the dimension is set, and no other.
            models.CheckConstraint(
                condition=(
                    Q(
                        dimension="employee",
                        user__isnull=False,
                        department__isnull=True,
                        product__isnull=True,
                        direction__isnull=True,
                        company__isnull=True,
                    )
                    | Q(
                        dimension="department",
                        user__isnull=True,
                        department__isnull=False,
                        product__isnull=True,
                        direction__isnull=True,
                        company__isnull=True,
                    )
                    | Q(
                        dimension="product",
                        user__isnull=True,
                        department__isnull=True,
                        product__isnull=False,
                        direction__isnull=True,
                        company__isnull=True,
                    )
                    | Q(
                        dimension="direction",
                        user__isnull=True,
                        department__isnull=True,
                        product__isnull=True,
                        direction__isnull=False,
                        company__isnull=True,
                    )
                    | Q(
                        dimension="customer",
                        user__isnull=True,
                        department__isnull=True,
                        product__isnull=True,
                        direction__isnull=True,
                        company__isnull=False,
                    )
                ),
                name="plan_dimension_matches_target",
            ),
        ]
        indexes = [models.Index(fields=["period", "period_start"])]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()} {self.period_start:%Y-%m}: {self.target_amount}"
