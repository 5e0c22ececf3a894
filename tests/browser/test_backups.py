"""The backups page in a real browser: ask for a backup, see it listed with its download."""

import pytest

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory
from voronka.backups.models import BackupJob, BackupStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("language", "width"), [("ru", 1366), ("en", 390)])
def test_an_admin_makes_a_backup_and_sees_its_download(page, language, width):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)
    sign_in(page, admin, language=language)
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 800})
    page.goto(f"{page.base_url}/backups/")
    page.get_by_test_id("backup-start").click()
    page.wait_for_load_state("networkidle")
    job = BackupJob.objects.get()
    # The test settings run tasks inline, so the archive is ready once the page is back.
    assert job.status == BackupStatus.DONE
    assert page.get_by_test_id(f"backup-download-{job.pk}").is_visible()
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width
    screenshot(page, f"backups-{language}-{width}")
