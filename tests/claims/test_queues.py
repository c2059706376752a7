"""The desk's queues on the admin index: who sees which, their counts, and
the claim list each links to, showing exactly the claims counted."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Claim
from claims.queues import BY_SLUG, queues_for
from tests.factories import (
    ClaimFactory,
    InReviewClaimFactory,
    PublishedClaimFactory,
    StatusChangeFactory,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
CHANGELIST = reverse("admin:claims_claim_changelist")


@pytest.fixture
def desk(editor, other_editor, reviewer):
    """Claims in every queue, and claims just outside each."""
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    claims = {}

    def make(name, factory=ClaimFactory, **kwargs):
        claims[name] = factory(text=f"The {name} claim.", slug=name, **kwargs)
        return claims[name]

    make("in-review", InReviewClaimFactory, created_at=now)
    make("mine", PublishedClaimFactory, assignee=editor, created_at=now)
    make("theirs", PublishedClaimFactory, assignee=other_editor, created_at=now)

    # Returned to the editor: submitted by them; or assigned to them.
    submitted = make("returned-mine", created_at=now)
    services.submit_claim(submitted, by=editor)
    services.return_claim(submitted, by=reviewer, note="Needs a source.")
    assigned = make("returned-assigned", assignee=editor, created_at=now)
    services.submit_claim(assigned, by=other_editor)
    services.return_claim(assigned, by=reviewer, note="Needs a date.")
    # Not returned to the editor: resubmitted since, or someone else's.
    again = make("resubmitted", created_at=now)
    services.submit_claim(again, by=editor)
    services.return_claim(again, by=reviewer, note="Needs a place.")
    services.submit_claim(again, by=editor)
    other = make("returned-other", created_at=now)
    services.submit_claim(other, by=other_editor)
    services.return_claim(other, by=reviewer, note="Needs a quote.")

    make("old-unverified", created_at=now - datetime.timedelta(hours=49))
    make(
        "old-disputed",
        PublishedClaimFactory,
        status="disputed",
        created_at=now - datetime.timedelta(days=5),
    )
    make("young-unverified", created_at=now - datetime.timedelta(hours=47))

    changed = make("changed-today", PublishedClaimFactory, created_at=now)
    StatusChangeFactory(claim=changed, changed_by=reviewer, changed_at=now)
    yesterday = make("changed-yesterday", PublishedClaimFactory, created_at=now)
    StatusChangeFactory(
        claim=yesterday,
        changed_by=reviewer,
        changed_at=midnight - datetime.timedelta(minutes=1),
    )
    return claims


EXPECTED = {
    "awaiting_review": {"in-review", "resubmitted"},
    "assigned_to_me": {"mine", "returned-assigned"},
    "returned_to_me": {"returned-mine", "returned-assigned"},
    "unverified_48h": {"old-unverified"},
    "verdict_changed_today": {"changed-today"},
}


def counts(html: str) -> dict[str, int]:
    rows = re.findall(
        r'class="queue-(\w+)">.*?class="queue-count">(\d+)<', html, flags=re.S
    )
    return {slug: int(count) for slug, count in rows}


def test_each_queue_holds_exactly_its_claims(desk, editor):
    for slug, expected in EXPECTED.items():
        found = BY_SLUG[slug].claims(Claim.objects.all(), editor)
        assert set(found.values_list("slug", flat=True)) == expected, slug


def test_the_index_counts_each_queue_for_a_reviewer(client, desk, reviewer):
    services.assign_claim(desk["old-unverified"], to=reviewer, by=reviewer)
    client.force_login(reviewer)

    html = client.get(INDEX).text

    assert counts(html) == {
        "awaiting_review": 2,
        "assigned_to_me": 1,
        "returned_to_me": 0,
        "unverified_48h": 1,
        "verdict_changed_today": 1,
    }
    assert "Awaiting review" in html
    assert "Unverified for over 48 hours" in html


def test_a_long_queue_reads_as_more_than_the_limit(client, desk, reviewer, monkeypatch):
    monkeypatch.setattr("claims.templatetags.desk.QUEUE_COUNT_LIMIT", 1)
    client.force_login(reviewer)

    html = client.get(INDEX).text

    assert re.search(r'queue-awaiting_review">.*?"queue-count">1\+<', html, re.S)
    assert re.search(r'queue-unverified_48h">.*?"queue-count">1<', html, re.S)


def test_editors_have_no_review_queue(client, desk, editor):
    client.force_login(editor)

    html = client.get(INDEX).text

    assert counts(html) == {
        slug: len(claims)
        for slug, claims in EXPECTED.items()
        if slug != "awaiting_review"
    }
    assert "Awaiting review" not in html


def test_readers_have_no_queues(reader):
    assert queues_for(reader) == []


@pytest.mark.parametrize("slug", list(EXPECTED))
def test_each_queue_links_to_the_list_of_its_claims(client, desk, reviewer, slug):
    client.force_login(reviewer)
    # The reviewer's own queues are about them; the editor's are checked
    # through the same filter.
    expected = {
        "assigned_to_me": set(),
        "returned_to_me": set(),
    }.get(slug, EXPECTED[slug])
    assert f'href="{CHANGELIST}?queue={slug}"' in client.get(INDEX).text

    response = client.get(CHANGELIST, {"queue": slug})

    assert response.status_code == 200
    shown = {claim.slug for claim in response.context["cl"].result_list}
    assert shown == expected


@pytest.mark.parametrize("slug", ["assigned_to_me", "returned_to_me"])
def test_personal_queues_list_the_editors_claims(client, desk, editor, slug):
    client.force_login(editor)

    response = client.get(CHANGELIST, {"queue": slug})

    shown = {claim.slug for claim in response.context["cl"].result_list}
    assert shown == EXPECTED[slug]


def test_an_unknown_queue_lists_nothing(client, desk, editor):
    client.force_login(editor)

    response = client.get(CHANGELIST, {"queue": "nonsense"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("slug", list(EXPECTED))
def test_each_count_is_one_query(desk, reviewer, slug):
    with CaptureQueriesContext(connection) as queries:
        BY_SLUG[slug].claims(Claim.objects.all(), reviewer).count()

    assert len(queries) == 1


def _index_queries(client, reviewer, total: int) -> int:
    now = timezone.now()
    old = now - datetime.timedelta(days=3)
    have = Claim.objects.count()
    for n in range(have, total):
        claim = ClaimFactory(created_at=old if n % 2 else now, assignee=reviewer)
        if n % 3 == 0:
            services.submit_claim(claim, by=reviewer)
        if n % 5 == 0:
            StatusChangeFactory(claim=claim, changed_by=reviewer, changed_at=now)
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


def test_the_index_costs_the_same_for_10_and_100_claims(client, reviewer):
    assert _index_queries(client, reviewer, 10) == _index_queries(client, reviewer, 100)
