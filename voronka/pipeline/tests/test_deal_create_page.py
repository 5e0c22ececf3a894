"""The new-deal page and the searchable option lists of the deal forms."""

from decimal import Decimal

import pytest

from tests.factories import CompanyFactory, ContactFactory, UserFactory, make_pipeline
from voronka.pipeline.models import Deal, StageChange

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client):
    """Assert the English source messages whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_new_deal_page_defaults_to_the_default_pipeline(signed_in, pipeline):
    response = signed_in.get("/deals/new/")
    assert response.status_code == 200
    assert response.context["form"].fields["pipeline"].initial == pipeline.pk
    # Managers own what they create: no owner choice.
    assert "owner" not in response.context["form"].fields


def test_create_a_deal_in_the_first_stage(signed_in, manager, pipeline, stages):
    company = CompanyFactory(owner=manager)
    contact = ContactFactory(company=company, owner=manager)
    response = signed_in.post(
        "/deals/new/",
        {
            "title": "Поставка станков",
            "pipeline": pipeline.pk,
            "company": company.pk,
            "contacts": [contact.pk],
            "amount": "1 250 000.50",
            "currency": "rub",
            "expected_close_date": "2030-03-31",
        },
    )
    deal = Deal.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/deals/{deal.pk}/")
    assert (deal.title, deal.owner_id, deal.stage_id, deal.amount, deal.currency) == (
        "Поставка станков",
        manager.pk,
        stages[0].pk,
        Decimal("1250000.50"),
        "RUB",
    )
    assert list(deal.contacts.all()) == [contact]
    assert StageChange.objects.filter(deal=deal, kind="created").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"amount": "-5"}, "amount", "Ensure this value is greater than or equal to 0."),
        ({"amount": "много"}, "amount", "Enter a number."),
        ({"currency": "рубли"}, "currency", "Ensure this value has at most 3 characters"),
        ({"currency": "R1B"}, "currency", "Use a three-letter currency code"),
        ({"expected_close_date": "31.31.2030"}, "expected_close_date", "Enter a valid date."),
        ({"pipeline": "999999"}, "pipeline", "Select a valid choice."),
    ],
)
def test_bad_new_deal_input_is_400_with_the_message(signed_in, pipeline, data, field, message):
    response = signed_in.post("/deals/new/", {"title": "Сделка", "pipeline": pipeline.pk, **data})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert not Deal.objects.exists()


def test_stage_of_another_pipeline_is_refused(signed_in, pipeline):
    other_stage = make_pipeline(name="Другая", is_default=False).stages.first()
    response = signed_in.post(
        "/deals/new/", {"title": "Сделка", "pipeline": pipeline.pk, "stage": other_stage.pk}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["stage"] == ["The stage belongs to another pipeline."]


def test_company_the_manager_cannot_see_is_refused(signed_in, pipeline):
    hidden = CompanyFactory(owner=UserFactory())
    response = signed_in.post(
        "/deals/new/", {"title": "Сделка", "pipeline": pipeline.pk, "company": hidden.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.context["form"].errors["company"][0]


def test_head_creates_a_deal_for_a_member_of_the_department(client, manager, pipeline):
    head = UserFactory(role="head", department=manager.department)
    client.force_login(head)
    response = client.post(
        "/deals/new/", {"title": "Сделка", "pipeline": pipeline.pk, "owner": manager.pk}
    )
    assert response.status_code == 302
    assert Deal.objects.get().owner_id == manager.pk
    outsider = UserFactory()
    response = client.post(
        "/deals/new/", {"title": "Сделка 2", "pipeline": pipeline.pk, "owner": outsider.pk}
    )
    assert response.status_code == 400
    assert Deal.objects.count() == 1


def test_viewer_cannot_create_a_deal(client, pipeline):
    client.force_login(UserFactory(role="viewer"))
    response = client.post("/deals/new/", {"title": "Сделка", "pipeline": pipeline.pk})
    assert response.status_code == 403
    assert not Deal.objects.exists()


def test_company_options_are_searchable_and_visible_only(signed_in, manager):
    CompanyFactory(name="ООО «Северный ветер»", owner=manager)
    CompanyFactory(name="АО Южный ветер", owner=manager)
    CompanyFactory(name="Северсталь", owner=UserFactory())  # someone else's
    html = signed_in.get("/deals/options/companies/?q=северн").content.decode()
    assert html.count("<option") == 2  # the empty choice and one match
    assert "ООО «Северный ветер»" in html


def test_contact_options_match_first_or_last_name(signed_in, manager):
    company = CompanyFactory(owner=manager)
    ContactFactory(first_name="Игорь", last_name="Волков", company=company, owner=manager)
    ContactFactory(first_name="Анна", last_name="Игорева", company=company, owner=manager)
    ContactFactory(first_name="Пётр", last_name="Сидоров", company=company, owner=manager)
    html = signed_in.get("/deals/options/contacts/?q=игор").content.decode()
    assert html.count("<option") == 2
    assert "Волков" in html and "Игорева" in html


def test_unknown_option_kind_is_404(signed_in):
    assert signed_in.get("/deals/options/users/").status_code == 404
