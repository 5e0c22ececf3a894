"""Customer feedback: asking by a token link, the public answer page, the list heads read."""

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, make_deal
from voronka.activities.models import Activity
from voronka.core.errors import DomainError, NotPermitted
from voronka.core.models import Organisation
from voronka.crm.tests.team import make_team
from voronka.feedback import services
from voronka.feedback.models import Feedback

pytestmark = pytest.mark.django_db
LIST = reverse("feedback:list")


@pytest.fixture
def team():
    return make_team()


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def deal(team, pipeline):
    company = CompanyFactory(name="Альфа", owner=team.manager)
    olga = ContactFactory(
        first_name="Ольга", last_name="Смирнова", email="olga@example.com", company=company
    )
    nomail = ContactFactory(first_name="Борис", last_name="Безпочтов", email="", company=company)
    return make_deal(owner=team.manager, title="Насосы", company=company, contacts=[olga, nomail])


def request_url(deal):
    return reverse("feedback:request", args=[deal.pk])


def public_url(feedback):
    return reverse("feedback:public", args=[feedback.token])


# ---------------------------------------------------------------- asking for feedback


def test_the_owner_gets_a_link_to_send_themselves(en_client, team, deal, mailoutbox):
    en_client.force_login(team.manager)
    page = en_client.get(request_url(deal))
    assert page.status_code == 200
    # Only contacts with an email address can be chosen.
    assert [str(c) for c in page.context["form"].fields["contact"].queryset] == ["Ольга Смирнова"]
    response = en_client.post(request_url(deal), {"contact": ""})
    assert response.status_code == 200
    feedback = Feedback.objects.get()
    assert feedback.deal == deal and feedback.score is None and feedback.submitted_at is None
    assert response.context["link"] == f"http://testserver/feedback/{feedback.token}/"
    assert len(feedback.token) >= 32
    assert mailoutbox == []


