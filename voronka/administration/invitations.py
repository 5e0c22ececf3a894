"""Invitations: a one-time link with which a person without a password sets one.

The link is Django's password-reset token for the person (it stops working once the password is
set, or after ``PASSWORD_RESET_TIMEOUT``). It is shown to the admin to pass on, and emailed to
the person when they have an address and the server sends real email.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import User
from voronka.core.errors import DomainError, NotPermitted

CONSOLE_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


class AlreadyHasPassword(DomainError):
    code = "already_has_password"
    default_message = gettext_lazy("This person already has a password.")


@dataclass(frozen=True)
class Invitation:
    path: str  # the site-relative link; the page makes it absolute
    emailed: bool


def invitation_path(person: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    return reverse("password_set", kwargs={"uidb64": uid, "token": token})


def email_is_configured() -> bool:
    return settings.EMAIL_BACKEND not in CONSOLE_BACKENDS


def user_invite(*, person: User, acting_user: User, base_url: str) -> Invitation:
    """A set-password link for an active person without a usable password; emailed when possible.

    Raises NotPermitted (not an admin), AlreadyHasPassword, DomainError (deactivated person).
    """
    if not acting_user.is_admin:
        raise NotPermitted()
    if not person.is_active:
        raise DomainError(_("Reactivate the person before inviting them."))
    if person.has_usable_password():
        raise AlreadyHasPassword()
    path = invitation_path(person)
    emailed = False
    if person.email and email_is_configured():
        send_mail(
            _("Your Voronka account"),
            _(
                "Hello, %(name)s!\n\nAn account has been created for you. Set your password "
                "with this link (it works once):\n%(url)s\n"
            )
            % {"name": person.get_full_name() or person.username, "url": base_url + path},
            None,
            [person.email],
        )
        emailed = True
    return Invitation(path=path, emailed=emailed)
