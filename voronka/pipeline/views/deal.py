"""The deal card and the new-deal page.

Every action on the card is a POST that calls one service and answers with the whole card
re-rendered (htmx swaps it in place) or, without htmx, a redirect back to the card. Domain errors
come back as the card with the message beside the section that failed and their 4xx status.
Activities and documents views reuse `render_deal_card` for their card answers.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from voronka.accounts.visibility import visible_companies, visible_contacts, visible_deals
from voronka.activities.models import ActivityKind
from voronka.activities.services import deal_open_activities_complete
from voronka.catalog.models import Product
from voronka.core.choices import OPTION_LIMIT
from voronka.core.errors import DomainError, NotPermitted, StaleVersion
from voronka.core.text_search import text_match
from voronka.pipeline import services
from voronka.pipeline.forms import (
    DealCreateForm,
    DealFieldForm,
    LineItemForm,
    LineItemUpdateForm,
    LoseForm,
    MoveStageForm,
    VersionForm,
)
from voronka.pipeline.models import Deal, DealLineItem, DocumentKind, LostReason, PlaybookStep

CARD_TEMPLATE = "pipeline/partials/deal_card.html"
PAGE_TEMPLATE = "pipeline/deal_detail.html"
# The card shows this many rows of each history list; older rows stay in the database.
HISTORY_LIMIT = 100


def get_visible_deal(user, pk) -> Deal:
    """The deal if the user may see it; another seller's deal is a 404, never a 403."""
    deals = visible_deals(user).select_related(
        "stage", "pipeline", "company", "owner", "lead_source", "lost_reason", "furthest_stage"
    )
    return get_object_or_404(deals, pk=pk)


def deal_card_context(request, deal: Deal, *, error=None, section: str = "top") -> dict:
    """Everything the card shows, in a fixed number of queries whatever the deal's history."""
    user = request.user
    stages = list(deal.pipeline.stages.order_by("order"))
    steps = list(deal.stage.playbook_steps.all())
    completions = {
        completion.step_id: completion
        for completion in deal.playbook_completions.filter(step__stage=deal.stage).select_related(
            "done_by"
        )
    }
    requirements = list(deal.stage.exit_requirements.all())
    unmet_ids = {requirement.pk for requirement in services.unmet_exit_requirements(deal)}
    activities = deal.activities.select_related("owner", "contact", "stage")
    open_activities = list(activities.filter(done_at__isnull=True).order_by("due_at", "pk"))
    done_activities = list(activities.filter(done_at__isnull=False)[:HISTORY_LIMIT])
    stage_changes = list(
        deal.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
            "-changed_at", "-pk"
        )[:HISTORY_LIMIT]
    )
    owner_changes = list(
        deal.owner_changes.select_related("old_owner", "new_owner", "changed_by").order_by(
            "-changed_at", "-pk"
        )[:HISTORY_LIMIT]
    )
    amount_changes = list(
        deal.amount_changes.select_related("stage", "changed_by").order_by("-changed_at", "-pk")[
            :HISTORY_LIMIT
        ]
    )
    documents = list(deal.documents.select_related("stage", "uploaded_by"))
    timeline = sorted(
        [("activity", item.done_at, item) for item in done_activities]
        + [("stage", item.changed_at, item) for item in stage_changes]
        + [("owner", item.changed_at, item) for item in owner_changes]
        + [("document", item.uploaded_at, item) for item in documents],
        key=lambda entry: entry[1],
        reverse=True,
    )
    history = sorted(
        [("stage", item.changed_at, item) for item in stage_changes]
        + [("owner", item.changed_at, item) for item in owner_changes],
        key=lambda entry: entry[1],
        reverse=True,
    )
    current_index = next((i for i, stage in enumerate(stages) if stage.pk == deal.stage_id), 0)
    can_edit = user.can_edit
    return {
        "deal": deal,
        "stages": stages,
        "current_index": current_index,
        "contacts": list(deal.contacts.select_related("company")),
        "line_items": list(deal.line_items.select_related("product")),
        # A catalogue may be long: the first OPTION_LIMIT, the rest through the search box.
        "products": Product.objects.filter(is_active=True).order_by("name")[:OPTION_LIMIT],
        "playbook": [(step, completions.get(step.pk)) for step in steps],
        "playbook_done": len(completions),
        "requirements": [(req, req.pk not in unmet_ids) for req in requirements],
        "open_activities": open_activities,
        "timeline": timeline,
        "history": history,
        "amount_changes": amount_changes,
        "documents": documents,
        "document_kinds": DocumentKind.choices,
        "activity_kinds": [
            choice for choice in ActivityKind.choices if choice[0] != ActivityKind.TASK
        ],
        "lost_reasons": LostReason.objects.filter(is_active=True),
        "can_edit": can_edit,
        "can_reassign": can_edit and user.can_manage_team,
        "error": error,
        "error_section": section,
        "now": timezone.now(),
        "probability_percent": (
            round(deal.win_probability * 100) if deal.win_probability is not None else None
        ),
    }


