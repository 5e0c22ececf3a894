"""A whole sales history through the web wizard: a generated export (outcomes in the stage
column, products spelt differently, unknown owners, bare dates, deals closed before their first
contact), then a second file that updates outcomes; the figures Voronka stores equal those
computed independently from the files with the `csv` module."""

import csv
import io
import os
import random
import statistics
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.helpers import screenshot, sign_in, wait_until
from tests.factories import ProductFactory, UserFactory, make_pipeline
from voronka.pipeline.models import Deal, DealLineItem, StageChange

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = int(os.environ.get("IMPORT_E2E_ROWS", 2000))
HEADERS = ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date",
           "close_date", "close_value"]  # fmt: skip
KNOWN_OWNERS = ["moses", "anna", "boris"]
NEW_OWNERS = ["Darcel Schlecht", "Иванов Пётр"]
PRODUCTS = ["Сервер R200", "сервер R-200", "GTX Pro", "gtx-pro", "Кабель"]
OUTCOMES = {"Won": "won", "Успешно реализовано": "won", "Lost": "lost",
            "Закрыто и не реализовано": "lost"}  # fmt: skip


def _export(rows: int) -> list[list[str]]:
    rnd = random.Random(20)
    stages = ["Новый контакт", "Переговоры", "Выставление КП", *OUTCOMES]
    result = []
    for number in range(rows):
        engaged = date(2016, 10, 1) + timedelta(days=rnd.randrange(400))
        stage = rnd.choices(stages, [2, 2, 2, 3, 2, 3, 2])[0]
        closed = ""
        if stage in OUTCOMES:
            # one deal in twenty was closed a few days "before" its first contact
            shift = -rnd.randrange(1, 5) if number % 20 == 0 else rnd.randrange(0, 90)
            closed = (engaged + timedelta(days=shift)).isoformat()
        result.append([
            f"OPP{number:05d}", rnd.choice(KNOWN_OWNERS + NEW_OWNERS), rnd.choice(PRODUCTS),
            f"Account {rnd.randrange(rows // 8)}", stage, engaged.isoformat(), closed,
            str(rnd.randrange(100, 9000)) if stage in OUTCOMES else "",
        ])  # fmt: skip
    return result


