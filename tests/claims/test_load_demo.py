"""The demo dataset is true to the seed article and loads exactly once."""

import hashlib
import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from claims.models import Claim, Place, Stance, Statement, Status, StatusChange
from sources.models import Document, Source

ARTICLE = Path(__file__).resolve().parents[2] / "claims" / "demo" / "seed-article.txt"

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every project model and its audit history, by model."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in {"claims", "sources", "auth"}:
            rows[model._meta.label] = sorted(
                model.objects.values_list(), key=lambda row: str(row)
            )
    return rows


def test_demo_dataset_tells_the_story_of_the_article():
    load_demo()

    assert Claim.objects.count() >= 8
    assert set(Source.objects.values_list("slug", flat=True)) >= {
        "volodymyr-zelensky",
        "russian-ministry-of-defence",
        "institute-for-the-study-of-war",
        "russian-military-bloggers",
        "donald-trump",
    }
    assert Statement.objects.filter(stance=Stance.ASSERTS).exists()
    assert Statement.objects.filter(stance=Stance.DENIES).exists()
    demidovka = Place.objects.get(slug="demidovka")
    assert [place.slug for place in demidovka.ancestors()] == [
        "russia",
        "belgorod-region",
    ]
    assert "Демидовка" in demidovka.alternate_names


def test_contested_claim_has_both_sides_and_a_corrected_verdict():
    load_demo()
    claim = Claim.objects.get(slug="ukrainian-forces-operating-in-belgorod-region")

    stances = {
        (statement.source.slug, statement.stance)
        for statement in claim.statements.select_related("source")
    }
    assert ("volodymyr-zelensky", Stance.ASSERTS) in stances
    assert ("russian-ministry-of-defence", Stance.DENIES) in stances
    timeline = list(claim.status_changes.all())
    assert [change.new_status for change in timeline] == [
        Status.DISPUTED,
        Status.PARTLY_CONFIRMED,
        Status.CONFIRMED,
    ]
    assert [change.is_correction for change in timeline] == [False, True, True]
    assert all(change.evidence.exists() for change in timeline)
    assert claim.status == Status.CONFIRMED
    assert claim.is_published
    assert timeline[-1].changed_by.username == "demo-reviewer"


def test_demo_statuses_follow_the_rules_of_the_domain():
    """Final verdicts were set by the reviewer; each rests on evidence."""
    load_demo()

    for change in StatusChange.objects.select_related("changed_by"):
        if change.new_status in Status.final():
            assert change.changed_by.has_perm("claims.set_final_status")
        assert change.rationale
    assert Claim.objects.filter(visibility="draft").exists()
    assert Claim.objects.published().count() >= 8


def test_article_document_carries_the_digest_of_what_was_seen():
    load_demo()

    article = Document.objects.get(publisher=None)
    assert article.content_sha256 == hashlib.sha256(ARTICLE.read_bytes()).hexdigest()


def test_running_it_twice_changes_nothing():
    load_demo()
    before = snapshot()

    output = load_demo()

    assert snapshot() == before
    assert "Already loaded: 0 records created." in output


def test_demo_claims_tell_the_time_of_their_story(client):
    """A demo claim was last changed by its story's last step (March–April
    2025), not when the command ran; its parts and its feed entries too."""
    load_demo()

    listed = client.get("/api/v1/claims/", {"page_size": 100}).json()["results"]
    claim = client.get("/api/v1/claims/fighting-in-demidovka/").json()
    page = client.get("/claims/ukrainian-forces-operating-in-belgorod-region/")
    feed = client.get("/feed/")

    assert {row["updated_at"][:7] for row in listed} <= {"2025-03", "2025-04"}
    assert [row["slug"] for row in listed][:2] == [
        "ukrainian-forces-operating-in-belgorod-region",
        "all-ukrainian-incursions-into-belgorod-repelled",
    ]
    # Its last verdict, when it was published on 22 March.
    assert claim["updated_at"].startswith("2025-03-22T10:00")
    statements = client.get("/api/v1/statements/", {"claim": claim["id"]}).json()
    assert {row["created_at"][:10] for row in statements["results"]} == {"2025-03-18"}
    assert '<time datetime="2025-04-08T12:00:00+00:00">8 April 2025</time>' in page.text
    assert set(re.findall(r"<updated>(\d{4}-\d\d)", feed.text)) <= {
        "2025-03",
        "2025-04",
    }


def test_demo_accounts_get_fresh_random_passwords_every_run():
    load_demo()
    first = StringIO()
    call_command("demo_accounts", stdout=first)
    second = StringIO()
    call_command("demo_accounts", stdout=second)

    def passwords(output: str) -> dict[str, str]:
        rows = [line.split() for line in output.splitlines()[1:]]
        return {row[0]: row[1] for row in rows}

    old, new = passwords(first.getvalue()), passwords(second.getvalue())
    # The lockout backend needs the request a sign-in comes with.
    request = RequestFactory().post("/admin/login/")
    assert set(new) == {"admin", "demo-editor", "demo-reviewer"}
    for username, password in new.items():
        assert password != old[username]
        assert authenticate(request, username=username, password=old[username]) is None
        assert authenticate(request, username=username, password=password) is not None
    reviewer = get_user_model().objects.get(username="demo-reviewer")
    assert reviewer.has_perm("claims.publish_claim")
    assert not reviewer.is_superuser
