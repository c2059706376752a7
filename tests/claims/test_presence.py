"""Who has a claim open: the mark a change page leaves, the warning other
staff see on the page and in the list, its expiry, and the page's heartbeat."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimPresence
from tests.factories import ClaimFactory, UserFactory
from tests.test_read_only_database import read_only  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:claims_claim_changelist")


def change_url(claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def presence_url(claim) -> str:
    return reverse("admin:claims_claim_presence", args=[claim.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ana(db):
    from django.contrib.auth.models import Group

    user = UserFactory(
        username="ana", first_name="Ana", last_name="Koval", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_an_editor_sees_who_else_has_the_claim_open_and_not_herself(ana, editor):
    claim = ClaimFactory()
    signed_in(ana).get(change_url(claim))

    # when
    theirs = signed_in(editor).get(change_url(claim))
    hers = signed_in(ana).get(change_url(claim))

    # then
    since = timezone.localtime(ClaimPresence.objects.get(user=ana).since)
    assert (
        f"Ana Koval has this claim open since {since:%H:%M} (last seen just now)"
        in theirs.text
    )
    assert "Ana Koval has this claim open" not in hers.text
    assert "editor has this claim open since" in hers.text


def test_a_mark_not_renewed_for_three_minutes_has_expired(ana, editor):
    claim = ClaimFactory()
    signed_in(ana).get(change_url(claim))
    ClaimPresence.objects.filter(user=ana).update(
        seen_at=timezone.now() - datetime.timedelta(minutes=3, seconds=1)
    )

    response = signed_in(editor).get(change_url(claim))

    assert "Ana Koval has this claim open" not in response.text


def test_a_mark_two_minutes_old_says_when_it_was_last_seen(ana, editor):
    claim = ClaimFactory()
    signed_in(ana).get(change_url(claim))
    ClaimPresence.objects.filter(user=ana).update(
        seen_at=timezone.now() - datetime.timedelta(minutes=2)
    )

    response = signed_in(editor).get(change_url(claim))

    assert "(last seen 2\xa0minutes ago)" in response.text


def test_coming_back_after_expiry_starts_a_new_since(ana):
    claim = ClaimFactory()
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    ClaimPresence.objects.create(
        claim=claim, user=ana, since=hour_ago, seen_at=hour_ago
    )

    signed_in(ana).get(change_url(claim))

    presence = ClaimPresence.objects.get(user=ana)
    assert presence.since > hour_ago + datetime.timedelta(minutes=59)
    assert ClaimPresence.objects.count() == 1


def test_the_heartbeat_renews_the_mark_and_answers_who_else_is_there(ana, editor):
    claim = ClaimFactory()
    signed_in(editor).get(change_url(claim))
    client = signed_in(ana)
    client.get(change_url(claim))
    ClaimPresence.objects.filter(user=ana).update(
        seen_at=timezone.now() - datetime.timedelta(minutes=2)
    )

    response = client.post(presence_url(claim))

    assert response.status_code == 200
    assert response.json()["others"][0].startswith("editor has this claim open")
    fresh = ClaimPresence.objects.get(user=ana).seen_at
    assert timezone.now() - fresh < datetime.timedelta(minutes=1)


def test_leaving_the_page_drops_the_mark(ana, editor):
    claim = ClaimFactory()
    client = signed_in(ana)
    client.get(change_url(claim))

    response = client.post(presence_url(claim), {"leave": "1"})

    assert response.status_code == 204
    page = signed_in(editor).get(change_url(claim))
    assert "Ana Koval has this claim open" not in page.text


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_the_heartbeat_is_refused_to_anyone_but_staff(who, reader):
    claim = ClaimFactory()
    client = Client() if who == "anonymous" else signed_in(reader)

    response = client.post(presence_url(claim))

    # the admin sends them to its login page
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not ClaimPresence.objects.exists()


def test_the_heartbeat_needs_the_csrf_token(ana):
    claim = ClaimFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(ana)

    response = client.post(presence_url(claim))

    assert response.status_code == 403
    assert not ClaimPresence.objects.exists()


def test_the_heartbeat_is_a_post(ana):
    claim = ClaimFactory()

    response = signed_in(ana).get(presence_url(claim))

    assert response.status_code == 405


def test_a_missing_claim_is_a_404(ana):
    response = signed_in(ana).post(
        reverse("admin:claims_claim_presence", args=[999999])
    )

    assert response.status_code == 404


def row_of(page: str, text: str) -> str:
    return next(row for row in page.split("<tr")[1:] if text in row)


def test_the_list_marks_claims_others_have_open(ana, editor):
    opened = ClaimFactory(text="Opened by Ana.")
    ClaimFactory(text="Opened by nobody.")
    signed_in(ana).get(change_url(opened))

    theirs = signed_in(editor).get(CHANGELIST).text
    hers = signed_in(ana).get(CHANGELIST).text

    assert "open by Ana Koval" in row_of(theirs, "Opened by Ana.")
    assert "open by" not in row_of(theirs, "Opened by nobody.")
    assert "open by" not in row_of(hers, "Opened by Ana.")


def test_the_list_finds_who_has_claims_open_in_one_query_for_10_or_100(ana, editor):
    client = signed_in(editor)
    client.get(CHANGELIST)  # warms the session and content types
    counts = []
    for rows in (10, 90):
        now = timezone.now()
        ClaimPresence.objects.bulk_create(
            ClaimPresence(claim=claim, user=ana, since=now, seen_at=now)
            for claim in ClaimFactory.create_batch(rows)
        )

        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST)

        assert response.text.count("open by Ana Koval") == min(
            ClaimPresence.objects.count(), 50
        )
        presence = [q for q in queries if "claims_claimpresence" in q["sql"]]
        assert len(presence) == 1
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db(transaction=True)
def test_a_read_only_database_shows_the_page_without_a_mark(read_only, ana):  # noqa: F811
    claim = ClaimFactory()
    client = signed_in(ana)
    read_only.begin()

    page = client.get(change_url(claim))
    beat = client.post(presence_url(claim))

    assert page.status_code == 200
    assert beat.status_code == 200
    read_only.end()
    assert not ClaimPresence.objects.exists()
