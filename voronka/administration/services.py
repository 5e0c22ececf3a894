"""Settings an administrator changes: pipelines and stages, reference lists, users, organisation.

Each function is one write path used by the settings pages (and any future API). Rules that
protect history live here: a stage that deals ever reached is never deleted, the default
pipeline is never archived, an administrator cannot lock themselves out.
"""

import uuid
import warnings
from datetime import date
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, ProtectedError, Q
from django.utils.translation import gettext_lazy as _

from voronka.accounts.departments import department_scope_ids
from voronka.accounts.models import Department, Role, User
from voronka.core.errors import DomainError
from voronka.core.models import Organisation
from voronka.crm.models import LeadSource, LeadSourceCost
from voronka.pipeline.blueprints import BLUEPRINTS, pipeline_create_from_blueprint
from voronka.pipeline.models import (
    Deal,
    ExitRequirementKind,
    LostReason,
    Pipeline,
    PlaybookStep,
    Stage,
    StageChange,
    StageExitRequirement,
    StageVisit,
)

LOGO_MAX_BYTES = 2 * 1024 * 1024
# SVG can carry scripts, so only raster formats are accepted; Pillow decides what a file is.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


class StageHasDeals(DomainError):
    code = "stage_has_deals"
    default_message = _(
        "This stage has deals or deal history, so it cannot be deleted. "
        "Move the deals to another stage or rename the stage instead."
    )


class DefaultPipelineArchive(DomainError):
    code = "default_pipeline_archive"
    default_message = _(
        "The default pipeline cannot be archived. Make another pipeline default first."
    )


class InvalidLogo(DomainError):
    code = "invalid_logo"
    default_message = _("Upload a PNG, JPEG or WebP image of at most 2 MB.")


class SelfLockout(DomainError):
    code = "self_lockout"
    default_message = _("You cannot deactivate yourself or take away your own administrator role.")


# Pipelines -------------------------------------------------------------------------------------


def _check_pipeline_name_free(name: str, *, pipeline: Pipeline | None = None) -> None:
    # Compared in Python: SQLite's case-insensitive match only folds ASCII, not Cyrillic.
    taken = Pipeline.objects.exclude(pk=pipeline.pk if pipeline else None).values_list(
        "name", flat=True
    )
    if name.casefold() in {other.casefold() for other in taken}:
        raise DomainError(_("A pipeline with this name already exists."), field="name")


@transaction.atomic
def pipeline_create(*, name: str, blueprint_key: str = "", is_default: bool = False) -> Pipeline:
    """Create an empty pipeline, or one with a blueprint's stages, playbooks and requirements."""
    name = name.strip()
    if blueprint_key:
        blueprint = BLUEPRINTS.get(blueprint_key)
        if blueprint is None:
            raise DomainError(_("Unknown pipeline template."), field="blueprint")
        _check_pipeline_name_free(name or blueprint.name)
        pipeline = pipeline_create_from_blueprint(blueprint, name=name or None)
    else:
        if not name:
            raise DomainError(_("Give the pipeline a name."), field="name")
        _check_pipeline_name_free(name)
        top = Pipeline.objects.aggregate(top=Max("order"))["top"]
        pipeline = Pipeline.objects.create(name=name, order=0 if top is None else top + 1)
    if is_default or not Pipeline.objects.filter(is_default=True).exists():
        pipeline_set_default(pipeline=pipeline)
    return pipeline


def pipeline_rename(*, pipeline: Pipeline, name: str) -> Pipeline:
    name = name.strip()
    if not name:
        raise DomainError(_("Give the pipeline a name."), field="name")
    _check_pipeline_name_free(name, pipeline=pipeline)
    pipeline.name = name
    pipeline.save(update_fields=["name"])
    return pipeline


@transaction.atomic
def pipeline_set_default(*, pipeline: Pipeline) -> Pipeline:
    """Make this (active) pipeline the one new deals go to; the old default stops being one."""
    Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)
    pipeline.is_default = True
    pipeline.is_active = True
    pipeline.save(update_fields=["is_default", "is_active"])
    return pipeline


def pipeline_archive(*, pipeline: Pipeline) -> Pipeline:
    """Hide a pipeline from new deals; its deals and history stay. Raises DefaultPipelineArchive."""
    if pipeline.is_default:
        raise DefaultPipelineArchive()
    pipeline.is_active = False
    pipeline.save(update_fields=["is_active"])
    return pipeline


