"""Every action of the deal card: success, each role, stale version (409), bad input (400)."""

from decimal import Decimal

import pytest

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DepartmentFactory,
    LeadSourceFactory,
    LostReasonFactory,
    PlaybookStepFactory,
    ProductFactory,
    UserFactory,
    make_deal,
)
from voronka.pipeline import services
from voronka.pipeline.models import (
    AmountChange,
    Deal,
    DealLineItem,
    ExitRequirementKind,
    OwnerChange,
    PlaybookStepCompletion,
    StageChange,
    StageExitRequirement,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client):
    """Assert the English source messages whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


STALE = "Someone else changed this deal after you opened it"


@pytest.fixture
def deal(manager, pipeline):
    return make_deal(owner=manager, pipeline=pipeline, amount=Decimal("1000"))


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def reload(deal) -> Deal:
    return Deal.objects.get(pk=deal.pk)


# ----------------------------------------------------------------- moving stages


def test_move_stage_through_the_bar(signed_in, manager, deal, stages):
    response = signed_in.post(
        f"/deals/{deal.pk}/move/", {"stage": stages[2].pk, "version": deal.version}, **HTMX
    )
    assert response.status_code == 200
    assert 'id="deal-card"' in response.content.decode()
    deal = reload(deal)
    assert deal.stage_id == stages[2].pk
    assert deal.version == 2
    change = StageChange.objects.filter(deal=deal, kind="moved").get()
    assert (change.from_stage_id, change.to_stage_id, change.changed_by_id) == (
        stages[0].pk,
        stages[2].pk,
        manager.pk,
    )


def test_move_without_htmx_redirects_to_the_card(signed_in, deal, stages):
    response = signed_in.post(
        f"/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": deal.version}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"


def test_move_with_a_stale_version_is_409_with_the_message(signed_in, deal, stages):
    services.deal_change_amount(deal=deal, amount=Decimal(5), user=None)  # version 2 now
    response = signed_in.post(
        f"/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": 1}, **HTMX
    )
    assert response.status_code == 409
    assert STALE in response.content.decode()
    assert reload(deal).stage_id == stages[0].pk


def test_refused_move_shows_the_unmet_requirement(signed_in, deal, stages):
    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.DOCUMENT, document_kind="proposal"
    )
    response = signed_in.post(
        f"/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": deal.version}, **HTMX
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The stage&#x27;s exit requirements are not met." in html
    assert "Attach: Commercial proposal (КП)" in html
    assert reload(deal).stage_id == stages[0].pk


def test_move_to_a_stage_of_another_pipeline_is_400(signed_in, deal):
    from tests.factories import make_pipeline

    other = make_pipeline(name="Другая", is_default=False).stages.first()
    response = signed_in.post(
        f"/deals/{deal.pk}/move/", {"stage": other.pk, "version": deal.version}, **HTMX
    )
    assert response.status_code == 400
    assert "Choose a stage of this deal&#x27;s pipeline." in response.content.decode()


def test_move_with_garbage_input_is_400_not_500(signed_in, deal):
    response = signed_in.post(f"/deals/{deal.pk}/move/", {"stage": "x", "version": "y"}, **HTMX)
    assert response.status_code == 400


def test_viewer_cannot_move(client, deal, stages):
    client.force_login(UserFactory(role="viewer", department=None))
    response = client.post(
        f"/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": deal.version}
    )
    assert response.status_code == 403
    assert reload(deal).stage_id == stages[0].pk


def test_head_of_the_department_can_move(client, manager, deal, stages):
    client.force_login(UserFactory(role="head", department=manager.department))
    response = client.post(
        f"/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": deal.version}
    )
    assert response.status_code == 302
    assert reload(deal).stage_id == stages[1].pk


def test_get_on_an_action_is_405(signed_in, deal):
    assert signed_in.get(f"/deals/{deal.pk}/move/").status_code == 405


# ----------------------------------------------------------------- won, lost, reopen


def test_win_then_reopen(signed_in, deal):
    response = signed_in.post(f"/deals/{deal.pk}/win/", {"version": 1}, **HTMX)
    assert response.status_code == 200
    assert 'data-testid="deal-reopen"' in response.content.decode()
    assert reload(deal).status == "won"
    response = signed_in.post(f"/deals/{deal.pk}/reopen/", {"version": 2}, **HTMX)
    assert response.status_code == 200
    assert reload(deal).status == "open"
    assert list(
        StageChange.objects.filter(deal=deal).order_by("pk").values_list("kind", flat=True)
    ) == ["created", "won", "reopened"]


def test_lose_requires_a_reason(signed_in, deal):
    response = signed_in.post(f"/deals/{deal.pk}/lose/", {"version": 1}, **HTMX)
    assert response.status_code == 400
    assert "Choose a reason why the deal was lost." in response.content.decode()
    assert reload(deal).status == "open"


def test_lose_with_a_reason(signed_in, deal):
    reason = LostReasonFactory(name="Дорого")
    response = signed_in.post(
        f"/deals/{deal.pk}/lose/",
        {"version": 1, "lost_reason": reason.pk, "comment": "Бюджет урезали"},
        **HTMX,
    )
    assert response.status_code == 200
    deal = reload(deal)
    assert (deal.status, deal.lost_reason_id, deal.lost_comment) == (
        "lost",
        reason.pk,
        "Бюджет урезали",
    )


def test_inactive_lost_reason_is_refused(signed_in, deal):
    reason = LostReasonFactory(name="Старая причина", is_active=False)
    response = signed_in.post(
        f"/deals/{deal.pk}/lose/", {"version": 1, "lost_reason": reason.pk}, **HTMX
    )
    assert response.status_code == 400


def test_reopen_an_open_deal_is_400(signed_in, deal):
    response = signed_in.post(f"/deals/{deal.pk}/reopen/", {"version": 1}, **HTMX)
    assert response.status_code == 400
    assert "The deal is still open." in response.content.decode()


def test_win_with_stale_version_is_409(signed_in, deal):
    response = signed_in.post(f"/deals/{deal.pk}/win/", {"version": 7}, **HTMX)
    assert response.status_code == 409
    assert STALE in response.content.decode()


def test_move_a_closed_deal_is_400(signed_in, deal, stages):
    services.deal_win(deal=deal, user=None)
    response = signed_in.post(
        f"/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": 2}, **HTMX
    )
    assert response.status_code == 400
    assert "The deal is closed; reopen it first." in response.content.decode()


# ----------------------------------------------------------------- inline field editing


def test_edit_form_carries_the_version(signed_in, deal):
    response = signed_in.get(f"/deals/{deal.pk}/edit/title/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="version" value="1"' in html
    assert 'name="title"' in html


def test_edit_title(signed_in, deal):
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/title/", {"title": "Новое название", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    assert reload(deal).title == "Новое название"
    assert reload(deal).version == 2


def test_edit_with_stale_version_is_409_and_keeps_the_other_edit(signed_in, deal):
    services.deal_update(deal=deal, user=None, title="Чужая правка")
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/title/", {"title": "Моя правка", "version": 1}, **HTMX
    )
    assert response.status_code == 409
    assert STALE in response.content.decode()
    assert response["HX-Retarget"] == "#field-title"
    assert reload(deal).title == "Чужая правка"


def test_empty_title_is_400_with_the_message(signed_in, deal):
    response = signed_in.post(f"/deals/{deal.pk}/edit/title/", {"title": "", "version": 1}, **HTMX)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_bad_input_without_htmx_renders_the_card_with_400(signed_in, deal):
    response = signed_in.post(f"/deals/{deal.pk}/edit/amount/", {"amount": "-5", "version": 1})
    assert response.status_code == 400
    assert "Amount: Ensure this value is greater than or equal to 0." in response.content.decode()


def test_edit_amount_records_history(signed_in, manager, deal):
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/amount/", {"amount": "2500.50", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    change = AmountChange.objects.get(deal=deal)
    assert (change.old_amount, change.new_amount, change.changed_by_id) == (
        Decimal("1000.00"),
        Decimal("2500.50"),
        manager.pk,
    )
    # Money shows grouped by thousands with two decimals (English here, see `english`).
    html = response.content.decode()
    assert '<span class="kpi-value" data-testid="deal-amount">2,500.50\xa0₽</span>' in html
    assert "1,000.00 → <strong>2,500.50</strong>" in html


def test_edit_company_contacts_source_date_description_currency(signed_in, manager, deal):
    company = CompanyFactory(owner=manager)
    contact = ContactFactory(company=company, owner=manager)
    source = LeadSourceFactory(name="Сайт")
    edits = [
        ("company", {"company": company.pk}),
        ("contacts", {"contacts": [contact.pk]}),
        ("lead_source", {"lead_source": source.pk}),
        ("expected_close_date", {"expected_close_date": "2030-01-31"}),
        ("description", {"description": "Важный клиент"}),
        ("currency", {"currency": "usd"}),
    ]
    for version, (field, data) in enumerate(edits, start=1):
        response = signed_in.post(
            f"/deals/{deal.pk}/edit/{field}/", {**data, "version": version}, **HTMX
        )
        assert response.status_code == 200, (field, response.content.decode()[:500])
    deal = reload(deal)
    assert deal.company_id == company.pk
    assert list(deal.contacts.values_list("pk", flat=True)) == [contact.pk]
    assert deal.lead_source_id == source.pk
    assert deal.expected_close_date.isoformat() == "2030-01-31"
    assert deal.description == "Важный клиент"
    assert deal.currency == "USD"
    assert deal.version == 7


def test_company_the_user_cannot_see_is_refused(signed_in, deal):
    hidden = CompanyFactory()  # owned by someone else, no visible deal
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/company/", {"company": hidden.pk, "version": 1}, **HTMX
    )
    assert response.status_code == 400
    assert reload(deal).company_id is None


def test_bad_currency_and_date_are_400(signed_in, deal):
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/currency/", {"currency": "1$x", "version": 1}, **HTMX
    )
    assert response.status_code == 400
    assert "three-letter currency code" in response.content.decode()
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/expected_close_date/",
        {"expected_close_date": "31.31.2030", "version": 1},
        **HTMX,
    )
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_unknown_field_is_404(signed_in, deal):
    assert signed_in.get(f"/deals/{deal.pk}/edit/version/", **HTMX).status_code == 404


def test_manager_cannot_reassign(signed_in, manager, deal):
    colleague = UserFactory(department=manager.department)
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/owner/", {"owner": colleague.pk, "version": 1}, **HTMX
    )
    assert response.status_code == 403
    assert reload(deal).owner_id == manager.pk


def test_head_reassigns_within_department(client, manager, deal):
    head = UserFactory(role="head", department=manager.department)
    colleague = UserFactory(department=manager.department)
    outsider = UserFactory(department=DepartmentFactory())
    client.force_login(head)
    response = client.post(
        f"/deals/{deal.pk}/edit/owner/", {"owner": outsider.pk, "version": 1}, **HTMX
    )
    assert response.status_code == 400
    response = client.post(
        f"/deals/{deal.pk}/edit/owner/", {"owner": colleague.pk, "version": 1}, **HTMX
    )
    assert response.status_code == 200
    change = OwnerChange.objects.get(deal=deal)
    assert (change.old_owner_id, change.new_owner_id, change.changed_by_id) == (
        manager.pk,
        colleague.pk,
        head.pk,
    )


def test_viewer_cannot_open_an_edit_form(client, deal):
    client.force_login(UserFactory(role="viewer", department=None))
    assert client.get(f"/deals/{deal.pk}/edit/title/", **HTMX).status_code == 403
    response = client.post(f"/deals/{deal.pk}/edit/title/", {"title": "x", "version": 1})
    assert response.status_code == 403


# ----------------------------------------------------------------- line items


def test_line_items_add_update_remove_recompute_the_amount(signed_in, deal):
    product = ProductFactory(price=Decimal("300"))
    response = signed_in.post(
        f"/deals/{deal.pk}/line-items/",
        {"product": product.pk, "quantity": "2", "unit_price": "", "version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    deal = reload(deal)
    assert deal.amount == Decimal("600.00")
    item = DealLineItem.objects.get(deal=deal)
    response = signed_in.post(
        f"/deals/{deal.pk}/line-items/{item.pk}/",
        {"quantity": "3", "unit_price": "250", "version": deal.version},
        **HTMX,
    )
    assert response.status_code == 200
    deal = reload(deal)
    assert deal.amount == Decimal("750.00")
    response = signed_in.post(
        f"/deals/{deal.pk}/line-items/{item.pk}/remove/", {"version": deal.version}, **HTMX
    )
    assert response.status_code == 200
    assert reload(deal).amount == Decimal("0.00")
    assert list(
        AmountChange.objects.filter(deal=deal).order_by("pk").values_list("new_amount", flat=True)
    ) == [Decimal("600.00"), Decimal("750.00"), Decimal("0.00")]


def test_line_item_bad_quantity_is_400(signed_in, deal):
    product = ProductFactory()
    response = signed_in.post(
        f"/deals/{deal.pk}/line-items/",
        {"product": product.pk, "quantity": "0", "version": 1},
        **HTMX,
    )
    assert response.status_code == 400
    assert "The quantity must be positive." in response.content.decode()
    assert not DealLineItem.objects.exists()


def test_line_item_with_stale_version_is_409(signed_in, deal):
    product = ProductFactory()
    response = signed_in.post(
        f"/deals/{deal.pk}/line-items/",
        {"product": product.pk, "quantity": "1", "version": 5},
        **HTMX,
    )
    assert response.status_code == 409
    assert STALE in response.content.decode()


def test_line_item_of_another_deal_is_404(signed_in, manager, deal):
    other = make_deal(owner=manager)
    services.line_item_add(
        deal=other, product=ProductFactory(), quantity=Decimal(1), unit_price=None, user=None
    )
    item = DealLineItem.objects.get(deal=other)
    response = signed_in.post(
        f"/deals/{deal.pk}/line-items/{item.pk}/remove/", {"version": 1}, **HTMX
    )
    assert response.status_code == 404


# ----------------------------------------------------------------- playbook


def test_playbook_step_complete_and_reopen(signed_in, manager, deal, stages):
    step = PlaybookStepFactory(stage=stages[0], title="Выявить ЛПР")
    response = signed_in.post(f"/deals/{deal.pk}/playbook/{step.pk}/done/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="playbook-step-{step.pk}"' in html
    assert 'aria-checked="true"' in html
    completion = PlaybookStepCompletion.objects.get(deal=deal, step=step)
    assert completion.done_by_id == manager.pk
    response = signed_in.post(f"/deals/{deal.pk}/playbook/{step.pk}/undo/", **HTMX)
    assert response.status_code == 200
    assert not PlaybookStepCompletion.objects.exists()


def test_playbook_step_of_another_pipeline_is_404(signed_in, deal):
    foreign = PlaybookStepFactory()
    assert signed_in.post(f"/deals/{deal.pk}/playbook/{foreign.pk}/done/").status_code == 404


def test_viewer_cannot_tick_the_playbook(client, deal, stages):
    step = PlaybookStepFactory(stage=stages[0])
    client.force_login(UserFactory(role="viewer", department=None))
    assert client.post(f"/deals/{deal.pk}/playbook/{step.pk}/done/").status_code == 403
    assert not PlaybookStepCompletion.objects.exists()


def test_product_search_offers_matching_active_products_with_price(signed_in, deal):
    ProductFactory(name="Станок ЧПУ VX-500", sku="VX-500", price=Decimal("640000"))
    ProductFactory(name="Пусконаладка", sku="SRV-1", price=Decimal("85000.5"))
    ProductFactory(name="Станок старый", sku="OLD", is_active=False)
    html = signed_in.get("/deals/options/products/?q=станок").content.decode()
    assert html.count("<option") == 2  # the empty choice and one match
    assert "Станок ЧПУ VX-500 · 640,000.00</option>" in html
    html = signed_in.get("/deals/options/products/?q=srv").content.decode()
    assert "Пусконаладка · 85,000.50</option>" in html


def test_the_card_lists_at_most_the_option_limit_of_products(signed_in, deal):
    from voronka.core.choices import OPTION_LIMIT

    ProductFactory.create_batch(OPTION_LIMIT + 5)
    html = signed_in.get(f"/deals/{deal.pk}/").content.decode()
    section = html.split('data-testid="product-select"')[1].split("</select>")[0]
    assert section.count("<option") == OPTION_LIMIT + 1


def test_amount_typed_the_russian_way_is_understood(signed_in, deal):
    signed_in.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/amount/", {"amount": "2 500,50", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    assert reload(deal).amount == Decimal("2500.50")
    # Russian shows the same figure grouped by non-breaking spaces, with a decimal comma.
    assert 'data-testid="deal-amount">2\xa0500,50\xa0₽</span>' in response.content.decode()


def test_amount_typed_with_english_grouping_is_understood(signed_in, deal):
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/amount/", {"amount": "2,500.50", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    assert reload(deal).amount == Decimal("2500.50")


def test_ambiguous_amount_in_english_is_400(signed_in, deal):
    response = signed_in.post(
        f"/deals/{deal.pk}/edit/amount/", {"amount": "2500,5", "version": 1}, **HTMX
    )
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert reload(deal).amount == Decimal("1000.00")


def test_line_item_quantity_and_price_with_decimal_commas(signed_in, deal):
    signed_in.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    product = ProductFactory(price=Decimal("100"))
    response = signed_in.post(
        f"/deals/{deal.pk}/line-items/",
        {"product": product.pk, "quantity": "1,5", "unit_price": "1 000,10", "version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    item = DealLineItem.objects.get(deal=deal)
    assert (item.quantity, item.unit_price) == (Decimal("1.50"), Decimal("1000.10"))
    assert reload(deal).amount == Decimal("1500.15")
