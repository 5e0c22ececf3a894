"""Logging and completing activities. Each is linked to a deal and/or a contact and company."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.core.errors import DomainError

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
