"""Parity: the same invalid input through a page and through the API breaks the same rule of
the same service, so both answer with that rule's message (the API also names its code)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LostReasonFactory,
    ProductFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.accounts.visibility import visible_activities
from voronka.activities.models import Activity
from voronka.activities.services import activity_delete, activity_log
from voronka.core.errors import InvalidOwner, NotPermitted
from voronka.crm.models import Company, Contact
from voronka.crm.services import DuplicateExternalId, DuplicateInn, InvalidEmail, InvalidInn
from voronka.pipeline.models import Deal, DealLineItem, DealStatus
from voronka.pipeline.services import (
    AmountTooLarge,
    LostReasonArchived,
    NoDefaultPipeline,
    ProductInactive,
    deal_create,
)

pytestmark = pytest.mark.django_db


def _page_create_company(client, user, **fields):
    client.force_login(user)
    return client.post(
        reverse("crm:company_create"), {"name": "ООО Ромашка", "customer_type": "small", **fields}
    )


def _assert_api_refusal(response, error_class, field):
    assert response.status_code == 409, response.content
    assert response.json() == {
        "code": error_class.code,
        "message": str(error_class.default_message),
        "fields": {field: [str(error_class.default_message)]},
    }


@pytest.mark.parametrize("inn", ["12345", "77070838931", "77O7083893"])
def test_a_malformed_inn_is_the_same_invalid_inn_on_the_page_and_in_the_api(
    client, manager, manager_api, inn
):
    page = _page_create_company(client, manager, inn=inn)
    assert page.status_code == 400
    assert page.context["form"].errors["inn"] == [str(InvalidInn.default_message)]
    _assert_api_refusal(manager_api.post("companies", {"name": "B", "inn": inn}), InvalidInn, "inn")
    assert not Company.objects.exists()


def test_a_taken_inn_is_the_same_duplicate_inn_on_the_page_and_in_the_api(
    client, manager, manager_api
):
    CompanyFactory(inn="7707083893")
    page = _page_create_company(client, manager, inn="7707083893")
    assert page.context["form"].errors["inn"] == [str(DuplicateInn.default_message)]
    api = manager_api.post("companies", {"name": "B", "inn": "7707083893"})
    _assert_api_refusal(api, DuplicateInn, "inn")
    own = CompanyFactory(owner=manager, inn="")
    changed = manager_api.patch(f"companies/{own.pk}", {"inn": "7707083893"})
    _assert_api_refusal(changed, DuplicateInn, "inn")
    assert Company.objects.filter(inn="7707083893").count() == 1


def test_the_api_refuses_an_email_the_service_finds_malformed(manager_api):
    # The schema's pattern lets it through; the service's validator (the pages' one) does not.
    _assert_api_refusal(
        manager_api.post("companies", {"name": "B", "email": "info@romashka..ru"}),
        InvalidEmail,
        "email",
    )
    _assert_api_refusal(
        manager_api.post("contacts", {"first_name": "Анна", "email": "anna@mail..ru"}),
        InvalidEmail,
        "email",
    )
    assert not Company.objects.exists()
    assert not Contact.objects.exists()


def test_a_viewer_cannot_own_a_company_or_a_contact_through_the_api(admin_api):
    viewer = UserFactory(role="viewer")
    api = admin_api.post("companies", {"name": "B", "owner_id": viewer.pk})
    _assert_api_refusal(api, InvalidOwner, "owner_id")
    api = admin_api.post("contacts", {"first_name": "Анна", "owner_id": viewer.pk})
    _assert_api_refusal(api, InvalidOwner, "owner_id")
    contact = ContactFactory()
    changed = admin_api.patch(f"contacts/{contact.pk}", {"owner_id": viewer.pk})
    _assert_api_refusal(changed, InvalidOwner, "owner_id")
    assert not Company.objects.filter(name="B").exists()
    contact.refresh_from_db()
    assert contact.owner != viewer


def test_an_external_id_is_unique_per_model(manager_api, manager):
    CompanyFactory(external_id="ext-1")
    api = manager_api.post("companies", {"name": "B", "external_id": "ext-1"})
    _assert_api_refusal(api, DuplicateExternalId, "external_id")
    ContactFactory(external_id="ext-2")
    api = manager_api.post("contacts", {"first_name": "Анна", "external_id": "ext-2"})
    _assert_api_refusal(api, DuplicateExternalId, "external_id")
    # Another model may reuse the value.
    assert (
        manager_api.post("contacts", {"first_name": "Анна", "external_id": "ext-1"}).status_code
        == 201
    )


# Deals: the rules live in the pipeline services, not in the forms or the router ----------------


def _deal_card_post(client, user, deal, name, data):
    client.force_login(user)
    return client.post(
        reverse(f"pipeline:{name}", args=[deal.pk]), {"version": deal.version, **data}
    )


def test_an_archived_lost_reason_is_refused_by_the_board_the_card_and_the_api(
    client, manager, manager_api
):
    archived = LostReasonFactory(name="Старая причина", is_active=False)
    board_deal, card_deal, api_deal = (make_deal(owner=manager) for _ in range(3))
    client.force_login(manager)
    board = client.post(
        reverse("pipeline:board_lose", args=[board_deal.pk]),
        {"version": board_deal.version, "reason": archived.pk},
    )
    assert board.status_code == 400
    assert (board.json()["code"], board.json()["message"]) == (
        LostReasonArchived.code,
        str(LostReasonArchived.default_message),
    )
    card = _deal_card_post(client, manager, card_deal, "deal_lose", {"lost_reason": archived.pk})
    assert card.status_code == 400
    assert str(LostReasonArchived.default_message) in card.content.decode()
    api = manager_api.post(
        f"deals/{api_deal.pk}/lose",
        {"lost_reason_id": archived.pk, "expected_version": api_deal.version},
    )
    _assert_api_refusal(api, LostReasonArchived, "lost_reason_id")
    assert set(Deal.objects.values_list("status", flat=True)) == {DealStatus.OPEN}


def test_an_inactive_product_is_refused_by_the_card_and_the_api(client, manager, manager_api):
    retired = ProductFactory(is_active=False)
    deal = make_deal(owner=manager, amount=Decimal(0))
    card = _deal_card_post(
        client, manager, deal, "deal_line_item_add", {"product": retired.pk, "quantity": "1"}
    )
    assert card.status_code == 400
    assert str(ProductInactive.default_message) in card.content.decode()
    api = manager_api.post(f"deals/{deal.pk}/line-items", {"product_id": retired.pk})
    _assert_api_refusal(api, ProductInactive, "product_id")
    assert not DealLineItem.objects.exists()


def test_one_amount_limit_with_one_code_for_lines_on_the_card_and_in_the_api(
    client, manager, manager_api
):
    product = ProductFactory(price=Decimal("600000000000"))
    deal = make_deal(owner=manager, amount=Decimal(0))
    DealLineItem.objects.create(deal=deal, product=product, quantity=1, unit_price=product.price)
    # 600 000 000 000 + 400 000 000 000 = 10**12: one kopeck more than the columns hold.
    data = {"product": product.pk, "quantity": "1", "unit_price": "400000000000"}
    card = _deal_card_post(client, manager, deal, "deal_line_item_add", data)
    assert card.status_code == 400
    assert str(AmountTooLarge.default_message) in card.content.decode()
    api = manager_api.post(
        f"deals/{deal.pk}/line-items",
        {"product_id": product.pk, "quantity": "1", "unit_price": "400000000000"},
    )
    _assert_api_refusal(api, AmountTooLarge, "quantity")
    assert DealLineItem.objects.count() == 1
    # Just under the limit is accepted.
    fits = manager_api.post(
        f"deals/{deal.pk}/line-items",
        {"product_id": product.pk, "quantity": "1", "unit_price": "399999999999.99"},
    )
    assert fits.status_code == 201
    deal.refresh_from_db()
    assert deal.amount == Decimal("999999999999.99")


def test_without_a_default_pipeline_the_service_refuses_a_deal_with_no_pipeline(manager_api):
    make_pipeline(is_default=False)
    api = manager_api.post("deals", {"title": "Поставка"})
    _assert_api_refusal(api, NoDefaultPipeline, "pipeline_id")
    with pytest.raises(NoDefaultPipeline):
        deal_create(title="Поставка", owner=UserFactory())
    assert not Deal.objects.exists()


# Activities: one visibility definition and one write path ----------------------------------------


def test_an_activity_on_my_deal_is_mine_to_tick_on_the_page_and_in_the_api(
    client, manager, manager_api
):
    deal = make_deal(owner=manager)
    colleague = UserFactory(role="manager")
    on_my_deal = activity_log(kind="task", subject="Позвонить", owner=colleague, deal=deal)
    elsewhere = activity_log(kind="task", subject="Чужое", owner=colleague)
    assert set(visible_activities(manager)) == {on_my_deal}
    assert manager_api.get(f"activities/{on_my_deal.pk}").status_code == 200
    assert manager_api.get(f"activities/{elsewhere.pk}").status_code == 404
    done = manager_api.patch(f"activities/{on_my_deal.pk}", {"done": True})
    assert done.status_code == 200
    assert done.json()["done_at"] is not None
    client.force_login(manager)
    assert client.post(reverse("activities:undo", args=[on_my_deal.pk])).status_code in (200, 302)
    on_my_deal.refresh_from_db()
    assert on_my_deal.done_at is None
    assert client.post(reverse("activities:done", args=[elsewhere.pk])).status_code == 404


def test_only_its_owner_or_an_admin_deletes_an_activity(manager, manager_api, admin_api):
    deal = make_deal(owner=manager)
    colleague = UserFactory(role="manager")
    activity = activity_log(kind="call", subject="Звонок", owner=colleague, deal=deal)
    refused = manager_api.delete(f"activities/{activity.pk}")
    assert (refused.status_code, refused.json()["code"]) == (403, NotPermitted.code)
    with pytest.raises(NotPermitted):
        activity_delete(activity=activity, user=manager)
    blank = manager_api.patch(f"activities/{activity.pk}", {"subject": "   "})
    assert blank.status_code in (409, 422)
    assert admin_api.delete(f"activities/{activity.pk}").status_code == 204
    assert not Activity.objects.exists()
