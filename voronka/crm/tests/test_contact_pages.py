"""Contact list, page, create and edit; company and contact exports."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import CompanyFactory, ContactFactory, make_deal
from voronka.activities.services import activity_log
from voronka.crm.models import Contact

from .team import make_team

pytestmark = pytest.mark.django_db
LIST = reverse("crm:contact_list")


@pytest.fixture
def team():
    return make_team()


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def names(response) -> list[str]:
    return [contact.full_name for contact in response.context["page"]]


@pytest.fixture
def people(team):
    ours = CompanyFactory(name="Альфа", owner=team.manager)
    colleagues = CompanyFactory(name="Бета", owner=team.colleague)
    theirs = CompanyFactory(name="Гамма", owner=team.stranger)
    return {
        "olga": ContactFactory(
            first_name="Ольга",
            last_name="Смирнова",
            company=ours,
            phone="+7 495 123-45-67",
            email="olga@alfa.example",
        ),
        "boris": ContactFactory(
            first_name="Борис", last_name="Бетов", company=colleagues, email="boris@beta.example"
        ),
        "gleb": ContactFactory(
            first_name="Глеб", last_name="Гаммов", company=theirs, email="gleb@gamma.example"
        ),
    }


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


# ---------------------------------------------------------------- the list


def test_the_contact_list_needs_a_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_each_role_sees_only_its_contacts(en_client, team, people):
    expected = {
        team.manager: ["Ольга Смирнова"],
        team.head: ["Борис Бетов", "Ольга Смирнова"],
        team.stranger: ["Глеб Гаммов"],
        team.admin: ["Борис Бетов", "Глеб Гаммов", "Ольга Смирнова"],
        team.viewer: ["Борис Бетов", "Глеб Гаммов", "Ольга Смирнова"],
    }
    for user, visible in expected.items():
        en_client.force_login(user)
        response = en_client.get(LIST)
        assert response.status_code == 200
        assert names(response) == visible, user


def test_a_deal_with_the_company_makes_its_people_visible(en_client, team, people, pipeline):
    make_deal(owner=team.manager, company=people["gleb"].company)
    en_client.force_login(team.manager)
    assert names(en_client.get(LIST)) == ["Глеб Гаммов", "Ольга Смирнова"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ольг", ["Ольга Смирнова"]),  # Cyrillic in another case, on SQLite too
        ("СМИРН", ["Ольга Смирнова"]),
        ("123-45", ["Ольга Смирнова"]),
        ("beta.example", ["Борис Бетов"]),
        ("gamma", []),  # another department's person stays hidden
    ],
)
def test_search_by_name_phone_and_email(en_client, team, people, query, expected):
    en_client.force_login(team.head)
    assert names(en_client.get(LIST, {"q": query})) == expected


def test_filter_by_company_and_owner(en_client, team, people):
    en_client.force_login(team.head)
    response = en_client.get(LIST, {"company": people["boris"].company_id})
    assert names(response) == ["Борис Бетов"]
    assert names(en_client.get(LIST, {"owner": team.manager.pk})) == ["Ольга Смирнова"]


def test_the_company_filter_searches_its_options_without_filtering_the_list(
    en_client, team, people
):
    en_client.force_login(team.head)
    html = en_client.get(LIST).content.decode()
    options_url = reverse("pipeline:deal_options", args=["companies"])
    # The search box asks for options; its own (absent) form keeps its words out of the list's.
    assert (
        '<input type="search" name="q" form="company-filter-search" class="option-search"' in html
    )
    assert f'hx-get="{options_url}" hx-vals=\'{{"empty": "any"}}\'' in html
    # The list reloads on the filter's own fields only, which the page has under these ids.
    assert 'hx-trigger="change from:#id_company, change from:#id_owner, ' in html
    for field_id in ("id_company", "id_owner", "id_q"):
        assert f'id="{field_id}"' in html


def test_the_company_filters_options_answer_with_any_company_and_the_chosen_one(
    en_client, team, people
):
    en_client.force_login(team.head)
    options_url = reverse("pipeline:deal_options", args=["companies"])
    chosen = people["boris"].company_id
    response = en_client.get(options_url, {"q": "", "empty": "any", "company": chosen})
    assert response.content.decode() == (
        '<option value="">Any company</option>'
        f'<option value="{chosen}" selected>Бета</option>'
        f'<option value="{people["olga"].company_id}">Альфа</option>'
    )
    response = en_client.get(options_url, {"q": "Аль", "empty": "any"})
    assert response.content.decode() == (
        '<option value="">Any company</option>'
        f'<option value="{people["olga"].company_id}">Альфа</option>'
    )
    # A company the head cannot see is neither offered nor kept.
    hidden = people["gleb"].company_id
    response = en_client.get(options_url, {"q": "Гам", "empty": "any", "company": hidden})
    assert response.content.decode() == '<option value="">Any company</option>'
    # A form's select keeps its dash.
    response = en_client.get(options_url, {"q": "Аль"})
    assert response.content.decode().startswith('<option value="">—</option>')


def test_a_company_or_owner_the_user_cannot_see_is_a_400(en_client, team, people):
    en_client.force_login(team.head)
    response = en_client.get(LIST, {"company": people["gleb"].company_id})
    assert response.status_code == 400
    assert names(response) == ["Борис Бетов", "Ольга Смирнова"]
    assert en_client.get(LIST, {"owner": team.stranger.pk}).status_code == 400
    assert en_client.get(LIST, {"company": "abc"}).status_code == 400


def test_sorting_by_email_both_ways(en_client, team, people):
    en_client.force_login(team.admin)
    assert names(en_client.get(LIST, {"sort": "email"})) == [
        "Борис Бетов",
        "Глеб Гаммов",
        "Ольга Смирнова",
    ]
    assert names(en_client.get(LIST, {"sort": "-email"})) == [
        "Ольга Смирнова",
        "Глеб Гаммов",
        "Борис Бетов",
    ]
    assert en_client.get(LIST, {"sort": "drop table"}).status_code == 200


def test_the_contact_list_costs_the_same_queries_for_few_and_many_rows(en_client, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    en_client.force_login(team.head)
    en_client.get(LIST)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert en_client.get(LIST, {"sort": "company"}).status_code == 200
        return len(context)

    def add(count):
        for index in range(count):
            owner = team.manager if index % 2 else team.colleague
            ContactFactory(company=CompanyFactory(owner=owner))

    add(3)
    few = queries()
    add(60)
    assert queries() == few
    assert few <= 12


def test_the_contact_list_counts_its_rows_once_per_filter_and_change(en_client, team, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    en_client.force_login(team.head)

    def visit(**params):
        with CaptureQueriesContext(connection) as context:
            response = en_client.get(LIST, params)
        counts = sum(
            query["sql"].startswith('SELECT COUNT("crm_contact"."id")')
            for query in context.captured_queries
        )
        return response.context["page"].paginator.count, counts

    assert visit() == (2, 1)
    assert visit() == (2, 0)  # counted already
    assert visit(sort="-email") == (2, 0)
    assert visit(q="Ольга") == (1, 1)
    ContactFactory(company=people["olga"].company, last_name="Новая")
    assert visit() == (3, 1)  # a new contact counts anew
    # The stranger's company handed to the manager: its contact becomes the head's too.
    gamma = people["gleb"].company
    gamma.owner = team.manager
    gamma.save()
    assert visit() == (4, 1)


def test_contact_export_csv_and_xlsx_hold_the_filtered_visible_rows(en_client, team, people):
    en_client.force_login(team.head)
    response = en_client.get(LIST, {"export": "csv", "sort": "name"})
    assert response.status_code == 200
    assert 'filename="contacts.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert [row[1:4] + [row[7]] for row in rows[1:]] == [
        ["Борис", "Бетов", "Бета", "boris@beta.example"],
        ["Ольга", "Смирнова", "Альфа", "olga@alfa.example"],
    ]
    response = en_client.get(LIST, {"export": "xlsx", "q": "ольга"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[1:3] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("Ольга", "Смирнова")
    ]


def test_company_export_holds_the_visible_companies(en_client, team, people):
    en_client.force_login(team.manager)
    response = en_client.get(reverse("crm:company_list"), {"export": "csv"})
    assert response.status_code == 200
    assert [row[1] for row in read_csv(response)[1:]] == ["Альфа"]
    response = en_client.get(reverse("crm:company_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Альфа"]


# ---------------------------------------------------------------- the contact page


def test_the_contact_page_shows_the_company_deals_and_timeline(en_client, team, people, pipeline):
    olga = people["olga"]
    deal = make_deal(owner=team.manager, title="Насосы", company=olga.company, contacts=[olga])
    make_deal(owner=team.stranger, title="Чужая", contacts=[olga])
    activity_log(kind="call", subject="Позвонили Ольге", owner=team.manager, contact=olga)
    activity_log(kind="note", subject="Без контакта", owner=team.manager, deal=deal)
    en_client.force_login(team.manager)
    response = en_client.get(reverse("crm:contact_detail", args=[olga.pk]))
    assert response.status_code == 200
    assert response.context["company_visible"] is True
    assert [d.title for d in response.context["deals"]] == ["Насосы"]
    assert [a.subject for a in response.context["timeline"]] == ["Позвонили Ольге"]
    body = response.content.decode()
    assert "olga@alfa.example" in body and "Альфа" in body


def test_another_departments_contact_is_a_404(en_client, team, people):
    gleb = people["gleb"]
    for user in (team.manager, team.head):
        en_client.force_login(user)
        assert en_client.get(reverse("crm:contact_detail", args=[gleb.pk])).status_code == 404
        assert en_client.get(reverse("crm:contact_edit", args=[gleb.pk])).status_code == 404
    assert en_client.get(reverse("crm:contact_detail", args=[999999])).status_code == 404


# ---------------------------------------------------------------- create and edit


def contact_data(**overrides):
    return {"first_name": "Мария", "last_name": "Новикова", "email": "", **overrides}


def test_viewers_cannot_create_or_edit_contacts(en_client, team, people):
    en_client.force_login(team.viewer)
    assert en_client.get(reverse("crm:contact_create")).status_code == 403
    assert en_client.post(reverse("crm:contact_create"), contact_data()).status_code == 403
    edit = reverse("crm:contact_edit", args=[people["olga"].pk])
    assert en_client.post(edit, contact_data()).status_code == 403
    assert Contact.objects.count() == 3


def test_a_manager_adds_a_contact_to_a_visible_company(en_client, team, people):
    alfa = people["olga"].company
    en_client.force_login(team.manager)
    page = en_client.get(reverse("crm:contact_create"), {"company": alfa.pk})
    assert page.context["form"].initial["company"] == str(alfa.pk)
    response = en_client.post(
        reverse("crm:contact_create"),
        contact_data(company=alfa.pk, email="Maria@Alfa.example", phone="+7 900 000-00-00"),
    )
    contact = Contact.objects.get(first_name="Мария")
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:contact_detail", args=[contact.pk])
    assert (contact.company, contact.owner, contact.phone) == (
        alfa,
        team.manager,
        "+7 900 000-00-00",
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"first_name": "  "}, "This field is required."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"company": "COMPANY"}, "Choose one of the companies you can see."),
        ({"owner": "STRANGER"}, "Select a valid choice"),
    ],
)
def test_bad_contact_input_is_a_400_with_a_message(en_client, team, people, overrides, message):
    if overrides.get("company") == "COMPANY":
        overrides = {**overrides, "company": people["gleb"].company_id}
    if overrides.get("owner") == "STRANGER":
        overrides = {**overrides, "owner": team.stranger.pk}
    en_client.force_login(team.head)
    response = en_client.post(reverse("crm:contact_create"), contact_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Contact.objects.count() == 3


def test_editing_a_contact_saves_the_changes(en_client, team, people):
    olga = people["olga"]
    en_client.force_login(team.manager)
    response = en_client.post(
        reverse("crm:contact_edit", args=[olga.pk]),
        contact_data(first_name="Ольга", last_name="Смирнова-Петрова", company=olga.company_id),
    )
    assert response.status_code == 302
    olga.refresh_from_db()
    assert (olga.last_name, olga.email, olga.owner) == ("Смирнова-Петрова", "", team.manager)


def test_an_empty_form_post_is_a_400_with_the_required_field_named(en_client, team):
    en_client.force_login(team.manager)
    for url in (reverse("crm:contact_create"), reverse("crm:company_create")):
        response = en_client.post(url, {})
        assert response.status_code == 400, url
        assert "This field is required." in response.content.decode(), url
    assert Contact.objects.count() == 0