def pipeline_restore(*, pipeline: Pipeline) -> Pipeline:
    pipeline.is_active = True
    pipeline.save(update_fields=["is_active"])
    return pipeline


# Stages ----------------------------------------------------------------------------------------

STAGE_FIELDS = ("name", "probability", "expected_conversion", "rotting_days", "color")


@transaction.atomic
def stage_create(*, pipeline: Pipeline, **fields) -> Stage:
    """Add a stage at the end of the pipeline."""
    top = pipeline.stages.aggregate(top=Max("order"))["top"] or 0
    values = {name: fields[name] for name in STAGE_FIELDS if name in fields}
    return Stage.objects.create(pipeline=pipeline, order=top + 1, **values)


def stage_update(*, stage: Stage, **fields) -> Stage:
    changed = [name for name in STAGE_FIELDS if name in fields]
    for name in changed:
        setattr(stage, name, fields[name])
    stage.save(update_fields=changed)
    return stage


@transaction.atomic
def stage_delete(*, stage: Stage) -> None:
    """Delete a stage nobody ever used. Raises StageHasDeals if a deal or history refers to it."""
    in_use = (
        Deal.objects.filter(Q(stage=stage) | Q(furthest_stage=stage)).exists()
        or StageVisit.objects.filter(stage=stage).exists()
        or StageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()
    )
    if in_use:
        raise StageHasDeals()
    try:
        stage.delete()
    except ProtectedError as error:  # another history table refers to it
        raise StageHasDeals() from error


# Playbook steps and exit requirements ----------------------------------------------------------


def playbook_step_create(*, stage: Stage, title: str, description: str = "") -> PlaybookStep:
    top = stage.playbook_steps.aggregate(top=Max("order"))["top"] or 0
    return PlaybookStep.objects.create(
        stage=stage, order=top + 1, title=title.strip(), description=description
    )


def playbook_step_update(*, step: PlaybookStep, title: str, description: str = "") -> PlaybookStep:
    step.title = title.strip()
    step.description = description
    step.save(update_fields=["title", "description"])
    return step


def playbook_step_delete(*, step: PlaybookStep) -> None:
    """Delete a step; the record of deals that completed it goes with it."""
    step.delete()


@transaction.atomic
def playbook_steps_reorder(*, stage: Stage, step_ids: list[int]) -> None:
    """Put the stage's playbook steps in the given order (all of them, each once)."""
    current = set(stage.playbook_steps.values_list("pk", flat=True))
    if set(step_ids) != current or len(step_ids) != len(current):
        raise DomainError(_("Give every step of the stage exactly once."), field="steps")
    for position, step_id in enumerate(step_ids, start=1):
        PlaybookStep.objects.filter(pk=step_id).update(order=position)


def exit_requirement_create(
    *, stage: Stage, kind: str, document_kind: str = "", field_name: str = ""
) -> StageExitRequirement:
    """Add what a deal must have before leaving the stage; each kind takes only its parameter."""
    if kind == ExitRequirementKind.DOCUMENT:
        if not document_kind:
            raise DomainError(_("Choose the document kind."), field="document_kind")
        field_name = ""
    elif kind == ExitRequirementKind.FIELD:
        if not field_name:
            raise DomainError(_("Choose the deal field."), field="field_name")
        document_kind = ""
    elif kind == ExitRequirementKind.PLAYBOOK:
        document_kind = field_name = ""
    else:
        raise DomainError(_("Unknown requirement kind."), field="kind")
    duplicate = stage.exit_requirements.filter(
        kind=kind, document_kind=document_kind, field_name=field_name
    )
    if duplicate.exists():
        raise DomainError(_("The stage already has this requirement."), field="kind")
    return StageExitRequirement.objects.create(
        stage=stage, kind=kind, document_kind=document_kind, field_name=field_name
    )


def exit_requirement_delete(*, requirement: StageExitRequirement) -> None:
    requirement.delete()


# Reference lists -------------------------------------------------------------------------------


def lost_reason_save(
    *, name: str, order: int = 0, is_active: bool = True, reason: LostReason | None = None
) -> LostReason:
    reason = reason or LostReason()
    reason.name, reason.order, reason.is_active = name.strip(), order, is_active
    reason.save()
    return reason


