"""Deal documents: upload with a kind (recorded with the deal's stage), size and type limits,
permission-checked download, delete by the deal's owner, the uploader or an admin only."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import UserFactory, make_deal
from voronka.documents.models import Document
from voronka.documents.services import document_attach
from voronka.pipeline import services

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4 commercial proposal"


@pytest.fixture(autouse=True)
def english(client):
    """Assert the English source messages whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def deal(manager, pipeline):
    return make_deal(owner=manager, pipeline=pipeline, amount=Decimal(1000))


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def pdf(name="КП для клиента.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def upload(client, deal, kind="proposal", file=None, **extra):
    return client.post(
        f"/documents/deal/{deal.pk}/upload/", {"kind": kind, "file": file or pdf()}, **extra
    )


def attached(deal, user, name="kp.pdf"):
    return document_attach(deal=deal, kind="proposal", upload=pdf(name), user=user)


# ----------------------------------------------------------------- upload


def test_upload_records_kind_stage_uploader_and_shows_on_the_card(signed_in, manager, deal, stages):
    services.deal_move_stage(deal=deal, stage=stages[1], user=manager)
    response = upload(signed_in, deal, **HTMX)
    assert response.status_code == 200
    document = Document.objects.get(deal=deal)
    assert (
        document.kind,
        document.original_name,
        document.size,
        document.stage_id,
        document.uploaded_by_id,
    ) == ("proposal", "КП для клиента.pdf", len(PDF), stages[1].pk, manager.pk)
    # Stored under a generated name, never the user's.
    assert document.file.name.startswith("documents/")
    assert document.file.name.endswith(".pdf")
    assert "КП" not in document.file.name
    html = response.content.decode()
    assert "КП для клиента.pdf" in html
    assert "at stage “Переговоры”" in html


def test_upload_without_htmx_redirects_to_the_card(signed_in, deal):
    response = upload(signed_in, deal)
    assert (response.status_code, response["Location"]) == (302, f"/deals/{deal.pk}/")
    assert Document.objects.filter(deal=deal).count() == 1


def test_upload_satisfies_a_document_exit_requirement(signed_in, deal, stages):
    from voronka.pipeline.models import ExitRequirementKind, StageExitRequirement

    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.DOCUMENT, document_kind="proposal"
    )
    move = {"stage": stages[1].pk, "version": deal.version}
    assert signed_in.post(f"/deals/{deal.pk}/move/", move, **HTMX).status_code == 400
    upload(signed_in, deal, **HTMX)
    assert signed_in.post(f"/deals/{deal.pk}/move/", move, **HTMX).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "proposal"}, "File: Choose a file to upload."),
        ({"kind": "", "file": "pdf"}, "Kind: Choose the kind of document."),
        ({"kind": "poem", "file": "pdf"}, "Kind: Select a valid choice."),
        (
            {"kind": "other", "file": "exe"},
            "Files of type “.exe” are not accepted. Allowed: .csv, .doc, .docx",
        ),
        ({"kind": "other", "file": "noext"}, "Files of type “?” are not accepted."),
        ({"kind": "other", "file": "empty"}, "File: The file is empty."),
    ],
)
def test_bad_upload_is_400_with_the_message(signed_in, deal, data, message):
    files = {
        "pdf": pdf(),
        "exe": SimpleUploadedFile("setup.exe", b"MZ...", content_type="application/pdf"),
        "noext": SimpleUploadedFile("README", b"text"),
        "empty": SimpleUploadedFile("empty.pdf", b""),
    }
    if "file" in data:
        data = {**data, "file": files[data["file"]]}
    response = signed_in.post(f"/documents/deal/{deal.pk}/upload/", data, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="document-error"' in html
    assert message in html
    assert not Document.objects.exists()


def test_too_large_a_file_is_refused_with_the_limit(signed_in, deal, settings):
    settings.DOCUMENT_MAX_BYTES = 2 * 1048576
    big = SimpleUploadedFile("big.pdf", b"0" * (3 * 1048576 + 100))
    response = upload(signed_in, deal, file=big, **HTMX)
    assert response.status_code == 400
    assert "The file is 3.0 MB; the limit is 2 MB." in response.content.decode()
    assert not Document.objects.exists()


def test_upload_to_another_managers_deal_is_404(client, deal):
    client.force_login(UserFactory(role="manager"))
    assert upload(client, deal).status_code == 404
    assert not Document.objects.exists()


def test_viewer_cannot_upload(client, deal):
    client.force_login(UserFactory(role="viewer"))
    assert upload(client, deal).status_code == 403
    assert not Document.objects.exists()


def test_get_on_upload_is_405(signed_in, deal):
    assert signed_in.get(f"/documents/deal/{deal.pk}/upload/").status_code == 405


# ----------------------------------------------------------------- download


def test_download_returns_the_file_as_an_attachment(signed_in, manager, deal):
    document = attached(deal, manager, name="Договор №5.pdf")
    response = signed_in.get(f"/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_type_follows_the_extension_not_the_uploaders_claim(signed_in, manager, deal):
    upload_ = SimpleUploadedFile("notes.txt", b"hello", content_type="text/html")
    document = document_attach(deal=deal, kind="other", upload=upload_, user=manager)
    response = signed_in.get(f"/documents/{document.pk}/download/")
    assert response["Content-Type"] == "text/plain"


def test_download_of_another_managers_document_is_404(client, manager, deal):
    document = attached(deal, manager)
    client.force_login(UserFactory(role="manager"))
    assert client.get(f"/documents/{document.pk}/download/").status_code == 404


def test_viewer_and_head_of_the_department_may_download(client, manager, deal):
    document = attached(deal, manager)
    for user in (
        UserFactory(role="viewer"),
        UserFactory(role="head", department=manager.department),
    ):
        client.force_login(user)
        assert client.get(f"/documents/{document.pk}/download/").status_code == 200


def test_download_of_a_missing_file_is_404(signed_in, manager, deal):
    document = attached(deal, manager)
    document.file.storage.delete(document.file.name)
    assert signed_in.get(f"/documents/{document.pk}/download/").status_code == 404


def test_anonymous_download_goes_to_login(client, manager, deal):
    document = attached(deal, manager)
    response = client.get(f"/documents/{document.pk}/download/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# ----------------------------------------------------------------- delete


def test_deal_owner_deletes_a_document_and_its_file(signed_in, manager, deal):
    document = attached(deal, manager)
    storage, name = document.file.storage, document.file.name
    response = signed_in.post(f"/documents/{document.pk}/delete/", **HTMX)
    assert response.status_code == 200
    assert 'id="deal-card"' in response.content.decode()
    assert not Document.objects.exists()
    assert not storage.exists(name)


def test_admin_deletes_any_document(client, manager, deal):
    document = attached(deal, manager)
    client.force_login(UserFactory(role="admin", department=None))
    response = client.post(f"/documents/{document.pk}/delete/")
    assert (response.status_code, response["Location"]) == (302, f"/deals/{deal.pk}/")
    assert not Document.objects.exists()


def test_head_who_did_not_upload_cannot_delete(client, manager, deal):
    document = attached(deal, manager)
    head = UserFactory(role="head", department=manager.department)
    client.force_login(head)
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 403
    assert Document.objects.count() == 1
    # The card offers no delete button to the head either.
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert f"/documents/{document.pk}/delete/" not in html


def test_uploader_who_is_not_the_owner_may_delete_own_upload(client, manager, deal):
    head = UserFactory(role="head", department=manager.department)
    document = attached(deal, head)
    client.force_login(head)
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 302
    assert not Document.objects.exists()


def test_viewer_cannot_delete(client, manager, deal):
    document = attached(deal, manager)
    client.force_login(UserFactory(role="viewer"))
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 403
    assert Document.objects.count() == 1


def test_another_manager_cannot_delete(client, manager, deal):
    document = attached(deal, manager)
    client.force_login(UserFactory(role="manager"))
    assert client.post(f"/documents/{document.pk}/delete/").status_code == 404
    assert Document.objects.count() == 1


def test_get_on_delete_is_405(signed_in, manager, deal):
    document = attached(deal, manager)
    assert signed_in.get(f"/documents/{document.pk}/delete/").status_code == 405
