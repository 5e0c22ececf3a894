"""Analytics and export queries stop at a time limit on both databases (issue 10): the user
gets a translated 503 page (or a 503 JSON error from the API) instead of a hang or a 500."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.core.query_time_limit import QueryTimeLimitExceeded, query_time_limit

# transaction=True: on PostgreSQL a cancelled statement would abort the test's own transaction.
pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 0.3
# Counts to a billion: minutes on either database unless something stops it.
ENDLESS_SQL = (
    "WITH RECURSIVE counter(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counter "
    "WHERE n < 1000000000) SELECT count(*) FROM counter"
)


def run_endless_query(*args, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute(ENDLESS_SQL)
        return cursor.fetchone()


def one_plus_one() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 + 1")
        return cursor.fetchone()[0]


@pytest.fixture
def tiny_limit(settings):
    settings.ANALYTICS_QUERY_TIMEOUT_SECONDS = LIMIT
    return LIMIT


def test_a_query_past_the_limit_is_stopped_promptly(tiny_limit):
    started = time.perf_counter()
    with pytest.raises(QueryTimeLimitExceeded), query_time_limit():
        run_endless_query()
    assert time.perf_counter() - started < LIMIT + 2


def test_quick_queries_run_and_the_limit_is_gone_after_the_block(tiny_limit):
    with query_time_limit():
        assert one_plus_one() == 2
    time.sleep(LIMIT + 0.1)  # SQLite's deadline has passed: outside the block it must not matter
    assert one_plus_one() == 2
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"


def test_an_analytics_page_past_the_limit_answers_a_translated_503_page(
    client, admin_user, pipeline, tiny_limit, monkeypatch
):
    monkeypatch.setattr("voronka.analytics.views.funnel.funnel", run_endless_query)
    client.force_login(admin_user)

    started = time.perf_counter()
    response = client.get("/analytics/funnel/")
    assert time.perf_counter() - started < 20  # not the minutes the query would take
    assert response.status_code == 503
    page = response.content.decode()
    assert 'data-testid="query-time-limit"' in page
    assert "The report took too long" in page
    assert "It was stopped so that it does not slow down everyone else" in page
    assert 'href="/analytics/funnel/"' in page  # try again
    assert "<nav" in page  # in the app's layout, not a bare error

    russian = client.get("/analytics/funnel/", headers={"accept-language": "ru"})
    assert russian.status_code == 503
    assert "Отчёт считался слишком долго" in russian.content.decode()
    assert "Расчёт остановлен, чтобы не замедлять работу остальных" in russian.content.decode()


def test_the_analytics_api_past_the_limit_answers_503_json(
    admin_user, pipeline, tiny_limit, monkeypatch
):
    from voronka.api.tests.conftest import client_for

    monkeypatch.setattr("voronka.api.routers.analytics.funnel", run_endless_query)

    response = client_for(admin_user).get("analytics/funnel", {"pipeline_id": pipeline.pk})

    assert response.status_code == 503
    assert response.json()["code"] == "query_time_limit"


def test_a_streamed_export_stops_at_the_limit(client, admin_user, tiny_limit, monkeypatch):
    def endless_rows(deals):
        yield run_endless_query()

    monkeypatch.setattr("voronka.pipeline.views.lists._export_rows", endless_rows)
    client.force_login(admin_user)
    response = client.get("/deals/", {"export": "csv"})
    assert response.status_code == 200

    started = time.perf_counter()
    with pytest.raises(QueryTimeLimitExceeded):
        b"".join(response.streaming_content)
    assert time.perf_counter() - started < LIMIT + 2


def test_pages_outside_analytics_and_exports_have_no_limit(client, admin_user, tiny_limit):
    client.force_login(admin_user)
    with connection.execute_wrapper(_assert_no_time_limit):
        assert client.get("/deals/").status_code == 200


def _assert_no_time_limit(execute, sql, params, many, context):
    assert not getattr(context["connection"], "_voronka_time_limited", False)
    return execute(sql, params, many, context)


def test_a_streamed_export_sets_the_limit_once_not_per_row(client, admin_user, pipeline):
    from tests.factories import make_deal

    client.force_login(admin_user)

    def streamed_queries() -> int:
        response = client.get("/deals/", {"export": "csv"})
        with CaptureQueriesContext(connection) as queries:
            body = b"".join(response.streaming_content)
        return len(queries), body.count(b"\n")

    make_deal(owner=admin_user, pipeline=pipeline)
    few_queries, few_lines = streamed_queries()
    for _ in range(20):
        make_deal(owner=admin_user, pipeline=pipeline)
    many_queries, many_lines = streamed_queries()

    assert (few_lines, many_lines) == (2, 22)  # the header and one line per deal
    assert many_queries == few_queries
