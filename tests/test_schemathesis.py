"""Property-based check of the whole REST API against its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, sent by an administrator's token
through the WSGI app; no answer may be a 500, and every answer must match the declared status
codes, content types and response schemas.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LostReasonFactory,
    ProductFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.api.services import api_token_create

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app closes "old" connections around each request; inside the test's transaction
    that would close it on PostgreSQL. Django's own test client disconnects the same receivers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db):
    admin = UserFactory(role="admin", department=None)
    pipeline = make_pipeline()
    company = CompanyFactory(owner=admin)
    ContactFactory(company=company)
    ProductFactory()
    LostReasonFactory()
    for _ in range(2):
        make_deal(owner=admin, pipeline=pipeline, company=company)
    return {"Authorization": f"Bearer {api_token_create(user=admin, name='schemathesis').raw}"}


# Operations whose schema-valid input may still be refused with 422 by design: the schema
# cannot say which file types are accepted (documents, issue 11 finding 9), nor which ids of
# owners, companies or lead sources exist and are visible to the caller (the list filters are the
# pages' FilterSets, which answer "Select a valid choice" for an unknown one).
REFERENCES_CHECKED_BY_THE_SERVER = {
    ("POST", "/api/v1/documents"),
    ("GET", "/api/v1/companies"),
    ("POST", "/api/v1/companies"),
    ("GET", "/api/v1/contacts"),
    ("GET", "/api/v1/deals"),
    ("GET", "/api/v1/plans"),  # department_id: a department the caller may see
}


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    # A fixed seed: the harness replaces the Authorization header with a real token, so a
    # random negative mutation of that header can turn into a valid request that schemathesis
    # then reports as "negative data accepted" (seen once in four runs on GET /users).
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, admin_headers):
    excluded = []
    if (case.method, case.path) in REFERENCES_CHECKED_BY_THE_SERVER:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers=admin_headers, excluded_checks=excluded)
