"""Email templates and sending an email from a deal.

Placeholders such as ``{deal.title}`` are replaced by plain string substitution from a fixed
table of values: no template engine runs, so a template cannot execute code or reach any
attribute beyond the documented ones. Unknown placeholders are refused when a template is saved.
"""

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.activities.models import Activity, ActivityKind
from voronka.activities.services import activity_log
from voronka.core.errors import DomainError
from voronka.crm.models import Contact
from voronka.pipeline.models import Deal

from .models import EmailTemplate
from .tasks import deliver_email

PLACEHOLDERS = {
    "deal.title": _("the deal's title"),
    "deal.amount": _("the deal's amount with currency"),
    "company.name": _("the customer company's name"),
    "contact.name": _("the recipient's full name"),
    "manager.name": _("your name (the sender)"),
    "manager.email": _("your email"),
    "manager.phone": _("your phone"),
}
# Anything in single braces without spaces counts as a placeholder, so typos are caught too.
PLACEHOLDER_PATTERN = re.compile(r"\{([^{}\s]*)\}")


class UnknownPlaceholder(DomainError):
    code = "unknown_placeholder"
    default_message = _("Unknown placeholder.")


class EmailNotSendable(DomainError):
    code = "email_not_sendable"
    default_message = _("This email cannot be sent.")


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders in `text` that are not in the documented table, in order of appearance."""
    found = []
    for name in PLACEHOLDER_PATTERN.findall(text):
        if name not in PLACEHOLDERS and name not in found:
            found.append(name)
    return found


def check_placeholders(text: str, *, field: str) -> None:
    """Raise UnknownPlaceholder naming every unknown placeholder in `text`."""
    unknown = unknown_placeholders(text)
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        raise UnknownPlaceholder(
            _("Unknown placeholder(s): %(names)s. Use only the listed placeholders.")
            % {"names": names},
            field=field,
        )


@transaction.atomic
def email_template_save(
    *,
    name: str,
    subject: str,
    body: str,
    is_active: bool = True,
    user: User | None = None,
    template: EmailTemplate | None = None,
) -> EmailTemplate:
    """Create or update a template. Raises UnknownPlaceholder (field subject or body)."""
    if "\n" in subject or "\r" in subject:
        raise DomainError(_("The subject must be a single line."), field="subject")
    check_placeholders(subject, field="subject")
    check_placeholders(body, field="body")
    if template is None:
        template = EmailTemplate(created_by=user)
    template.name, template.subject, template.body = name.strip(), subject.strip(), body
    template.is_active = is_active
    template.save()
    return template


def email_template_delete(*, template: EmailTemplate) -> None:
    template.delete()


@dataclass(frozen=True)
class FilledEmail:
    subject: str
    body: str


def placeholder_values(*, deal: Deal, contact: Contact | None, sender: User) -> dict[str, str]:
    """The value of every placeholder for this deal, recipient and sender (all plain strings)."""
    amount = formats.number_format(deal.amount, 2, use_l10n=True, force_grouping=True)
    return {
        "deal.title": deal.title,
        "deal.amount": f"{amount} {deal.currency}",
        "company.name": deal.company.name if deal.company_id else "",
        "contact.name": contact.full_name if contact else "",
        "manager.name": sender.get_full_name() or sender.username,
        "manager.email": sender.email,
        "manager.phone": sender.phone,
    }


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace known placeholders by their values; anything else is left exactly as written."""
    return PLACEHOLDER_PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def email_fill(
    *, template: EmailTemplate, deal: Deal, contact: Contact | None, sender: User
) -> FilledEmail:
    values = placeholder_values(deal=deal, contact=contact, sender=sender)
    return FilledEmail(
        subject=fill_placeholders(template.subject, values),
        body=fill_placeholders(template.body, values),
    )


@transaction.atomic
def email_send_for_deal(
    *, deal: Deal, contact: Contact, subject: str, body: str, sender: User
) -> Activity:
    """Send an email to a contact of the deal and log it on the deal as an email activity.

    The mail is queued only after the transaction commits, so a failed log never sends, and is
    sent by a background task, so a mail server failure never breaks the page.
    Raises EmailNotSendable when the contact is not on the deal or has no address.
    """
    if not " ".join(subject.split()):
        raise EmailNotSendable(_("Give the email a subject."), field="subject")
    if not body.strip():
        raise EmailNotSendable(_("The email is empty."), field="body")
    if not deal.contacts.filter(pk=contact.pk).exists():
        raise EmailNotSendable(_("Choose a contact of this deal."), field="contact")
    if not contact.email:
        raise EmailNotSendable(
            _("%(name)s has no email address.") % {"name": contact.full_name}, field="contact"
        )
    values = placeholder_values(deal=deal, contact=contact, sender=sender)
    # Filled values may hold line breaks; a header must be one line.
    subject = " ".join(fill_placeholders(subject, values).split())
    body = fill_placeholders(body, values)
    activity = activity_log(
        kind=ActivityKind.EMAIL,
        subject=subject[:255],
        body=body,
        owner=sender,
        deal=deal,
        contact=contact,
    )
    recipient = contact.email
    transaction.on_commit(
        lambda: deliver_email.enqueue(subject=subject, body=body, recipient=recipient)
    )
    return activity
