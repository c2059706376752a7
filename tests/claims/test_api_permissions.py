"""Who may do what through the API: every endpoint × method × role.

Readers (anonymous or signed in without a role) read published data only;
editors write; reviewers also publish, set final verdicts and delete. A
forbidden write changes nothing at all: not a row, not a version, not the
audit history.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps

from tests.claims.conftest import World
from tests.factories import InReviewClaimFactory

ROLES = ["anonymous", "reader", "editor", "reviewer"]


@dataclass
class Case:
    name: str
    method: str
    path: Any
    expected: tuple[int, int, int, int]  # anonymous, reader, editor, reviewer
    body: Any = None
    claim: Any = None  # whose ETag goes in If-Match

    def __str__(self) -> str:
        return self.name


def _statement_body(w):
    return {
        "claim": w.published.slug,
        "source": w.spare_source.slug,
        "stance": "asserts",
        "stated_on": "2025-03-21",
        "quote": "We are there.",
        "document": w.document.pk,
    }


@pytest.fixture
def world(reviewer) -> World:
    """The API tests' world, with a claim submitted for review."""
    world = World(reviewer)
    world.in_review = InReviewClaimFactory(slug="review-claim", event=world.event)
    return world


READ = (200, 200, 200, 200)
DRAFT_READ = (404, 404, 200, 200)
EDIT = (401, 403)  # anonymous, reader: the same for every write

