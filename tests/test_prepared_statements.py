"""The hottest reads run statements prepared once per database session, or,
behind a transaction-pooling proxy, the same statements sent whole."""

import pytest
from django.db import connection

from tests.factories import (
    ClaimLinkFactory,
    EvidenceFactory,
    PublishedClaimFactory,
    StatementFactory,
)

# Each test starts on a session of its own, which has prepared nothing.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def claim():
    claim = PublishedClaimFactory()
    StatementFactory(claim=claim)
    EvidenceFactory(claim=claim)
    ClaimLinkFactory(from_claim=claim, to_claim=PublishedClaimFactory())
    return claim


def read_everything(client, claim) -> list[bytes]:
    """The API's list and detail and the claim page and index, as sent."""
    paths = [
        "/api/v1/claims/",
        f"/api/v1/claims/{claim.slug}/",
        claim.get_absolute_url(),
        "/",
    ]
    answers = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        answers.append(response.content)
    return answers


def prepared_here() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_each_session_prepares_the_statements_it_runs(client, claim):
    connection.close()

    read_everything(client, claim)

    assert prepared_here() >= {
        "verifier_claim_list",
        "verifier_claim_detail_by_slug",
        "verifier_claim_version",
        "verifier_lists_version",
    }


def test_without_prepared_statements_the_answers_are_the_same(client, claim, settings):
    connection.close()
    prepared = read_everything(client, claim)
    connection.close()
    settings.DATABASE_PREPARED_STATEMENTS = False

    plain = read_everything(client, claim)

    assert prepared_here() == set()
    # The index page carries a CSRF-free form and no per-request token, and
    # the claim page none either: the bytes are the same.
    assert plain == prepared