def render_deal_card(request, deal: Deal, *, status: int = 200, error=None, section="top"):
    """The card alone for htmx swaps, the whole page otherwise."""
    template = CARD_TEMPLATE if request.htmx else PAGE_TEMPLATE
    context = deal_card_context(request, deal, error=error, section=section)
    return render(request, template, context, status=status)


def card_success(request, deal_pk: int):
    """After a change: the fresh card for htmx, a redirect (post/redirect/get) otherwise."""
    if request.htmx:
        return render_deal_card(request, get_visible_deal(request.user, deal_pk))
    return redirect("pipeline:deal_detail", pk=deal_pk)


def form_error_message(form) -> str:
    messages = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            messages.append(f"{label}: {error}" if label and field != "__all__" else str(error))
    return " ".join(messages)


def check_version(version: int, deal: Deal) -> None:
    """A pre-check for actions whose service takes no version (line items)."""
    if version != deal.version:
        raise StaleVersion()


def deal_action(section: str = "top"):
    """A POST on a visible deal by a user who may change it; DomainError → card with message."""

    def decorate(view):
        @login_required
        @require_POST
        @wraps(view)
        def wrapper(request, pk, *args, **kwargs):
            deal = get_visible_deal(request.user, pk)
            if not request.user.can_edit:
                raise PermissionDenied
            try:
                response = view(request, deal, *args, **kwargs)
            except NotPermitted:
                raise PermissionDenied from None
            except DomainError as error:
                deal = get_visible_deal(request.user, pk)
                return render_deal_card(
                    request, deal, status=error.status, error=error.message, section=section
                )
            return response or card_success(request, deal.pk)

        return wrapper

    return decorate


class InvalidInput(DomainError):
    code = "invalid_input"


def valid_form(form):
    if not form.is_valid():
        raise InvalidInput(form_error_message(form))
    return form.cleaned_data


# ---------------------------------------------------------------- pages


