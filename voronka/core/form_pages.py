"""Shared helpers for server-rendered form pages: the admin-only decorator and the
"validate, call a service, redirect or answer 400" loop used by the settings pages."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from voronka.core.errors import DomainError


def admin_required(view):
    """Signed-in administrators only; anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def form_error_from_domain(form, error: DomainError) -> None:
    """Show a service's refusal on the form field it names, or on the whole form."""
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def form_page(
    request,
    *,
    form,
    save: Callable[[dict], object],
    template: str,
    context: dict,
    success_url: str,
    success_message: str,
):
    """Show `form` on GET; on POST validate it, call `save` and redirect, or answer 400."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form.cleaned_data)
            except DomainError as error:
                form_error_from_domain(form, error)
            else:
                messages.success(request, success_message)
                return redirect(success_url)
        status = 400
    return render(request, template, {**context, "form": form}, status=status)


def ordered_post_ids(request, name: str) -> list[int] | None:
    """The integer ids posted under `name` in their order, or None if one is not a number."""
    try:
        return [int(value) for value in request.POST.getlist(name)]
    except ValueError:
        return None