def lead_source_save(
    *, name: str, is_active: bool = True, source: LeadSource | None = None
) -> LeadSource:
    source = source or LeadSource()
    source.name, source.is_active = name.strip(), is_active
    source.save()
    return source


def lead_source_cost_set(*, source: LeadSource, month: date, amount: Decimal) -> LeadSourceCost:
    """Record what a channel cost in a month (one figure a month; a new one replaces it)."""
    if amount < 0:
        raise DomainError(_("The cost must be zero or positive."), field="amount")
    cost, _created = LeadSourceCost.objects.update_or_create(
        source=source, month=month.replace(day=1), defaults={"amount": amount}
    )
    return cost


def lead_source_cost_delete(*, cost: LeadSourceCost) -> None:
    cost.delete()


# People ----------------------------------------------------------------------------------------


class DepartmentCycle(DomainError):
    code = "department_cycle"
    default_message = _("A department cannot be placed under itself or under one of its teams.")


def department_save(
    *, name: str, parent: Department | None = None, department: Department | None = None
) -> Department:
    """Create or change a department and its parent (office → team).

    Raises DepartmentCycle when the parent is the department itself or one below it.
    """
    department = department or Department()
    if (
        parent is not None
        and department.pk is not None
        and parent.pk in department_scope_ids(department.pk)
    ):
        raise DepartmentCycle(field="parent")
    department.name = name.strip()
    department.parent = parent
    department.save()
    return department


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str = Role.MANAGER,
    department: Department | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    capacity: int = 60,
) -> User:
    """Create a person who can sign in. The password must pass the configured validators."""
    user = User(
        username=username.strip(),
        role=role,
        department=department,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        capacity=capacity,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from error
    user.set_password(password)
    user.save()
    return user


USER_FIELDS = ("first_name", "last_name", "email", "phone", "role", "department", "capacity")


def user_update(*, user: User, acting_user: User, **fields) -> User:
    """Change a person's details, role, department or capacity. Raises SelfLockout."""
    demotes_self = user.pk == acting_user.pk and fields.get("role", Role.ADMIN) != Role.ADMIN
    if demotes_self and not user.is_superuser:
        raise SelfLockout(field="role")
    changed = [name for name in USER_FIELDS if name in fields]
    for name in changed:
        setattr(user, name, fields[name])
    user.save(update_fields=changed)
    return user


def user_set_active(*, user: User, acting_user: User, is_active: bool) -> User:
    """Deactivate (or reactivate) a person; their deals and history stay. Raises SelfLockout."""
    if user.pk == acting_user.pk and not is_active:
        raise SelfLockout()
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    return user


# Organisation ----------------------------------------------------------------------------------

ORGANISATION_FIELDS = (
    "name",
    "primary_color",
    "currency",
    "time_zone",
    "language",
    "api_token_lifetime_days",
)


def logo_check(upload: UploadedFile) -> str:
    """Return the file extension for an acceptable logo. Raises InvalidLogo with the reason."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > LOGO_MAX_BYTES:
        raise InvalidLogo(_("The logo is larger than 2 MB."), field="logo")
    try:
        upload.seek(0)
        # A few kilobytes can declare billions of pixels (a decompression bomb); Pillow warns
        # above its limit and raises above twice that. Both are refused.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidLogo(
            _("The image has too many pixels for a logo; upload a smaller one."),
            field="logo",
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InvalidLogo(field="logo") from error
    finally:
        upload.seek(0)
    if image_format not in LOGO_FORMATS:
        raise InvalidLogo(field="logo")
    return LOGO_FORMATS[image_format]


@transaction.atomic
def organisation_update(
    *, logo: UploadedFile | None = None, remove_logo: bool = False, **fields
) -> Organisation:
    """Save the organisation profile; a new logo is checked and stored under a generated name."""
    organisation = Organisation.current()
    for name in ORGANISATION_FIELDS:
        if name in fields:
            setattr(organisation, name, fields[name])
    old_logo = organisation.logo.name if organisation.logo else ""
    if logo is not None:
        extension = logo_check(logo)
        organisation.logo.save(f"{uuid.uuid4().hex}.{extension}", logo, save=False)
    elif remove_logo:
        organisation.logo = ""
    organisation.save()
    if old_logo and old_logo != organisation.logo.name:
        storage = organisation.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    return organisation
