"""Customer feedback: a tokenised public link per request, answered once."""

from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.activities.models import ActivityKind
from voronka.activities.services import activity_log
from voronka.core.errors import DomainError, NotPermitted
from voronka.core.models import Organisation
from voronka.crm.models import Contact
from voronka.pipeline.models import Deal

from .models import Feedback


class FeedbackAlreadyGiven(DomainError):
    code = "feedback_already_given"
    status = 409
    default_message = _("Thank you, we have already received your feedback.")


def can_request_feedback(user: User, deal: Deal) -> bool:
    """The deal's owner, heads and admins ask for feedback (the deal must be visible to them)."""
    return user.can_edit and (deal.owner_id == user.pk or user.can_manage_team)


@transaction.atomic
def feedback_request(
    *,
    deal: Deal,
    requested_by: User,
    link_for: Callable[[str], str],
    contact: Contact | None = None,
) -> Feedback:
    """Create a feedback link for the deal; with `contact`, email it to them after commit.

    Raises NotPermitted for anyone but the owner, a head or an admin, and DomainError when the
    contact is not on the deal or has no email address.
    """
    if not can_request_feedback(requested_by, deal):
        raise NotPermitted()
    if contact is not None:
        if not deal.contacts.filter(pk=contact.pk).exists():
            raise DomainError(_("Choose a contact of this deal."), field="contact")
        if not contact.email:
            raise DomainError(
                _("%(name)s has no email address.") % {"name": contact.full_name}, field="contact"
            )
    feedback = Feedback.objects.create(deal=deal)
    if contact is not None:
        link = link_for(feedback.token)
        organisation = Organisation.current().name
        subject = gettext("How did we do? Your feedback on «%(deal)s»") % {"deal": deal.title}
        body = gettext(
            "Hello, %(name)s!\n\nPlease rate how %(organisation)s worked with you on "
            "«%(deal)s». It takes a minute:\n%(link)s\n\nThank you!\n%(sender)s"
        ) % {
            "name": contact.full_name,
            "organisation": organisation,
            "deal": deal.title,
            "link": link,
            "sender": requested_by.get_full_name() or requested_by.username,
        }
        activity_log(
            kind=ActivityKind.EMAIL,
            subject=subject[:255],
            body=body,
            owner=requested_by,
            deal=deal,
            contact=contact,
        )
        recipient = contact.email
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
        )
    return feedback


def feedback_submit(*, feedback: Feedback, score: int, comment: str = "") -> Feedback:
    """Record the customer's answer once. Raises FeedbackAlreadyGiven on a second answer."""
    if not 1 <= score <= 10:
        raise DomainError(_("Choose a score from 1 to 10."), field="score")
    now = timezone.now()
    # A conditional update, so two simultaneous submissions cannot both be accepted.
    updated = Feedback.objects.filter(pk=feedback.pk, submitted_at__isnull=True).update(
        score=score, comment=comment.strip(), submitted_at=now
    )
    if not updated:
        raise FeedbackAlreadyGiven()
    feedback.score, feedback.comment, feedback.submitted_at = score, comment.strip(), now
    return feedback
