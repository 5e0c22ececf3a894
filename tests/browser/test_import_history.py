"""A whole sales history through the web wizard, by a head of sales: a generated export (outcomes
in the stage column, products spelt differently, unknown owners, bare dates, deals closed before
their first contact), then a second file that updates outcomes. The figures Voronka stores, and
those its pages and API show the head — funnel counts, win rates per owner and per product, won
revenue, median cycle, on the period the pages open on — equal those computed independently
from the files with the `csv` module."""

import csv
import io
import os
import random
import re
import statistics
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from tests.browser.helpers import screenshot, sign_in, wait_until
from tests.factories import DepartmentFactory, ProductFactory, UserFactory, make_pipeline
from voronka.accounts.models import User
from voronka.catalog.models import Product
from voronka.core import formatting
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


def _product_key(name: str) -> str:
    """Spellings of one product: case, spaces, hyphens and punctuation aside."""
    return re.sub(r"[\W_]+", "", name.casefold().replace("ё", "е"))


def _history(data: bytes, updates: bytes) -> list[dict]:
    """Each deal of the files as it ends up: status, first contact day, close day.

    A deal closed before its first contact has its first contact moved back to the close date
    (the importer's documented correction): it belongs to the close date's cohort and its cycle
    is zero days."""
    deals = {row["opportunity_id"]: row for row in csv.DictReader(io.StringIO(data.decode()))}
    for row in csv.DictReader(io.StringIO(updates.decode())):
        deals[row["opportunity_id"]].update(
            deal_stage=row["deal_stage"], close_date=row["close_date"], close_value=row["value"]
        )
    history = []
    for row in deals.values():
        status = OUTCOMES.get(row["deal_stage"], "open")
        engaged = date.fromisoformat(row["engage_date"])
        closed = date.fromisoformat(row["close_date"]) if status != "open" else None
        history.append({
            **row, "status": status, "closed": closed,
            "first_contact": min(engaged, closed) if closed else engaged,
        })  # fmt: skip
    return history


def _cohort_truth(history: list[dict], date_from: date, date_to: date) -> dict:
    """The figures of the deals whose first contact falls in [date_from, date_to]."""
    counts, per_owner, per_product = Counter(), defaultdict(Counter), defaultdict(Counter)
    revenue, cycles = Decimal(0), []
    for deal in history:
        if not date_from <= deal["first_contact"] <= date_to:
            continue
        status = deal["status"]
        counts[status] += 1
        per_owner[deal["sales_agent"]][status] += 1
        per_product[_product_key(deal["product"])][status] += 1
        if status == "won":
            revenue += Decimal(deal["close_value"])
            cycles.append((deal["closed"] - deal["first_contact"]).days)
    return {
        "counts": counts,
        "per_owner": per_owner,
        "per_product": per_product,
        "revenue": revenue,
        "median_cycle": statistics.median(cycles),
    }


def _closed_rate(counts: Counter) -> float | None:
    closed = counts["won"] + counts["lost"]
    return counts["won"] / closed if closed else None


def _kpis(page) -> dict[str, str]:
    labels = page.locator("[data-testid=kpis] .kpi .label").all_text_contents()
    values = page.locator("[data-testid=kpis] .kpi .value").all_text_contents()
    return dict(zip(labels, values, strict=True))


def _api(page, path: str) -> dict | list:
    response = page.request.get(f"{page.base_url}/api/v1/{path}")
    assert response.status == 200, response.text()
    return response.json()


