"""Logging and completing activities. Each is linked to a deal and/or a contact and company."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.core.errors import DomainError, NotPermitted

from .models import Activity, ActivityKind


def activity_log(
    *,
    kind: str,
    subject: str,
    owner: User,
    deal=None,
    contact=None,
    company=None,
    body: str = "",
    due_at: datetime | None = None,
    done: bool | None = None,
    at: datetime | None = None,
) -> Activity:
    """Record an activity. Calls, meetings, emails and notes are done when logged unless they
    have a due date; tasks stay open until completed. The deal's current stage is recorded."""
    if kind not in ActivityKind.values:
        raise DomainError(_("Unknown activity kind."), field="kind")
    if not subject.strip():
        raise DomainError(_("Give the activity a subject."), field="subject")
    at = at or timezone.now()
    if done is None:
        done = kind != ActivityKind.TASK and due_at is None
    if deal is not None:
        company = company or deal.company
    activity = Activity.objects.create(
        kind=kind,
        subject=subject.strip(),
        body=body,
        owner=owner,
        deal=deal,
        contact=contact,
        company=company,
        stage_id=deal.stage_id if deal is not None else None,
        due_at=due_at,
        done_at=at if done else None,
    )
    return activity


def activity_complete(*, activity: Activity, at: datetime | None = None) -> Activity:
    """Mark the activity done (now unless `at` is given); completing it twice changes nothing."""
    if activity.done_at is None:
        activity.done_at = at or timezone.now()
        activity.save(update_fields=["done_at", "updated_at"])
    return activity


class DealStillOpen(DomainError):
    code = "deal_still_open"
    default_message = _("The deal is still open: its tasks are its next steps.")


def deal_open_activities_complete(*, deal, at: datetime | None = None) -> int:
    """Mark every open activity of a closed deal done (the card offers it after a win or a
    loss, so no "call back" task outlives its deal); returns how many were open. An open deal's
    tasks are its next steps and are left alone (DealStillOpen)."""
    if deal.is_open:
        raise DealStillOpen()
    at = at or timezone.now()
    return Activity.objects.filter(deal=deal, done_at__isnull=True).update(
        done_at=at, updated_at=at
    )


def activity_reopen(*, activity: Activity) -> Activity:
    """Make a done activity open again (undo of a completion)."""
    if activity.done_at is not None:
        activity.done_at = None
        activity.save(update_fields=["done_at", "updated_at"])
    return activity


# What `activity_update` may change directly; done/undone go through complete and reopen.
EDITABLE_ACTIVITY_FIELDS = frozenset({"kind", "subject", "body", "due_at"})


def _require_editor(user: User) -> None:
    if not user.can_edit:
        raise NotPermitted()


@transaction.atomic
def activity_update(*, activity: Activity, user: User, done: bool | None = None, **fields):
    """Change an activity's kind, subject, body or due date, and complete (`done=True`) or
    reopen (`done=False`) it. Editors only (NotPermitted); the same rules as `activity_log`."""
    _require_editor(user)
    unknown = set(fields) - EDITABLE_ACTIVITY_FIELDS
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}")
    if "kind" in fields and fields["kind"] not in ActivityKind.values:
        raise DomainError(_("Unknown activity kind."), field="kind")
    if "subject" in fields:
        fields["subject"] = (fields["subject"] or "").strip()
        if not fields["subject"]:
            raise DomainError(_("Give the activity a subject."), field="subject")
    if fields:
        for name, value in fields.items():
            setattr(activity, name, value)
        activity.save(update_fields=[*fields, "updated_at"])
    if done is True:
        activity_complete(activity=activity)
    elif done is False:
        activity_reopen(activity=activity)
    return activity


def activity_delete(*, activity: Activity, user: User) -> None:
    """Delete an activity: its owner or an administrator only (NotPermitted otherwise)."""
    _require_editor(user)
    if not (user.is_admin or activity.owner_id == user.pk):
        raise NotPermitted()
    activity.delete()