def test_choosing_a_contact_emails_the_link_after_commit_and_logs_it(
    en_client, team, deal, mailoutbox, django_capture_on_commit_callbacks
):
    olga = deal.contacts.get(first_name="Ольга")
    en_client.force_login(team.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = en_client.post(request_url(deal), {"contact": olga.pk})
    assert response.status_code == 200
    feedback = Feedback.objects.get()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["olga@example.com"]
    assert mailoutbox[0].subject == "How did we do? Your feedback on «Насосы»"
    assert f"http://testserver/feedback/{feedback.token}/" in mailoutbox[0].body
    activity = Activity.objects.get(deal=deal)
    assert (activity.kind, activity.contact, activity.owner) == ("email", olga, team.manager)


def test_a_contact_without_email_or_from_another_deal_is_a_400(en_client, team, deal):
    nomail = deal.contacts.get(first_name="Борис")
    stranger_contact = ContactFactory(email="x@example.com")
    en_client.force_login(team.manager)
    for contact in (nomail, stranger_contact):
        response = en_client.post(request_url(deal), {"contact": contact.pk})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    assert not Feedback.objects.exists()


def test_the_service_refuses_a_contact_without_email_with_its_name(team, deal):
    nomail = deal.contacts.get(first_name="Борис")
    with pytest.raises(DomainError) as error:
        services.feedback_request(
            deal=deal, requested_by=team.manager, contact=nomail, link_for=str
        )
    assert str(error.value.message) == "Борис Безпочтов has no email address."
    assert not Feedback.objects.exists()


def test_who_may_ask_for_feedback(en_client, team, deal):
    expected = {
        team.manager: 200,  # the owner
        team.head: 200,  # the owner's head
        team.admin: 200,
        team.colleague: 404,  # cannot see the deal
        team.stranger: 404,
        team.viewer: 403,  # sees it but changes nothing
    }
    for user, status in expected.items():
        en_client.force_login(user)
        assert en_client.get(request_url(deal)).status_code == status, user
        assert en_client.post(request_url(deal), {"contact": ""}).status_code == status, user
    assert Feedback.objects.count() == 3
    with pytest.raises(NotPermitted):
        services.feedback_request(deal=deal, requested_by=team.viewer, link_for=str)


def test_asking_needs_a_login_and_an_existing_deal(client, team, deal):
    response = client.get(request_url(deal))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    client.force_login(team.admin)
    assert client.get(reverse("feedback:request", args=[999999])).status_code == 404


# ---------------------------------------------------------------- the public page


def test_the_customer_answers_once_without_signing_in(client, deal):
    feedback = Feedback.objects.create(deal=deal)
    page = client.get(public_url(feedback))
    assert page.status_code == 200
    assert "Насосы" in page.content.decode()
    response = client.post(public_url(feedback), {"score": "9", "comment": "  Всё отлично  "})
    assert response.status_code == 200
    assert 'data-testid="feedback-done"' in response.content.decode()
    feedback.refresh_from_db()
    assert (feedback.score, feedback.comment) == (9, "Всё отлично")
    assert feedback.submitted_at is not None

    again = client.post(public_url(feedback), {"score": "1", "comment": "Передумал"})
    assert again.status_code == 409
    feedback.refresh_from_db()
    assert (feedback.score, feedback.comment) == (9, "Всё отлично")
    assert client.get(public_url(feedback)).status_code == 200


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Choose a score from 1 to 10."),
        ({"score": "11"}, "Select a valid choice."),
        ({"score": "0"}, "Select a valid choice."),
        ({"score": "abc"}, "Select a valid choice."),
        ({"score": "5", "comment": "x" * 5001}, "Ensure this value has at most 5000 characters"),
    ],
)
def test_a_bad_answer_is_a_400_with_a_message(en_client, deal, data, message):
    organisation_speaks("en")
    feedback = Feedback.objects.create(deal=deal)
    response = en_client.post(public_url(feedback), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.submitted_at is None


def organisation_speaks(language: str) -> None:
    organisation = Organisation.current()
    organisation.language = language
    organisation.save()


@pytest.mark.parametrize(
    ("organisation_language", "browser_language", "heading", "lang"),
    [("ru", "en", "Ваш отзыв", "ru"), ("en", "ru", "Your feedback", "en")],
)
def test_the_public_page_speaks_the_organisations_language_not_the_browsers(
    client, deal, organisation_language, browser_language, heading, lang
):
    organisation_speaks(organisation_language)
    feedback = Feedback.objects.create(deal=deal)
    page = client.get(public_url(feedback), HTTP_ACCEPT_LANGUAGE=browser_language)
    html = page.content.decode()
    assert f"<title>{heading}" in html
    assert f'<html lang="{lang}"' in html
    assert page["Content-Language"] == lang
    refused = client.post(public_url(feedback), {}, HTTP_ACCEPT_LANGUAGE=browser_language)
    message = {"ru": "Выберите оценку от 1 до 10.", "en": "Choose a score from 1 to 10."}[lang]
    assert message in refused.content.decode()


def test_an_unknown_token_is_a_404(client, deal):
    Feedback.objects.create(deal=deal)
    assert client.get(reverse("feedback:public", args=["no-such-token"])).status_code == 404


def test_the_service_checks_the_score_and_answers_once(deal):
    feedback = Feedback.objects.create(deal=deal)
    with pytest.raises(DomainError):
        services.feedback_submit(feedback=feedback, score=0)
    services.feedback_submit(feedback=feedback, score=7, comment="Нормально")
    stale_copy = Feedback.objects.get(pk=feedback.pk)
    stale_copy.submitted_at = None  # another request that loaded the row before the answer
    with pytest.raises(services.FeedbackAlreadyGiven):
        services.feedback_submit(feedback=stale_copy, score=1)
    assert Feedback.objects.get(pk=feedback.pk).score == 7


# ---------------------------------------------------------------- the list for heads


def answered(deal, score, comment=""):
    feedback = Feedback.objects.create(deal=deal)
    return services.feedback_submit(feedback=feedback, score=score, comment=comment)


@pytest.fixture
def answers(team, pipeline):
    ours = make_deal(owner=team.manager, title="Наша")
    colleagues = make_deal(owner=team.colleague, title="Коллеги")
    theirs = make_deal(owner=team.stranger, title="Чужая")
    answered(ours, 10, "Супер")
    answered(ours, 6, "Долго")
    answered(colleagues, 9)
    Feedback.objects.create(deal=colleagues)  # waiting
    answered(theirs, 2, "Плохо")
    return ours, colleagues, theirs


def test_managers_and_viewers_do_not_open_the_feedback_list(client, team):
    for user in (team.manager, team.viewer):
        client.force_login(user)
        assert client.get(LIST).status_code == 403


def test_a_head_reads_the_departments_answers_with_nps(en_client, team, answers):
    en_client.force_login(team.head)
    response = en_client.get(LIST)
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary["answered"], summary["waiting"]) == (3, 1)
    assert round(summary["average"], 2) == round((10 + 6 + 9) / 3, 2)
    assert summary["nps"] == 33  # 2 promoters, 1 detractor out of 3
    assert sorted(f.deal.title for f in response.context["page"]) == ["Коллеги", "Наша", "Наша"]
    assert "Плохо" not in response.content.decode()
    every = en_client.get(LIST, {"show": "all"})
    assert len(every.context["page"]) == 4


def test_an_admin_reads_every_answer(en_client, team, answers):
    en_client.force_login(team.admin)
    summary = en_client.get(LIST, {"show": "whatever", "page": "x"}).context["summary"]
    assert (summary["answered"], summary["waiting"], summary["nps"]) == (4, 1, 0)


def test_the_feedback_list_costs_the_same_queries_for_few_and_many_answers(
    en_client, team, pipeline
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    en_client.force_login(team.head)
    en_client.get(LIST)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert en_client.get(LIST, {"show": "all"}).status_code == 200
        return len(context)

    def add(count):
        for index in range(count):
            deal = make_deal(owner=team.manager, company=CompanyFactory(owner=team.manager))
            answered(deal, 1 + index % 10)

    add(2)
    few = queries()
    add(30)
    assert queries() == few
