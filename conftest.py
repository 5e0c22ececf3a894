import pytest

from tests.factories import UserFactory, make_pipeline


@pytest.fixture
def pipeline(db):
    return make_pipeline()


@pytest.fixture
def stages(pipeline):
    return list(pipeline.stages.order_by("order"))


@pytest.fixture
def manager(db):
    return UserFactory(role="manager")


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)