CASES = [
    # Reads: published data for everyone, drafts for staff only.
    Case("list claims", "get", lambda w: "/api/v1/claims/", READ),
    Case(
        "published claim", "get", lambda w: f"/api/v1/claims/{w.published.slug}/", READ
    ),
    Case("draft claim", "get", lambda w: f"/api/v1/claims/{w.draft.slug}/", DRAFT_READ),
    Case(
        "published history",
        "get",
        lambda w: f"/api/v1/claims/{w.published.slug}/history/",
        READ,
    ),
    Case(
        "draft history",
        "get",
        lambda w: f"/api/v1/claims/{w.draft.slug}/history/",
        DRAFT_READ,
    ),
    Case("list statements", "get", lambda w: "/api/v1/statements/", READ),
    Case(
        "published statement",
        "get",
        lambda w: f"/api/v1/statements/{w.statement.pk}/",
        READ,
    ),
    Case(
        "draft statement",
        "get",
        lambda w: f"/api/v1/statements/{w.draft_statement.pk}/",
        DRAFT_READ,
    ),
    Case("list evidence", "get", lambda w: "/api/v1/evidence/", READ),
    Case(
        "published evidence",
        "get",
        lambda w: f"/api/v1/evidence/{w.evidence.pk}/",
        READ,
    ),
    Case(
        "draft evidence",
        "get",
        lambda w: f"/api/v1/evidence/{w.draft_evidence.pk}/",
        DRAFT_READ,
    ),
    Case("list links", "get", lambda w: "/api/v1/links/", READ),
    Case("link", "get", lambda w: f"/api/v1/links/{w.link.pk}/", READ),
    Case("list events", "get", lambda w: "/api/v1/events/", READ),
    Case("event", "get", lambda w: f"/api/v1/events/{w.event.slug}/", READ),
    Case("list places", "get", lambda w: "/api/v1/places/", READ),
    Case("place", "get", lambda w: f"/api/v1/places/{w.village.slug}/", READ),
    Case("list sources", "get", lambda w: "/api/v1/sources/", READ),
    Case("source", "get", lambda w: f"/api/v1/sources/{w.source.slug}/", READ),
    Case("list documents", "get", lambda w: "/api/v1/documents/", READ),
    Case("document", "get", lambda w: f"/api/v1/documents/{w.document.pk}/", READ),
    # Claims.
    Case(
        "create claim",
        "post",
        lambda w: "/api/v1/claims/",
        (*EDIT, 201, 201),
        body=lambda w: {"text": "A new claim.", "event": w.event.slug},
    ),
    Case(
        "edit claim",
        "patch",
        lambda w: f"/api/v1/claims/{w.published.slug}/",
        (*EDIT, 200, 200),
        body=lambda w: {"text": "Reworded."},
        claim=lambda w: w.published,
    ),
    Case(
        "replace claim",
        "put",
        lambda w: f"/api/v1/claims/{w.draft.slug}/",
        (*EDIT, 200, 200),
        body=lambda w: {"text": "Reworded.", "slug": "draft-claim", "places": []},
        claim=lambda w: w.draft,
    ),
    Case(
        "delete claim",
        "delete",
        lambda w: f"/api/v1/claims/{w.draft.slug}/",
        (*EDIT, 403, 204),
        claim=lambda w: w.draft,
    ),
    Case(
        "change status",
        "post",
        lambda w: f"/api/v1/claims/{w.draft.slug}/status/",
        (*EDIT, 200, 200),
        body=lambda w: {
            "status": "disputed",
            "rationale": "Conflicting reports.",
            "evidence": [w.draft_evidence.pk],
        },
        claim=lambda w: w.draft,
    ),
    Case(
        "set a final verdict",
        "post",
        lambda w: f"/api/v1/claims/{w.draft.slug}/status/",
        (*EDIT, 403, 200),
        body=lambda w: {
            "status": "confirmed",
            "rationale": "Geolocated footage.",
            "evidence": [w.draft_evidence.pk],
        },
        claim=lambda w: w.draft,
    ),
    Case(
        "publish",
        "post",
        lambda w: f"/api/v1/claims/{w.in_review.slug}/publish/",
        (*EDIT, 403, 200),
        claim=lambda w: w.in_review,
    ),
    Case(
        "unpublish",
        "post",
        lambda w: f"/api/v1/claims/{w.published.slug}/unpublish/",
        (*EDIT, 403, 200),
        claim=lambda w: w.published,
    ),
    # Parts of a claim.
    Case(
        "add statement",
        "post",
        lambda w: "/api/v1/statements/",
        (*EDIT, 201, 201),
        body=_statement_body,
        claim=lambda w: w.published,
    ),
    Case(
        "edit statement",
        "patch",
        lambda w: f"/api/v1/statements/{w.statement.pk}/",
        (*EDIT, 200, 200),
        body=lambda w: {"translation": "We are there."},
        claim=lambda w: w.published,
    ),
    Case(
        "remove statement",
        "delete",
        lambda w: f"/api/v1/statements/{w.denial.pk}/",
        (*EDIT, 204, 204),
        claim=lambda w: w.published,
    ),
    Case(
        "add evidence",
        "post",
        lambda w: "/api/v1/evidence/",
        (*EDIT, 201, 201),
        body=lambda w: {
            "claim": w.published.slug,
            "document": w.spare_document.pk,
            "stance": "context",
        },
        claim=lambda w: w.published,
    ),
    Case(
        "edit evidence",
        "patch",
        lambda w: f"/api/v1/evidence/{w.evidence.pk}/",
        (*EDIT, 200, 200),
        body=lambda w: {"note": "Checked again."},
        claim=lambda w: w.published,
    ),
    Case(
        "remove evidence",
        "delete",
        lambda w: f"/api/v1/evidence/{w.draft_evidence.pk}/",
        (*EDIT, 204, 204),
        claim=lambda w: w.draft,
    ),
    Case(
        "add link",
        "post",
        lambda w: "/api/v1/links/",
        (*EDIT, 201, 201),
        body=lambda w: {
            "from_claim": w.other.slug,
            "to_claim": w.draft.slug,
            "kind": "supports",
        },
        claim=lambda w: w.other,
    ),
    Case(
        "edit link",
        "patch",
        lambda w: f"/api/v1/links/{w.link.pk}/",
        (*EDIT, 200, 200),
        body=lambda w: {"note": "Same village."},
        claim=lambda w: w.published,
    ),
    Case(
        "remove link",
        "delete",
        lambda w: f"/api/v1/links/{w.link.pk}/",
        (*EDIT, 204, 204),
        claim=lambda w: w.published,
    ),
    # Reference data.
    Case(
        "create event",
        "post",
        lambda w: "/api/v1/events/",
        (*EDIT, 201, 201),
        body=lambda w: {"title": "Kursk", "places": [w.region.slug]},
    ),
    Case(
        "edit event",
        "patch",
        lambda w: f"/api/v1/events/{w.event.slug}/",
        (*EDIT, 200, 200),
        body=lambda w: {"summary": "Fighting near the border."},
    ),
    Case(
        "delete event",
        "delete",
        lambda w: f"/api/v1/events/{w.spare_event.slug}/",
        (*EDIT, 403, 204),
    ),
    Case(
        "create place",
        "post",
        lambda w: "/api/v1/places/",
        (*EDIT, 201, 201),
        body=lambda w: {"name": "Prilesye", "kind": "village", "parent": w.region.pk},
    ),
    Case(
        "edit place",
        "patch",
        lambda w: f"/api/v1/places/{w.village.slug}/",
        (*EDIT, 200, 200),
        body=lambda w: {"alternate_names": ["Demydivka"]},
    ),
    Case(
        "delete place",
        "delete",
        lambda w: f"/api/v1/places/{w.spare_place.slug}/",
        (*EDIT, 403, 204),
    ),
    Case(
        "create source",
        "post",
        lambda w: "/api/v1/sources/",
        (*EDIT, 201, 201),
        body=lambda w: {
            "name": "ISW",
            "slug": "isw",
            "kind": "think_tank",
            "affiliation": "independent",
            "reliability": "B",
        },
    ),
    Case(
        "edit source",
        "patch",
        lambda w: f"/api/v1/sources/{w.source.slug}/",
        (*EDIT, 200, 200),
        body=lambda w: {"reliability": "B"},
    ),
    Case(
        "delete source",
        "delete",
        lambda w: f"/api/v1/sources/{w.spare_source.slug}/",
        (*EDIT, 403, 204),
    ),
    Case(
        "create document",
        "post",
        lambda w: "/api/v1/documents/",
        (*EDIT, 201, 201),
        body=lambda w: {"title": "ISW update", "publisher": w.source.slug},
    ),
    Case(
        "edit document",
        "patch",
        lambda w: f"/api/v1/documents/{w.document.pk}/",
        (*EDIT, 200, 200),
        body=lambda w: {"language": "uk"},
    ),
    Case(
        "delete document",
        "delete",
        lambda w: f"/api/v1/documents/{w.spare_document.pk}/",
        (*EDIT, 403, 204),
    ),
]


