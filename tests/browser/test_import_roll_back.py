"""An import whose worker died: the job page says which lines and how many rows of each kind were
written, and rolls them back after a confirmation (a dismissed one changes nothing)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory, make_pipeline
from voronka.crm.models import Company
from voronka.imports import running
from voronka.imports.models import ImportJob, ImportStatus
from voronka.imports.tests.helpers import csv_bytes, import_file
from voronka.imports.tests.test_roll_back import HEADERS, WorkerKilled, _kill_after, _rows, _start
from voronka.pipeline.models import Deal

pytestmark = pytest.mark.django_db(transaction=True)


def _stalled_job(monkeypatch) -> tuple[ImportJob, UserFactory]:
    make_pipeline()
    UserFactory(username="moses", first_name="Moses", last_name="Frase")
    admin = UserFactory(role="admin", username="boss")
    earlier = [["E-1", "Ранняя", "moses", "Переговоры", "2024-01-05", ""]]
    import_file(admin, csv_bytes(HEADERS[:6], earlier))
    update = ["E-1", "", "moses", "Выставление КП", "2024-01-05", "", "", "", "", "", "", ""]
    job = _start(admin, csv_bytes(HEADERS, [update, *_rows(7)]))
    monkeypatch.setattr(running, "BATCH_SIZE", 2)
    with pytest.raises(WorkerKilled):
        running.import_run(job=job, progress=_kill_after(2))
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=9))
    return job, admin


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_page_of_a_dead_import_rolls_back_what_it_wrote_after_a_confirmation(
    page, monkeypatch, language
):
    job, admin = _stalled_job(monkeypatch)
    assert Deal.objects.count() == 4  # the earlier import's deal and three of this one
    sign_in(page, admin, language)
    page.goto(f"{page.base_url}/imports/{job.pk}/")
    expect(page.locator("[data-testid=import-stalled]")).to_be_visible()
    expect(page.locator("[data-testid=written-lines]")).to_contain_text("2–5")
    counts = page.locator("[data-testid=written-counts] div")
    expect(counts).to_have_count(7)
    expect(counts.first).to_contain_text("3")
    expect(page.locator("[data-testid=updates-stay]")).to_be_visible()
    screenshot(page, f"import-roll-back-{language}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"import-roll-back-{language}-390")
    page.set_viewport_size({"width": 1366, "height": 800})

    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.click("[data-testid=roll-back-import]")
    expect(page.locator("[data-testid=import-progress]")).to_have_attribute(
        "data-status", "running"
    )
    assert Deal.objects.count() == 4
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.click("[data-testid=roll-back-import]")
    expect(page.locator("[data-testid=import-progress]")).to_have_attribute(
        "data-status", "reverted"
    )
    expected = {
        "ru": "Удалить всё, что создал этот импорт? Это нельзя отменить.",
        "en": "Delete everything this import created? This cannot be undone.",
    }[language]
    assert questions == [expected, expected]
    expect(page.locator("[data-testid=rolled-back-removed] div")).to_have_count(7)
    expect(page.locator("[data-testid=roll-back-import]")).to_have_count(0)
    screenshot(page, f"import-rolled-back-{language}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"import-rolled-back-{language}-390")
    assert list(Deal.objects.values_list("external_id", flat=True)) == ["E-1"]
    assert Company.objects.count() == 0
    job.refresh_from_db()
    assert job.status == ImportStatus.ROLLED_BACK
