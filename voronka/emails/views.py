"""Email templates (heads and admins manage, everyone uses) and composing an email from a deal."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.visibility import visible_deals
from voronka.core.errors import DomainError

from . import services
from .forms import ComposeForm, EmailTemplateForm
from .models import EmailTemplate


def can_manage_templates(user) -> bool:
    return user.is_admin or user.is_head


def templates_manager_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not can_manage_templates(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _placeholders():
    return [("{" + name + "}", description) for name, description in services.PLACEHOLDERS.items()]


@login_required
def template_list(request):
    templates = EmailTemplate.objects.select_related("created_by")
    if not can_manage_templates(request.user):
        templates = templates.filter(is_active=True)
    return render(
        request,
        "emails/template_list.html",
        {
            "section": "email_templates",
            "templates": templates,
            "can_manage": can_manage_templates(request.user),
            "placeholders": _placeholders(),
        },
    )


def _template_form_page(request, *, template=None):
    form = EmailTemplateForm(request.POST or None, instance=template)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.email_template_save(
                    **form.cleaned_data, user=request.user, template=template
                )
            except DomainError as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
            else:
                messages.success(request, _("The email template is saved."))
                return redirect("emails:templates")
        status = 400
    return render(
        request,
        "emails/template_form.html",
        {
            "section": "email_templates",
            "form": form,
            "template_object": template,
            "placeholders": _placeholders(),
        },
        status=status,
    )


@templates_manager_required
def template_create(request):
    return _template_form_page(request)


@templates_manager_required
def template_edit(request, pk):
    return _template_form_page(request, template=get_object_or_404(EmailTemplate, pk=pk))


@templates_manager_required
@require_POST
def template_delete(request, pk):
    template = get_object_or_404(EmailTemplate, pk=pk)
    services.email_template_delete(template=template)
    messages.success(request, _("The email template is deleted."))
    return redirect("emails:templates")


def deal_url(deal) -> str:
    """The deal card, wherever the pipeline app mounts it."""
    for name in ("pipeline:deal", "pipeline:deal_detail"):
        try:
            return reverse(name, args=[deal.pk])
        except NoReverseMatch:
            continue
    return reverse("emails:compose", args=[deal.pk])


@login_required
def compose(request, deal_pk):
    """Pick a template and a contact, see the email filled in, edit it, and send it."""
    deal = get_object_or_404(
        visible_deals(request.user).select_related("company", "owner"), pk=deal_pk
    )
    if not request.user.can_edit:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ComposeForm(request.POST, deal=deal)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.email_send_for_deal(
                    deal=deal,
                    contact=data["contact"],
                    subject=data["subject"],
                    body=data["body"],
                    sender=request.user,
                )
            except DomainError as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
            else:
                messages.success(
                    request, _("The email to %(email)s is sent.") % {"email": data["contact"].email}
                )
                return redirect(deal_url(deal))
        status = 400
    else:
        form = _prefilled_form(request, deal)
    template_name = "emails/_compose_fields.html" if request.htmx else "emails/compose.html"
    return render(
        request,
        template_name,
        {"deal": deal, "form": form, "deal_url": deal_url(deal), "placeholders": _placeholders()},
        status=status,
    )


def _prefilled_form(request, deal) -> ComposeForm:
    """A compose form with the chosen template filled in for the chosen contact (the preview)."""
    probe = ComposeForm(deal=deal)
    template = _pick(probe.fields["template"].queryset, request.GET.get("template"))
    contacts = probe.fields["contact"].queryset
    contact = _pick(contacts, request.GET.get("contact"))
    if contact is None:
        contact = contacts.exclude(email="").first() or contacts.first()
    initial = {"template": template, "contact": contact}
    if template is not None:
        filled = services.email_fill(
            template=template, deal=deal, contact=contact, sender=request.user
        )
        initial.update(subject=filled.subject, body=filled.body)
    else:
        initial.update(subject=request.GET.get("subject", ""), body=request.GET.get("body", ""))
    return ComposeForm(deal=deal, initial=initial)


def _pick(queryset, raw_pk):
    try:
        return queryset.filter(pk=int(raw_pk)).first() if raw_pk else None
    except (TypeError, ValueError):
        return None
