"""The "users" import kind: people with their role and department (office → team).

Admins only. Each row names a person (full name, or first and last name) and/or an email; a
role (administrator, head, manager, viewer; Russian or English; manager when empty); a
department and its parent department, both created when missing (the parent is set on a
department that has none, never moved). People are matched by email, else by username (the
email, or the name made into a login); a match is updated, never duplicated. New people get no
usable password: an admin sends them a set-password link (Settings → Users → Invite).
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import Department, Role, User
from voronka.administration.services import DepartmentCycle, department_save
from voronka.core.errors import DomainError

from .cells import CellError

ROLE_NAMES = {
    Role.ADMIN: ("admin", "administrator", "администратор", "админ"),
    Role.HEAD: ("head", "head of sales", "lead", "team lead", "руководитель", "руководитель отдела",
                "руководитель продаж", "начальник"),
    Role.MANAGER: ("manager", "sales manager", "seller", "sales rep", "rep", "agent", "менеджер",
                   "менеджер по продажам", "продавец"),
    Role.VIEWER: ("viewer", "observer", "read only", "наблюдатель", "просмотр"),
}  # fmt: skip
ROLE_BY_NAME = {name: role for role, names in ROLE_NAMES.items() for name in names}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_role(raw: str) -> str:
    """A role from its English or Russian name; empty means manager. Raises CellError."""
    text = " ".join(raw.replace("_", " ").split()).casefold()
    if not text:
        return Role.MANAGER
    if text in Role.values:
        return text
    role = ROLE_BY_NAME.get(text)
    if role is None:
        raise CellError(
            _("Unknown role “%(value)s”: use administrator, head, manager or viewer.")
            % {"value": raw[:50]}
        )
    return role


def split_name(full_name: str) -> tuple[str, str]:
    """(first, last): «Иванов Иван Петрович» → («Иван Петрович», «Иванов»); «Anna Smith» →
    («Anna», «Smith»)."""
    parts = full_name.split()
    if len(parts) >= 2 and (len(parts) >= 3 or re.search("[а-яё]", parts[0].casefold())):
        return " ".join(parts[1:]), parts[0]
    if parts:
        return parts[0], " ".join(parts[1:])
    return "", ""


def read_user_row(text, values: dict, add_problem) -> None:
    """Fill a users row's values from its cells; ``add_problem(key, message)`` reports one."""
    for key in ("user_name", "department", "parent_department"):
        values[key] = " ".join(text(key).split())[:150]
    if values["user_name"] and not (values.get("first_name") or values.get("last_name")):
        values["first_name"], values["last_name"] = split_name(values["user_name"])
    email = (values.get("email") or "").strip()
    if "@" in email and not EMAIL.match(email):  # without "@" the reader already said so
        add_problem("email", _("Not an email address."))
    if not (email or values.get("first_name") or values.get("last_name")):
        add_problem("user_name", _("Give the person's name or email."))
    try:
        values["role"] = parse_role(text("role"))
    except CellError as error:
        add_problem("role", str(error))
    if values["parent_department"] and not values["department"]:
        add_problem("department", _("A parent department needs the department itself."))


def _username_for(values: dict) -> str:
    email = (values.get("email") or "").strip().lower()
    if email:
        return email[:150]
    name = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip().lower()
    return re.sub(r"[^\w.@+-]+", ".", name).strip(".")[:150] or "user"


class DepartmentFinder:
    """Departments by name (case-insensitive), created as needed, parents set when missing;
    `created` lists the ones it made."""

    def __init__(self):
        self.by_name = {dept.name.casefold(): dept for dept in Department.objects.all()}
        self.created: list[int] = []

    def get(self, name: str, parent_name: str = "") -> Department | None:
        if not name:
            return None
        parent = self.get(parent_name) if parent_name else None
        department = self.by_name.get(name.casefold())
        if department is None:
            department = department_save(name=name, parent=parent)
            self.by_name[name.casefold()] = department
            self.created.append(department.pk)
        elif parent is not None and department.parent_id is None:
            try:
                department = department_save(
                    name=department.name, parent=parent, department=department
                )
            except DepartmentCycle as error:
                raise DomainError(error.message, field="parent_department") from error
        return department


def write_users(rows, *, update: bool, made: dict[str, list[int]]) -> list[str]:
    """Create or update the rows' people; returns "created"/"updated"/"skipped" per row. Appends
    the people and departments it creates to `made["user"]`, `made["department"]` (the job
    records them, so rolling it back can remove them)."""
    departments = DepartmentFinder()
    outcomes = []
    for row in rows:
        values = row.values
        email = (values.get("email") or "").strip().lower()
        username = _username_for(values)
        person = None
        if email:
            person = User.objects.filter(email__iexact=email).order_by("pk").first()
        if person is None:
            person = User.objects.filter(username__iexact=username).first()
        department = departments.get(
            values.get("department", ""), values.get("parent_department", "")
        )
        fields = {
            "first_name": (values.get("first_name") or "")[:150],
            "last_name": (values.get("last_name") or "")[:150],
            "email": email,
            "role": values.get("role") or Role.MANAGER,
            "department": department,
            "phone": (values.get("phone") or "")[:40],
        }
        if person is not None:
            if not update:
                outcomes.append("skipped")
                continue
            changed = False
            for name, value in fields.items():
                # An empty cell never erases what the person already has.
                if value in ("", None) or getattr(person, name) == value:
                    continue
                setattr(person, name, value)
                changed = True
            if changed:
                person.save()
            outcomes.append("updated" if changed else "skipped")
            continue
        person = User(username=username, **fields)
        person.set_unusable_password()
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError as error:
            raise DomainError(_("A user with this login already exists."), field="email") from error
        made["user"].append(person.pk)
        outcomes.append("created")
    made["department"].extend(departments.created)
    return outcomes
