"""Owners a deals file names but the database lacks: created as users without a usable password.

An admin invites them later (they cannot sign in until a password is set). A head may put them
only in a department the head sees; an admin in any department, or none.
"""

import re

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.models import Department, Role, User
from voronka.accounts.visibility import head_department_ids
from voronka.core.errors import DomainError


def departments_for_new_owners(user: User) -> QuerySet[Department]:
    """Departments the importing user may put new owners in."""
    departments = Department.objects.order_by("name")
    if user.sees_everything:
        return departments
    return departments.filter(pk__in=head_department_ids(user))


def new_owner(raw: str) -> User:
    """An unsaved user for a file's owner name (or email); saved by `owners_create`."""
    text = raw.strip()
    email = text if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) else ""
    parts = [] if email else text.split()
    if len(parts) >= 2 and (len(parts) >= 3 or any("а" <= ch.lower() <= "я" for ch in parts[0])):
        first, last = " ".join(parts[1:]), parts[0]  # «Иванов Иван»: surname first
    elif parts:
        first, last = parts[0], " ".join(parts[1:])
    else:
        first, last = "", ""
    return User(
        username=re.sub(r"[^\w.@+-]+", ".", text).strip(".")[:140] or "owner",
        email=email,
        first_name=first[:150],
        last_name=last[:150],
        role=Role.MANAGER,
    )


def owners_create(*, owners: list[User], department_id: int | None, user: User) -> None:
    """Save the new owners (usernames made unique) in the chosen department, without a
    usable password. Raises DomainError for a department the importing user may not use."""
    if not owners:
        return
    department = None
    if department_id:
        department = departments_for_new_owners(user).filter(pk=department_id).first()
        if department is None:
            raise DomainError(_("Choose a department for the new owners."), field="department")
    elif not user.sees_everything:
        department = user.department
    taken = set(
        User.objects.filter(username__in=[owner.username for owner in owners]).values_list(
            "username", flat=True
        )
    )
    for owner in owners:
        base, number = owner.username, 1
        while owner.username in taken or User.objects.filter(username=owner.username).exists():
            number += 1
            owner.username = f"{base[:140]}.{number}"
        taken.add(owner.username)
        owner.department = department
        owner.set_unusable_password()
        owner.save()
