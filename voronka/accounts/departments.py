"""The department tree (office → team): which departments a department includes.

Departments are few (tens), so the tree is read in one query of (id, parent) pairs and walked in
Python; that keeps the rule the same on SQLite and PostgreSQL without a recursive query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .models import Department


def _children_by_parent() -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Department.objects.order_by().values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    return children


def department_scope_ids(department_ids: int | Iterable[int]) -> set[int]:
    """The given departments and every department below them, at any depth."""
    start = {department_ids} if isinstance(department_ids, int) else set(department_ids)
    return set().union(*department_scopes(start).values())


def department_tree(
    departments: Iterable[Department] | None = None,
) -> list[tuple[Department, int]]:
    """Departments in tree order (each parent before its children, names sorted) with depth."""
    departments = list(Department.objects.order_by("name") if departments is None else departments)
    by_parent: dict[int | None, list[Department]] = defaultdict(list)
    known = {department.pk for department in departments}
    for department in departments:
        # A parent outside the given set (a head's sub-tree) makes the department a root here.
        by_parent[department.parent_id if department.parent_id in known else None].append(
            department
        )
    ordered: list[tuple[Department, int]] = []

    def walk(parent_id, depth):
        for department in sorted(by_parent.get(parent_id, ()), key=lambda d: d.name.casefold()):
            ordered.append((department, depth))
            walk(department.pk, depth + 1)

    walk(None, 0)
    return ordered


def department_choice_label(department: Department, depth: int) -> str:
    """A select option that shows the level: "Moscow office", "— Team A"."""
    return f"{'— ' * depth}{department.name}"


def department_scopes(department_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each department, itself and every department below it (one query for all)."""
    children = _children_by_parent()
    scopes = {}
    for department_id in set(department_ids):
        scope, pending = set(), [department_id]
        while pending:
            pk = pending.pop()
            if pk not in scope:
                scope.add(pk)
                pending.extend(children.get(pk, ()))
        scopes[department_id] = scope
    return scopes
