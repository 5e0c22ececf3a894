from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel, import_job_index, import_job_link


class CustomerType(models.TextChoices):
    SMALL = "small", _("Small business")
    MEDIUM = "medium", _("Mid-market")
    ENTERPRISE = "enterprise", _("Enterprise")
    PUBLIC = "public", _("Public sector")


class CompanySize(models.TextChoices):
    MICRO = "1-10", _("1–10 employees")
    SMALL = "11-50", _("11–50 employees")
    MEDIUM = "51-250", _("51–250 employees")
    LARGE = "251-1000", _("251–1000 employees")
    HUGE = "1000+", _("over 1000 employees")


class LeadSource(models.Model):
    """A marketing channel that brings deals: site, exhibition, cold call, referral, ads…"""

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")

    def __str__(self) -> str:
        return self.name


class LeadSourceCost(models.Model):
    """What a channel cost in one month; channels analytics divides it by won deals."""

    source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.CASCADE, related_name="costs"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(_("cost"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["source", "month"]
        verbose_name = _("lead source cost")
        verbose_name_plural = _("lead source costs")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "month"], name="lead_source_cost_once_a_month"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="lead_source_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.month:%Y-%m}: {self.amount}"


class Company(TimeStampedModel):
    """A customer account. New vs returning is derived from its won deals, never typed in."""

    name = models.CharField(_("name"), max_length=255, db_index=True)
    inn = models.CharField(_("tax id (INN)"), max_length=12, blank=True)
    customer_type = models.CharField(
        _("customer type"), max_length=16, choices=CustomerType.choices, default=CustomerType.SMALL
    )
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    size = models.CharField(_("size"), max_length=16, choices=CompanySize.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="companies",
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # Values of the custom fields (voronka.customfields), keyed by the definition's code.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    import_job = import_job_link()

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="company_external_id_unique",
            ),
            models.UniqueConstraint(
                fields=["inn"], condition=~Q(inn=""), name="company_inn_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["owner"]),
            models.Index(fields=["customer_type"]),
            import_job_index("company_import_job_idx"),
            # The companies list's sortable columns and its industry filter (the partial
            # unique index on inn cannot serve a sort).
            models.Index(fields=["name"], name="company_name_idx"),
            models.Index(fields=["inn"], name="company_inn_idx"),
            models.Index(fields=["industry"], name="company_industry_idx"),
            models.Index(fields=["created_at"], name="company_created_at_idx"),
            # The latest change, which keys the list's cached count and industries.
            models.Index(fields=["updated_at"], name="company_updated_at_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TimeStampedModel):
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    import_job = import_job_link()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="contact_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["owner"]),
            # The contacts list's sortable columns (phone and email have their own index).
            models.Index(fields=["last_name", "first_name"], name="contact_name_idx"),
            models.Index(fields=["position"], name="contact_position_idx"),
            models.Index(fields=["created_at"], name="contact_created_at_idx"),
            import_job_index("contact_import_job_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