@login_required
@require_GET
def deal_detail(request, pk):
    return render_deal_card(request, get_visible_deal(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request):
    if request.method == "POST" and not request.user.can_edit:
        raise PermissionDenied
    form = DealCreateForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                deal = services.deal_create(
                    title=data["title"],
                    owner=data.get("owner") or request.user,
                    created_by=request.user,
                    pipeline=data["pipeline"],
                    stage=data["stage"],
                    company=data["company"],
                    contacts=data["contacts"],
                    amount=data["amount"],
                    currency=data["currency"],
                    lead_source=data["lead_source"],
                    expected_close_date=data["expected_close_date"],
                    description=data["description"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                return redirect("pipeline:deal_detail", pk=deal.pk)
        else:
            status = 400
    return render(request, "pipeline/deal_create.html", {"form": form}, status=status)


@login_required
@require_GET
def deal_options(request, kind):
    """Options for the searchable company/contact selects (at most OPTION_LIMIT, plus selected)."""
    query = request.GET.get("q", "").strip()
    if kind == "companies":
        rows = visible_companies(request.user).order_by("name")
        if query:
            rows = rows.filter(text_match("name", query))
        selected_ids = request.GET.getlist("company")
        empty = True
    elif kind == "contacts":
        rows = visible_contacts(request.user).order_by("last_name", "first_name")
        if query:
            rows = rows.filter(text_match("last_name", query) | text_match("first_name", query))
        selected_ids = request.GET.getlist("contacts")
        empty = False
    elif kind == "products":
        return product_options(request, query)
    else:
        raise Http404
    selected_ids = [value for value in selected_ids if value.isdigit()]
    selected = list(rows.model.objects.filter(pk__in=selected_ids).filter(pk__in=rows.values("pk")))
    options = [row for row in rows[:OPTION_LIMIT] if row.pk not in {s.pk for s in selected}]
    # A list filter's select reads «Any company» where a form's reads «—».
    empty_label = _("Any company") if request.GET.get("empty") == "any" else "—"
    html = format_html('<option value="">{}</option>', empty_label) if empty else ""
    html += format_html_join(
        "", '<option value="{}" selected>{}</option>', ((s.pk, str(s)) for s in selected)
    )
    html += format_html_join(
        "", '<option value="{}">{}</option>', ((o.pk, str(o)) for o in options)
    )
    return HttpResponse(html)


def product_options(request, query: str) -> HttpResponse:
    """Active catalogue products matching the name or SKU, with their price, for the card."""
    rows = Product.objects.filter(is_active=True).order_by("name")
    if query:
        rows = rows.filter(text_match("name", query) | text_match("sku", query))
    html = format_html('<option value="">{}</option>', _("Add a product…"))
    html += format_html_join(
        "",
        '<option value="{}">{} · {}</option>',
        ((row.pk, row.name, floatformat(row.price, "2g")) for row in rows[:OPTION_LIMIT]),
    )
    return HttpResponse(html)


# ---------------------------------------------------------------- stage and outcome


@deal_action("stages")
def deal_move(request, deal):
    data = valid_form(MoveStageForm(request.POST, deal=deal))
    services.deal_move_stage(
        deal=deal, stage=data["stage"], user=request.user, expected_version=data["version"]
    )


@deal_action("stages")
def deal_win(request, deal):
    data = valid_form(VersionForm(request.POST))
    services.deal_win(deal=deal, user=request.user, expected_version=data["version"])


@deal_action("stages")
def deal_lose(request, deal):
    data = valid_form(LoseForm(request.POST))
    services.deal_lose(
        deal=deal,
        user=request.user,
        reason=data["lost_reason"],
        comment=data["comment"],
        expected_version=data["version"],
    )


@deal_action("stages")
def deal_reopen(request, deal):
    data = valid_form(VersionForm(request.POST))
    services.deal_reopen(deal=deal, user=request.user, expected_version=data["version"])


@deal_action("top")
def deal_tasks_done(request, deal):
    """After a win or a loss: close the deal's tasks that are still open, in one click."""
    deal_open_activities_complete(deal=deal)


# ---------------------------------------------------------------- inline field editing


def _field_form_response(request, deal, form, *, status=200, error=None):
    context = {
        "deal": deal,
        "form": form,
        "field": form.field_name,
        "error": error,
        "stale": status == StaleVersion.status,
    }
    if request.htmx:
        response = render(request, "pipeline/partials/deal_field_edit.html", context, status=status)
        if status != 200:
            response = retarget(response, f"#field-{form.field_name}")
            response = reswap(response, "innerHTML")
        return response
    if status == 200:
        return render(request, "pipeline/deal_field_page.html", context)
    message = error or form_error_message(form)
    return render_deal_card(request, deal, status=status, error=message, section="details")


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit_field(request, pk, field):
    """GET: the inline form for one field; POST: save it through the right service."""
    if field not in DealFieldForm.FIELDS:
        raise Http404
    deal = get_visible_deal(request.user, pk)
    if not request.user.can_edit or (field == "owner" and not request.user.can_manage_team):
        raise PermissionDenied
    if request.method == "GET":
        form = DealFieldForm(
            initial={
                "version": deal.version,
                field: list(deal.contacts.all()) if field == "contacts" else getattr(deal, field),
            },
            field_name=field,
            user=request.user,
            deal=deal,
        )
        return _field_form_response(request, deal, form)
    form = DealFieldForm(request.POST, field_name=field, user=request.user, deal=deal)
    if not form.is_valid():
        return _field_form_response(request, deal, form, status=400)
    value, version = form.value, form.cleaned_data["version"]
    try:
        if field == "amount":
            services.deal_change_amount(
                deal=deal, amount=value, user=request.user, expected_version=version
            )
        elif field == "owner":
            services.deal_reassign(
                deal=deal, new_owner=value, user=request.user, expected_version=version
            )
        elif field == "contacts":
            services.deal_update(
                deal=deal, user=request.user, expected_version=version, contacts=value
            )
        else:
            services.deal_update(
                deal=deal, user=request.user, expected_version=version, **{field: value}
            )
    except DomainError as error:
        return _field_form_response(request, deal, form, status=error.status, error=error.message)
    return card_success(request, deal.pk)


# ---------------------------------------------------------------- line items


def _deal_line_item(deal, item_pk) -> DealLineItem:
    return get_object_or_404(deal.line_items.select_related("product"), pk=item_pk)


@deal_action("products")
def line_item_add(request, deal):
    # Any product: `line_item_add` refuses an inactive one with its own error.
    data = valid_form(LineItemForm(request.POST, products=Product.objects.all()))
    check_version(data["version"], deal)
    services.line_item_add(
        deal=deal,
        product=data["product"],
        quantity=data["quantity"],
        unit_price=data["unit_price"],
        user=request.user,
    )


@deal_action("products")
def line_item_update(request, deal, item_pk):
    item = _deal_line_item(deal, item_pk)
    data = valid_form(LineItemUpdateForm(request.POST))
    check_version(data["version"], deal)
    services.line_item_update(
        item=item, quantity=data["quantity"], unit_price=data["unit_price"], user=request.user
    )


@deal_action("products")
def line_item_remove(request, deal, item_pk):
    item = _deal_line_item(deal, item_pk)
    data = valid_form(VersionForm(request.POST))
    check_version(data["version"], deal)
    services.line_item_remove(item=item, user=request.user)


# ---------------------------------------------------------------- playbook


def _playbook_step(deal, step_pk) -> PlaybookStep:
    return get_object_or_404(
        PlaybookStep.objects.select_related("stage"),
        pk=step_pk,
        stage__pipeline_id=deal.pipeline_id,
    )


@deal_action("playbook")
def playbook_step_complete(request, deal, step_pk):
    services.playbook_step_complete(
        deal=deal, step=_playbook_step(deal, step_pk), user=request.user
    )


@deal_action("playbook")
def playbook_step_reopen(request, deal, step_pk):
    services.playbook_step_reopen(deal=deal, step=_playbook_step(deal, step_pk), user=request.user)