def snapshot() -> dict[str, list]:
    """Every row of every project table, the audit history included."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in {"claims", "sources"}:
            state[model._meta.label] = sorted(
                map(repr, model.objects.order_by("pk").values())
            )
    return state


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_permission_matrix(request, api, world, case, role):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = api(user)
    headers = {}
    if case.claim is not None:
        headers["HTTP_IF_MATCH"] = case.claim(world).etag
    before = snapshot()

    response = getattr(client, case.method)(
        case.path(world),
        case.body(world) if case.body else None,
        format="json",
        **headers,
    )

    expected = case.expected[ROLES.index(role)]
    assert response.status_code == expected, response.content
    if case.method != "get" and expected >= 400:
        assert snapshot() == before, "a refused write changed stored data"
        assert "detail" in response.json()
    if case.method != "get" and expected < 300:
        assert snapshot() != before


@pytest.mark.django_db
def test_readers_never_see_drafts_in_lists(api, world, reader):
    """Drafts and their parts are absent from every list a reader can fetch."""
    for client in (api(), api(reader)):
        claims = client.get("/api/v1/claims/?page_size=100").json()["results"]
        statements = client.get("/api/v1/statements/?page_size=100").json()["results"]
        evidence = client.get("/api/v1/evidence/?page_size=100").json()["results"]
        links = client.get("/api/v1/links/?page_size=100").json()["results"]
        drafts = client.get("/api/v1/claims/?visibility=draft").json()["results"]

        assert world.draft.slug not in {c["slug"] for c in claims}
        assert world.draft_statement.pk not in {s["id"] for s in statements}
        assert world.draft_evidence.pk not in {e["id"] for e in evidence}
        assert all(link["to_claim"]["slug"] != world.draft.slug for link in links)
        assert drafts == []


@pytest.mark.django_db
def test_links_to_drafts_are_hidden_from_readers(api, world, editor, reader):
    from tests.factories import ClaimLinkFactory

    ClaimLinkFactory(from_claim=world.published, to_claim=world.draft, kind="supports")
    path = f"/api/v1/claims/{world.published.slug}/"

    public = api(reader).get(path).json()["links"]
    staff = api(editor).get(path).json()["links"]

    assert world.draft.slug not in {link["claim"]["slug"] for link in public}
    assert world.draft.slug in {link["claim"]["slug"] for link in staff}


@pytest.mark.django_db
def test_exact_coordinates_are_for_signed_in_staff_only(api, world, editor, reader):
    path = f"/api/v1/places/{world.village.slug}/"

    for client in (api(), api(reader)):
        place = client.get(path).json()
        assert (place["latitude"], place["longitude"]) == (50.12, 35.99)
    place = api(editor).get(path).json()
    assert (place["latitude"], place["longitude"]) == (50.123456, 35.987654)


@pytest.mark.django_db
def test_history_names_who_changed_the_verdict_to_staff_only(
    api, world, editor, reader
):
    path = f"/api/v1/claims/{world.published.slug}/history/"

    assert api(reader).get(path).json()["changes"][0]["changed_by"] is None
    assert api(editor).get(path).json()["changes"][0]["changed_by"] == "reviewer"