def _csv(headers, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _truth(data: bytes, updates: bytes) -> dict:
    """The figures, computed from the files alone."""
    deals = {row["opportunity_id"]: row for row in csv.DictReader(io.StringIO(data.decode()))}
    for row in csv.DictReader(io.StringIO(updates.decode())):
        deals[row["opportunity_id"]].update(
            deal_stage=row["deal_stage"], close_date=row["close_date"], close_value=row["value"]
        )
    status = {key: OUTCOMES.get(row["deal_stage"], "open") for key, row in deals.items()}
    per_owner = defaultdict(Counter)
    cycles = []
    revenue = Decimal(0)
    for key, row in deals.items():
        per_owner[row["sales_agent"]][status[key]] += 1
        if status[key] == "won":
            revenue += Decimal(row["close_value"])
            engaged = date.fromisoformat(row["engage_date"])
            closed = date.fromisoformat(row["close_date"])
            cycles.append(max(0, (closed - engaged).days))  # closed first: moved to the close
    return {
        "status": Counter(status.values()),
        "win_rate": {
            owner: round(counts["won"] / (counts["won"] + counts["lost"]), 4)
            for owner, counts in per_owner.items()
            if counts["won"] + counts["lost"]
        },
        "revenue": revenue,
        "median_cycle": statistics.median(cycles),
        "corrected": sum(
            1
            for row in deals.values()
            if row["close_date"] and row["close_date"] < row["engage_date"]
        ),  # fmt: skip
    }


def _figures() -> dict:
    owners = {}
    per_owner = defaultdict(Counter)
    for deal in Deal.objects.select_related("owner"):
        name = deal.owner.username if deal.owner.has_usable_password() else (
            f"{deal.owner.first_name} {deal.owner.last_name}"
            if deal.owner.first_name.isascii() else f"{deal.owner.last_name} {deal.owner.first_name}"
        )  # fmt: skip
        owners[deal.pk] = name
        per_owner[name][deal.status] += 1
    won = Deal.objects.filter(status="won")
    cycles = [
        (timezone.localtime(deal.closed_at).date() - timezone.localtime(deal.created_at).date()).days
        for deal in won
    ]  # fmt: skip
    return {
        "status": Counter(Deal.objects.values_list("status", flat=True)),
        "win_rate": {
            owner: round(counts["won"] / (counts["won"] + counts["lost"]), 4)
            for owner, counts in per_owner.items()
            if counts["won"] + counts["lost"]
        },
        "revenue": sum((deal.amount for deal in won), Decimal(0)),
        "median_cycle": statistics.median(cycles),
    }


def _upload_and_map(page, data: bytes, name: str, language: str, shots: str | None):
    page.goto(f"{page.base_url}/imports/")
    page.select_option("select[name=kind]", "deals")
    page.set_input_files("input[name=file]", {"name": name, "mimeType": "text/csv", "buffer": data})
    page.click("[data-testid=upload]")
    page.wait_for_selector("[data-testid=mapping-form]")
    page.click("[data-testid=save-mapping]")  # the guessed mapping
    page.wait_for_selector("[data-testid=values-form], [data-testid=check-report], "
                           "[data-testid=import-checking]")  # fmt: skip


def _wait_for_check(page):
    _wait_for(page, "[data-testid=check-report]")


def _wait_for(page, selector: str, timeout_s: int = 900):
    """Wait for an element across the page's own navigations (a long import answers late)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            wait_until(page, f"!!document.querySelector({selector!r})", 5_000)
            return
        except (AssertionError, Error):
            page.wait_for_timeout(500)
    raise AssertionError(f"{selector} did not appear in {timeout_s} s")


def test_a_generated_history_imports_through_the_wizard_and_every_figure_is_true(page):
    pipeline = make_pipeline()
    ProductFactory(name="Сервер R200", sku="R200")
    for username in KNOWN_OWNERS:
        UserFactory(username=username)
    admin = UserFactory(role="admin", username="boss")
    rows = _export(ROWS)
    data = _csv(HEADERS, rows)
    sign_in(page, admin, "ru")

    _upload_and_map(page, data, "history.csv", "ru", "history")
    _wait_for_check(page)  # a large file is read only by the check, in the background
    assert "Иванов Пётр" in page.text_content("[data-testid=errors]")
    page.click("[data-testid=map-values]")
    page.wait_for_selector("[data-testid=values-form]")
    for index in range(len(NEW_OWNERS)):
        page.select_option(f"select[name=owner-{index}]", "new")
    assert page.locator("[data-testid=closing-options] select").count() == 2
    screenshot(page, "import-history-values-ru-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "import-history-values-ru-390")
    page.set_viewport_size({"width": 1366, "height": 800})
    page.click("[data-testid=save-values]")
    _wait_for_check(page)
    screenshot(page, "import-history-check-ru-1366")
    assumptions = page.text_content("[data-testid=assumptions]")
    assert "прошли все этапы" in assumptions and "Причина не указана" in assumptions
    assert page.locator("[data-testid=warnings] tbody tr").count() > 0
    screenshot(page, "import-history-check-ru-1366")
    page.click("[data-testid=start-import]", no_wait_after=True)
    _wait_for(page, "[data-testid=import-progress][data-status=done]")
    assert page.text_content("[data-testid=created-count]") == str(ROWS)

    # The second file closes some of the open deals, at a date.
    rnd = random.Random(3)
    open_ids = [row[0] for row in rows if row[4] not in OUTCOMES]
    updates = []
    for key in rnd.sample(open_ids, len(open_ids) // 3):
        engaged = date.fromisoformat(next(row[5] for row in rows if row[0] == key))
        updates.append([key, rnd.choice(["Won", "Lost"]),
                        (engaged + timedelta(days=rnd.randrange(1, 60))).isoformat(),
                        str(rnd.randrange(100, 9000))])  # fmt: skip
    update_data = _csv(["opportunity_id", "deal_stage", "close_date", "value"], updates)
    sign_in(page, admin, "en")
    _upload_and_map(page, update_data, "outcomes.csv", "en", None)
    if page.locator("[data-testid=values-form]").count():
        screenshot(page, "import-history-values-en-1366")
        page.click("[data-testid=save-values]")
    _wait_for_check(page)
    assert page.locator("[data-testid=errors]").count() == 0
    screenshot(page, "import-history-check-en-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "import-history-check-en-390")
    page.set_viewport_size({"width": 1366, "height": 800})
    page.click("[data-testid=start-import]", no_wait_after=True)
    _wait_for(page, "[data-testid=import-progress][data-status=done]")
    assert page.text_content("[data-testid=updated-count]") == str(len(updates))

    truth, figures = _truth(data, update_data), _figures()
    assert figures["status"] == truth["status"]
    assert figures["win_rate"] == truth["win_rate"]
    assert figures["median_cycle"] == truth["median_cycle"]
    assert figures["revenue"] == truth["revenue"]
    assert Deal.objects.count() == ROWS
    assert DealLineItem.objects.values("product").distinct().count() == 3  # spellings merged
    closing = StageChange.objects.filter(kind__in=["won", "lost"]).count()
    assert closing == truth["status"]["won"] + truth["status"]["lost"]
    assert pipeline.stages.count() == 5
