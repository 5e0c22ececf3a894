"""Business analytics pages: roles, row-level visibility, exports, query counts, and the CLI."""

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import (
    CompanyFactory,
    LeadSourceFactory,
    LostReasonFactory,
    ProductFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.analytics.reports import REPORTS
from voronka.pipeline.services import deal_lose, deal_win, line_item_add

pytestmark = pytest.mark.django_db

PAGES = ["inflow", "channels", "forecast", "repeat"]
PERIOD = "date_from=2026-03-01&date_to=2026-04-30"
T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def fill(pipeline, owners, count, offset=0):
    """``count`` deals per owner: won, lost and open ones, with sources, companies, products."""
    reason = LostReasonFactory()
    source = LeadSourceFactory(name="Сайт")
    product = ProductFactory()
    for index in range(count):
        for owner in owners:
            company = CompanyFactory(owner=owner, customer_type="small")
            when = T0 + timedelta(days=(index * 3 + offset) % 50)
            deal = make_deal(
                owner=owner,
                pipeline=pipeline,
                lead_source=source,
                company=company,
                title=f"Сделка {owner.first_name} {index}",
                at=when,
                expected_close_date=(when + timedelta(days=30)).date(),
            )
            line_item_add(
                deal=deal, product=product, quantity=Decimal(1), unit_price=None, user=owner
            )
            if index % 3 == 0:
                deal_win(deal=deal, user=owner, at=when + timedelta(days=5))
            elif index % 3 == 1:
                deal_lose(deal=deal, user=owner, reason=reason, at=when + timedelta(days=4))


@pytest.fixture
def team():
    pipeline = make_pipeline()
    m1 = UserFactory(role="manager", first_name="Анна", last_name="Первая")
    m2 = UserFactory(role="manager", first_name="Борис", last_name="Другой")  # other department
    head = UserFactory(role="head", department=m1.department)
    viewer = UserFactory(role="viewer", department=None)
    fill(pipeline, [m1, m2], 3)
    return {"pipeline": pipeline, "m1": m1, "m2": m2, "head": head, "viewer": viewer}


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_for_every_role(client, team, admin_user, page):
    url = f"{reverse('analytics:' + page)}?pipeline={team['pipeline'].pk}&{PERIOD}"
    for user in (admin_user, team["viewer"], team["head"], team["m1"]):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, (page, user.role)
        assert b'data-testid="analytics-filters"' in response.content


def test_pages_need_login(client):
    for page in PAGES:
        response = client.get(reverse("analytics:" + page))
        assert response.status_code == 302


def test_inflow_managers_table_shows_only_visible_managers(client, team):
    client.force_login(team["head"])
    html = client.get(f"{reverse('analytics:inflow')}?{PERIOD}").content.decode()
    assert "Анна Первая" in html
    assert "Борис Другой" not in html


def test_manager_sees_own_figures_only(client, team):
    client.force_login(team["m2"])
    response = client.get(f"{reverse('analytics:channels')}?{PERIOD}&export=csv")
    rows = list(
        csv.reader(
            StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    # One source: 3 deals of Борис, 1 won.
    assert rows[1][:6] == ["Сайт", "3", "1", "1", "1", "0.3333"]


@pytest.mark.parametrize("page", PAGES)
def test_exports_and_bad_export_format(client, team, admin_user, page):
    client.force_login(admin_user)
    url = f"{reverse('analytics:' + page)}?{PERIOD}"
    csv_response = client.get(url + "&export=csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    xlsx = client.get(url + "&export=xlsx")
    assert xlsx.status_code == 200
    assert client.get(url + "&export=doc").status_code == 400


def test_bad_filter_values_give_400_with_defaults(client, admin_user, team):
    client.force_login(admin_user)
    response = client.get(reverse("analytics:channels") + "?date_from=yesterday&owner=abc")
    assert response.status_code == 400
    assert b'data-testid="filter-defaults-used"' in response.content


@pytest.mark.parametrize("page", PAGES)
def test_page_queries_do_not_grow_with_data(
    client, admin_user, page, django_assert_max_num_queries
):
    pipeline = make_pipeline()
    owners = [UserFactory(role="manager") for _ in range(2)]
    fill(pipeline, owners, 2)
    client.force_login(admin_user)
    url = f"{reverse('analytics:' + page)}?{PERIOD}"
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    owners += [UserFactory(role="manager") for _ in range(3)]
    fill(pipeline, owners, 6, offset=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_cli_prints_every_report(team):
    for name in sorted(REPORTS):
        out = StringIO()
        call_command(
            "analytics_report", name, "--from", "2026-03-01", "--to", "2026-04-30", stdout=out
        )
        assert out.getvalue().splitlines()[1].startswith("-"), name


def test_cli_writes_csv_with_filters(team, tmp_path):
    path = tmp_path / "channels.csv"
    out = StringIO()
    call_command(
        "analytics_report",
        "channels",
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-30",
        "--owner",
        str(team["m1"].pk),
        "--csv",
        str(path),
        stdout=out,
    )
    assert out.getvalue().strip() == f"Wrote 1 rows to {path}."
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[1][:6] == ["Сайт", "3", "1", "1", "1", "0.3333"]


def test_cli_refuses_unknown_reports_and_bad_dates(team):
    with pytest.raises(CommandError, match="Unknown report"):
        call_command("analytics_report", "nope")
    with pytest.raises(CommandError, match="--from must not be after --to"):
        call_command("analytics_report", "inflow", "--from", "2026-05-01", "--to", "2026-04-01")
    with pytest.raises(CommandError, match="No pipeline"):
        call_command("analytics_report", "inflow", "--pipeline", "99999")
