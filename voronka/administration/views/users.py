"""Settings: users and departments."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.departments import department_choice_label, department_tree
from voronka.accounts.models import Department, User
from voronka.core.errors import DomainError
from voronka.core.form_pages import admin_required, form_page

from .. import services
from ..forms import (
    DepartmentForm,
    UserCreateForm,
    UserEditForm,
)
from ..invitations import user_invite as user_invite_service

# Users and departments -------------------------------------------------------------------------


def _users_context() -> dict:
    people = User.objects.select_related("department").order_by(
        "-is_active", "last_name", "first_name", "username"
    )
    return {"section": "users", "people": people}


def _users_page(request, *, form, status=200):
    return render(
        request, "administration/users.html", {**_users_context(), "form": form}, status=status
    )


@admin_required
def users(request):
    return form_page(
        request,
        form=UserCreateForm(
            request.POST if request.method == "POST" else None, initial={"capacity": 60}
        ),
        save=lambda data: services.user_create(**data),
        template="administration/users.html",
        context=_users_context(),
        success_url=reverse("administration:users"),
        success_message=_("The user is created."),
    )


@admin_required
def user_edit(request, pk):
    person = get_object_or_404(User, pk=pk)
    return form_page(
        request,
        form=UserEditForm(request.POST if request.method == "POST" else None, instance=person),
        save=lambda data: services.user_update(user=person, acting_user=request.user, **data),
        template="administration/user_edit.html",
        context={"section": "users", "person": person},
        success_url=reverse("administration:users"),
        success_message=_("The user is saved."),
    )


@admin_required
@require_POST
def user_set_active(request, pk):
    person = get_object_or_404(User, pk=pk)
    is_active = request.POST.get("active") == "1"
    try:
        services.user_set_active(user=person, acting_user=request.user, is_active=is_active)
    except DomainError as error:
        messages.error(request, str(error.message))
        return _users_page(
            request, form=UserCreateForm(initial={"capacity": 60}), status=error.status
        )
    if is_active:
        messages.success(request, _("%(name)s can sign in again.") % {"name": person})
    else:
        messages.success(request, _("%(name)s is deactivated.") % {"name": person})
    return redirect("administration:users")


@admin_required
@require_POST
def user_invite(request, pk):
    """Show (and email, when the server sends email) a one-time set-password link."""
    person = get_object_or_404(User, pk=pk)
    try:
        invitation = user_invite_service(
            person=person, acting_user=request.user, base_url=request.build_absolute_uri("/")[:-1]
        )
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("administration:users")
    context = {
        **_users_context(),
        "form": UserCreateForm(initial={"capacity": 60}),
        "invitation": invitation,
        "invitation_url": request.build_absolute_uri(invitation.path),
        "invited": person,
    }
    return render(request, "administration/users.html", context)


@admin_required
def departments(request):
    return form_page(
        request,
        form=DepartmentForm(request.POST if request.method == "POST" else None),
        save=lambda data: services.department_save(**data),
        template="administration/departments.html",
        context={
            "section": "departments",
            "department_rows": [
                (department, department_choice_label(department, depth))
                for department, depth in department_tree(
                    Department.objects.select_related("parent").annotate(
                        member_count=Count("members", filter=Q(members__is_active=True))
                    )
                )
            ],
        },
        success_url=reverse("administration:departments"),
        success_message=_("The department is created."),
    )


@admin_required
def department_edit(request, pk):
    department = get_object_or_404(Department, pk=pk)
    return form_page(
        request,
        form=DepartmentForm(
            request.POST if request.method == "POST" else None, instance=department
        ),
        save=lambda data: services.department_save(department=department, **data),
        template="administration/simple_edit.html",
        context={
            "section": "departments",
            "title": _("Department"),
            "back_url": reverse("administration:departments"),
        },
        success_url=reverse("administration:departments"),
        success_message=_("The department is saved."),
    )
