from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import caches

from tests.factories import UserFactory


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """On SQLite, the quickstart's database, only tests marked ``sqlite`` run:
    the others rely on PostgreSQL's constraints, row locks, triggers or
    prepared statements, and would fail for want of them, not for a fault."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL, not {connection.vendor}")
    for item in items:
        if item.get_closest_marker("sqlite") is None or item.get_closest_marker(
            "postgresql"
        ):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # The user factories hash a password; the default hasher is slow by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def _no_pages_from_other_tests():
    """Each test starts with no rendered page cached: the page counters roll
    back with each test, so two tests' pages could otherwise share a key, and
    rows a test writes with ``bulk_create`` or ``update()`` move no counter."""
    caches["pages"].clear()


@pytest.fixture(autouse=True)
def _roles(request):
    """Transactional tests start from a flushed database: permissions come
    back by themselves, the role groups made by their migration do not."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        import_module("claims.migrations.0002_roles").create_roles(apps, None)
        import_module("claims.migrations.0009_reference_data").grant_reference(
            apps, None
        )


def _member_of(group: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    """A staff member in the Editors group."""
    return _member_of("Editors", username="editor")


@pytest.fixture
def other_editor(db):
    return _member_of("Editors", username="other-editor")


@pytest.fixture
def reviewer(db):
    """A senior editor in the Reviewers group."""
    return _member_of("Reviewers", username="reviewer")


@pytest.fixture
def reader(db):
    """A signed-in user with no role."""
    return UserFactory(username="reader")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def api():
    """An API client per user, signed in with a real token; None is anonymous."""
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            _, token = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return client_for
