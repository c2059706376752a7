import pytest

from tests.factories import ClaimFactory


@pytest.mark.django_db
def test_claim_factory_builds_a_valid_draft():
    claim = ClaimFactory()
    claim.full_clean()
    assert claim.status == "unverified"
    assert claim.visibility == "draft"
