from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A team or an office; a parent department (office → team) includes its sub-departments."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HEAD = "head", _("Head of sales")
    MANAGER = "manager", _("Sales manager")
    VIEWER = "viewer", _("Viewer")


class User(AbstractUser):
    """A person who signs in. The role and department decide what rows they see."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # How many open deals this seller can carry well; reassignment advice respects it.
    capacity = models.PositiveIntegerField(_("open-deal capacity"), default=60)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["role", "department"])]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        """What an owner's avatar shows: «ЕК» for Елена Кузнецова, the login's first two
        letters for someone without a name."""
        if self.first_name:
            return self.first_name[:1] + self.last_name[:1]
        return self.username[:2].upper()

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_head(self) -> bool:
        return self.role == Role.HEAD

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role in {Role.ADMIN, Role.VIEWER}

    @property
    def can_edit(self) -> bool:
        """Viewers read; everyone else may change what they can see."""
        return self.is_superuser or self.role != Role.VIEWER

    @property
    def can_manage_team(self) -> bool:
        """Heads and admins reassign deals, set plans and apply advice."""
        return self.is_superuser or self.role in {Role.ADMIN, Role.HEAD}
