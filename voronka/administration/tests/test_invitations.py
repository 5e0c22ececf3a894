"""Settings → Users → Invite: a one-time set-password link for people without a password."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.factories import UserFactory
from voronka.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    person = UserFactory(username="anna", email="anna@example.com", first_name="Анна")
    person.set_unusable_password()
    person.save()
    return person


def invite(client, person):
    return client.post(reverse("administration:user_invite", args=[person.pk]))


@override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
def test_the_link_is_shown_and_sets_the_password_once(client, admin_user, newcomer):
    client.force_login(admin_user)
    users_page = client.get(reverse("administration:users")).content.decode()
    assert 'data-testid="invite-anna"' in users_page
    response = invite(client, newcomer)
    assert response.status_code == 200
    url = response.context["invitation_url"]
    assert url.startswith("http://testserver/accounts/password/set/")
    assert response.context["invitation"].emailed is False
    assert 'data-testid="invitation-link"' in response.content.decode()
    client.logout()
    form = client.get(url, follow=True)  # Django swaps the token for a session marker
    assert form.context["validlink"] is True
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Kr0kodil-Gena-77", "new_password2": "Kr0kodil-Gena-77"},
    )
    assert done.status_code == 302
    assert User.objects.get(pk=newcomer.pk).check_password("Kr0kodil-Gena-77")
    # Used once: the same link no longer works.
    again = client.get(url, follow=True)
    assert again.context["validlink"] is False
    assert 'data-testid="invitation-invalid"' in again.content.decode()


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_the_link_is_emailed_when_email_is_configured(client, admin_user, newcomer):
    client.force_login(admin_user)
    response = invite(client, newcomer)
    assert response.context["invitation"].emailed is True
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    assert response.context["invitation_url"] in mail.outbox[0].body


def test_a_person_with_a_password_is_not_invited(client, admin_user):
    person = UserFactory(username="boris")
    client.force_login(admin_user)
    assert (
        'data-testid="invite-boris"'
        not in client.get(reverse("administration:users")).content.decode()
    )
    response = invite(client, person)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["This person already has a password."]


@pytest.mark.parametrize("role", ["head", "manager", "viewer"])
def test_only_admins_invite(client, newcomer, role):
    client.force_login(UserFactory(role=role))
    response = invite(client, newcomer)
    assert response.status_code in {302, 403}
    assert "invitation" not in (response.context or {})