def _check_pages_and_api(page, data: bytes, update_data: bytes, owners: dict[str, int]) -> None:
    """As the signed-in head, in English: the funnel page and API, per owner and per product,
    and the channels page and API (won revenue, median cycle) against the files."""
    page.goto(f"{page.base_url}/analytics/funnel/")
    date_from = date.fromisoformat(page.input_value("input[name=date_from]"))
    date_to = date.fromisoformat(page.input_value("input[name=date_to]"))
    api = _api(page, "analytics/funnel")
    assert (api["date_from"], api["date_to"]) == (date_from.isoformat(), date_to.isoformat())
    # The pages open on the latest twelve months of the imported history, not on today.
    history = _history(data, update_data)
    assert date_to == max(deal["first_contact"] for deal in history)
    assert (date_to - date_from).days == 364
    truth = _cohort_truth(history, date_from, date_to)
    # The history is longer than the period: the deals before it are left out.
    assert 0 < len(history) - truth["counts"].total() < len(history) // 5
    counts = truth["counts"]
    assert counts["won"] and counts["lost"] and counts["open"]
    assert (api["deals"], api["won"], api["lost"], api["open"]) == (
        counts.total(), counts["won"], counts["lost"], counts["open"],
    )  # fmt: skip
    assert Decimal(api["won_amount"]) == truth["revenue"]
    assert api["closed_win_rate"] == _closed_rate(counts)
    with translation.override("en"):
        number, percent = formatting.format_number, formatting.format_percent
        money = formatting.format_money
        expected_kpis = {
            "Deals in cohort": number(counts.total()),
            "Won": number(counts["won"]),
            "Win rate of closed": percent(_closed_rate(counts), 1),
            "Won amount": money(truth["revenue"], "RUB", 0),
            "Still open": number(counts["open"]),
        }
    shown = _kpis(page)
    assert {label: shown[label] for label in expected_kpis} == expected_kpis

    for name, owner_id in owners.items():
        expected = truth["per_owner"][name]
        api = _api(page, f"analytics/funnel?owner_id={owner_id}")
        assert (api["won"], api["lost"], api["open"]) == (
            expected["won"], expected["lost"], expected["open"],
        ), name  # fmt: skip
        assert api["closed_win_rate"] == _closed_rate(expected), name
        page.goto(f"{page.base_url}/analytics/funnel/?owner={owner_id}")
        with translation.override("en"):
            rate = formatting.format_percent(_closed_rate(expected), 1)
        assert _kpis(page)["Win rate of closed"] == rate, name

    products = {_product_key(product.name): product.pk for product in Product.objects.all()}
    assert set(truth["per_product"]) == set(products)
    for key, product_id in products.items():
        expected = truth["per_product"][key]
        api = _api(page, f"analytics/funnel?product_id={product_id}")
        assert (api["won"], api["lost"], api["open"]) == (
            expected["won"], expected["lost"], expected["open"],
        ), key  # fmt: skip
        assert api["closed_win_rate"] == _closed_rate(expected), key
        page.goto(f"{page.base_url}/analytics/funnel/?product={product_id}")
        with translation.override("en"):
            rate = formatting.format_percent(_closed_rate(expected), 1)
        assert _kpis(page)["Win rate of closed"] == rate, key

    # The file names no lead source: every deal is in the channels' «No source» row.
    (channel,) = _api(page, "analytics/channels")
    assert (channel["source_id"], channel["won"], channel["lost"], channel["open"]) == (
        None, counts["won"], counts["lost"], counts["open"],
    )  # fmt: skip
    assert Decimal(channel["revenue"]) == truth["revenue"]
    assert channel["median_cycle_days"] == truth["median_cycle"]
    page.goto(f"{page.base_url}/analytics/channels/")
    cells = page.locator("[data-testid=channels-table] tbody tr").first.locator("td")
    with translation.override("en"):
        expected_row = [
            "No source", formatting.format_number(counts.total()),
            formatting.format_number(counts["won"]), formatting.format_number(counts["lost"]),
            formatting.format_number(counts["open"]),
        ]  # fmt: skip
        revenue = formatting.format_money(truth["revenue"], "RUB", 0)
    assert cells.all_text_contents()[:5] == expected_row
    assert cells.nth(6).text_content() == revenue
    assert cells.nth(7).text_content() == f"{truth['median_cycle']:g}"
    screenshot(page, "import-history-channels-en-1366")


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
    started = time.monotonic()
    pipeline = make_pipeline()
    ProductFactory(name="Сервер R200", sku="R200")
    sales = DepartmentFactory(name="Продажи")
    for username in KNOWN_OWNERS:
        UserFactory(username=username, department=sales)
    admin = UserFactory(role="head", username="boss", department=sales)
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

    owners = {name: User.objects.get(username=name).pk for name in KNOWN_OWNERS}
    owners["Darcel Schlecht"] = User.objects.get(first_name="Darcel", last_name="Schlecht").pk
    owners["Иванов Пётр"] = User.objects.get(first_name="Пётр", last_name="Иванов").pk
    assert set(
        User.objects.filter(pk__in=owners.values()).values_list("department", flat=True)
    ) == {sales.pk}  # new owners join the importing head's department
    _check_pages_and_api(page, data, update_data, owners)
    print(f"\n{ROWS} rows: imported and checked in {time.monotonic() - started:.0f} s")
